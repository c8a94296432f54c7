"""Segregation of duties as columns: a document one person prepares and another, who did
not prepare it, approves or rejects (credit memos, write-offs, manual journal drafts).

One abstract base, so every such document names these columns the same way, and one
check, so the database too refuses a preparer deciding their own document.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


def approver_not_preparer(
    *, decider: str = "decided_by", preparer: str = "prepared_by"
) -> models.CheckConstraint:
    """The check that nobody decides what they prepared, named
    `<app>_<model>_approver_not_preparer` (Django fills in the model's names). A document
    not yet decided (no decider) passes. `decider` names the column where a model calls it
    something else (a fee version's `approved_by`)."""
    return models.CheckConstraint(
        condition=~Q(**{decider: F(preparer)}),
        name="%(app_label)s_%(class)s_approver_not_preparer",
    )


class PreparedAndDecided(models.Model):
    """Who prepared a document, and who approved or rejected it, and when.

    A subclass whose Meta lists constraints of its own lists `approver_not_preparer()`
    among them: a Meta of its own replaces this one's (tests/millbrae_finance/
    test_approvals.py checks that every subclass has it)."""

    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [approver_not_preparer()]
