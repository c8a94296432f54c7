"""Notes on a utility account: what staff were told or did (a call, a promise to pay, a
leak reported), dated and signed. Kept, never edited: a correction is a new note."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from millbrae_finance.audit_tracking import track

MAX_NOTE_CHARS = 2000


@track()
class AccountNote(models.Model):
    account = models.ForeignKey(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="account_notes"
    )
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="utility_note_account")]
        constraints = [
            models.CheckConstraint(condition=Q(text__gt=""), name="utility_billing_note_text"),
        ]

    def __str__(self) -> str:
        return f"Note on {self.account} by {self.created_by}"
