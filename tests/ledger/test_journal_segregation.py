"""Segregation of duties in journal approval: an administrator, who grants roles, never
approves or rejects an entry, even holding an approver's role."""

import pytest
from django.core.exceptions import ValidationError

from ledger.models import JournalDraftStatus, JournalEntry
from ledger.services import approve_journal_draft, reject_journal_draft
from millbrae_finance.roles import Role
from tests.conftest import make_user
from tests.ledger.test_journals import draft_for

pytestmark = pytest.mark.django_db

REFUSAL = "An administrator does not approve or reject entries"


@pytest.fixture
def books(chart, november):
    """The small chart and an open November 2026."""
    return chart


def test_an_administrator_cannot_approve_or_reject_an_entry(books, technician, administrator):
    draft = draft_for(technician, submit=True)
    with pytest.raises(ValidationError, match=REFUSAL):
        approve_journal_draft(draft, actor=administrator)
    with pytest.raises(ValidationError, match=REFUSAL):
        reject_journal_draft(draft, actor=administrator, reason="Looks wrong")
    draft.refresh_from_db()
    assert draft.status == JournalDraftStatus.SUBMITTED
    assert JournalEntry.objects.count() == 0


def test_an_administrator_holding_an_approver_role_still_cannot_approve(
    books, technician, administrator
):
    """The database refuses Administrator with Finance Supervisor; should a user ever
    arrive holding both (the roles as a request read them), the service still refuses."""
    administrator._millbrae_roles = frozenset({Role.ADMINISTRATOR, Role.FINANCE_SUPERVISOR})
    draft = draft_for(technician, submit=True)
    with pytest.raises(ValidationError, match=REFUSAL):
        approve_journal_draft(draft, actor=administrator)
    assert JournalEntry.objects.count() == 0


def test_a_supervisor_still_approves(books, technician):
    draft = draft_for(technician, submit=True)
    approved = approve_journal_draft(draft, actor=make_user(Role.FINANCE_SUPERVISOR))
    assert approved.status == JournalDraftStatus.POSTED
