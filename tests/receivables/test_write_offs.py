"""Write-offs: requested by staff, approved and posted by a supervisor who did not ask."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ledger.models import Account, JournalEntry, JournalLine
from ledger.reconciliation import reconciliation
from receivables.models import ArKind, ArTransaction, WriteOff, WriteOffStatus
from receivables.services.write_offs import approve_write_off, reject_write_off, request_write_off
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 11, 20)


def lines_of(entry_id: int) -> dict[str, Decimal]:
    return {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    }


def test_approved_write_off_posts_expense_against_ar_once(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="148.00")
    write_off = request_write_off(
        invoice,
        amount=D("48.00"),
        reason="Business closed; owner cannot be found.",
        write_off_date=DAY,
        actor=ar_users["tech"],
    )
    assert write_off.status == WriteOffStatus.PENDING
    assert write_off.journal_entry_id is None
    invoice.refresh_from_db()
    assert invoice.balance == D("148.00")  # nothing moves until approved

    approved = approve_write_off(write_off, actor=ar_users["supervisor"])
    assert approved.status == WriteOffStatus.APPROVED
    assert approved.decided_by == ar_users["supervisor"]
    assert lines_of(approved.journal_entry_id) == {
        "101-0000-1120": D("-48.00"),
        "101-1100-5720": D("48.00"),
    }
    entry = JournalEntry.objects.get(pk=approved.journal_entry_id)
    assert entry.prepared_by == ar_users["tech"]
    assert entry.approved_by == ar_users["supervisor"]
    assert entry.entry_date == DAY
    invoice.refresh_from_db()
    assert invoice.balance == D("100.00")
    movement = ArTransaction.objects.get(kind=ArKind.WRITE_OFF)
    assert (movement.amount, movement.reference) == (D("-48.00"), str(write_off))
    # A double-click or a second supervisor: posted once.
    again = approve_write_off(write_off, actor=ar_users["supervisor2"])
    assert again.journal_entry_id == approved.journal_entry_id
    assert again.decided_by == ar_users["supervisor"]
    assert ArTransaction.objects.filter(kind=ArKind.WRITE_OFF).count() == 1
    assert write_off.events.count() >= 2  # audited: the request and the approval
    rows = {row.subledger.value: row for row in reconciliation(DAY)}
    assert rows["misc_ar"].reconciles and rows["misc_ar"].subledger_total == D("100.00")


def test_citation_write_off_credits_fines_ar(ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], code="PKG-RED-ZONE")
    write_off = request_write_off(
        citation,
        amount=D("60.00"),
        reason="Out-of-state plate; owner unknown.",
        write_off_date=DAY,
        actor=ar_users["senior"],
    )
    approve_write_off(write_off, actor=ar_users["supervisor"])
    write_off.refresh_from_db()
    assert lines_of(write_off.journal_entry_id) == {
        "101-0000-1130": D("-60.00"),
        "101-1100-5720": D("60.00"),
    }
    citation.refresh_from_db()
    assert citation.balance == D("0.00")
    rows = {row.subledger.value: row for row in reconciliation(DAY)}
    assert rows["fines_ar"].reconciles and rows["fines_ar"].subledger_total == D("0.00")


def test_request_is_refused_beyond_the_balance_less_pending(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="100.00")
    values = {"reason": "Uncollectible", "write_off_date": DAY, "actor": ar_users["tech"]}
    request_write_off(invoice, amount=D("70.00"), **values)
    with pytest.raises(ValidationError) as error:
        request_write_off(invoice, amount=D("30.01"), **values)
    assert "$30.00 that can be written off" in error.value.message_dict["amount"][0]
    request_write_off(invoice, amount=D("30.00"), **values)
    for amount in (D("0"), D("-5")):
        with pytest.raises(ValidationError) as error:
            request_write_off(invoice, amount=amount, **values)
        assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        request_write_off(invoice, amount=D("1"), **{**values, "reason": "  "})
    assert "reason" in error.value.message_dict
    assert WriteOff.objects.count() == 2


def test_rejected_request_frees_its_amount(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="100.00")
    values = {"reason": "Uncollectible", "write_off_date": DAY, "actor": ar_users["tech"]}
    write_off = request_write_off(invoice, amount=D("100.00"), **values)
    with pytest.raises(ValidationError) as error:
        reject_write_off(write_off, note="", actor=ar_users["supervisor"])
    assert "note" in error.value.message_dict
    rejected = reject_write_off(
        write_off, note="Send it to the agency first.", actor=ar_users["supervisor"]
    )
    assert rejected.status == WriteOffStatus.REJECTED
    assert rejected.decision_note == "Send it to the agency first."
    with pytest.raises(ValidationError):
        approve_write_off(rejected, actor=ar_users["supervisor"])
    assert request_write_off(invoice, amount=D("100.00"), **values).status == "pending"
    assert not JournalEntry.objects.filter(source_document=str(write_off)).exists()


def test_only_issued_invoices_and_open_citations(ar_fees, ar_users):
    draft = make_invoice(make_customer(), actor=ar_users["tech"], issue=False)
    with pytest.raises(ValidationError) as error:
        request_write_off(
            draft, amount=D("1"), reason="x", write_off_date=DAY, actor=ar_users["tech"]
        )
    assert "document" in error.value.message_dict
    paid = make_invoice(make_customer("Paid, Up"), actor=ar_users["tech"], amount="10.00")
    pay(paid.number, "invoice", "10.00", actor=ar_users["clerk"])
    with pytest.raises(ValidationError) as error:
        request_write_off(
            paid, amount=D("1"), reason="x", write_off_date=DAY, actor=ar_users["tech"]
        )
    assert "nothing owed" in error.value.message_dict["document"][0]
    with pytest.raises(ValidationError):  # a clerk takes payments, not write-offs
        request_write_off(
            make_citation(actor=ar_users["tech"]),
            amount=D("1"),
            reason="x",
            write_off_date=DAY,
            actor=ar_users["clerk"],
        )


def test_segregation_requester_never_approves(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"])
    own = request_write_off(
        invoice, amount=D("10"), reason="x", write_off_date=DAY, actor=ar_users["supervisor"]
    )
    with pytest.raises(ValidationError, match="another supervisor"):
        approve_write_off(own, actor=ar_users["supervisor"])
    with pytest.raises(ValidationError, match="another supervisor"):
        reject_write_off(own, note="no", actor=ar_users["supervisor"])
    for role in ("tech", "senior"):
        with pytest.raises(ValidationError, match="Only a Finance Supervisor"):
            approve_write_off(own, actor=ar_users[role])
    # The database refuses it too, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        WriteOff.objects.filter(pk=own.pk).update(decided_by=ar_users["supervisor"])
    with pytest.raises(IntegrityError), transaction.atomic():
        WriteOff.objects.filter(pk=own.pk).update(status="approved")  # approved, not posted
    approve_write_off(own, actor=ar_users["supervisor2"])


def test_approval_rechecks_the_balance(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="100.00")
    write_off = request_write_off(
        invoice, amount=D("80.00"), reason="x", write_off_date=DAY, actor=ar_users["tech"]
    )
    pay(invoice.number, "invoice", "30.00", actor=ar_users["clerk"])  # paid meanwhile
    with pytest.raises(ValidationError, match=r"now owes 70\.00"):
        approve_write_off(write_off, actor=ar_users["supervisor"])
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.PENDING
    assert not ArTransaction.objects.filter(kind=ArKind.WRITE_OFF).exists()


def test_approval_needs_an_uncollectible_accounts_expense(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"])
    write_off = request_write_off(
        invoice, amount=D("10"), reason="x", write_off_date=DAY, actor=ar_users["tech"]
    )
    Account.objects.filter(number="101-1100-5720").update(is_active=False)
    with pytest.raises(ValidationError, match="no postable uncollectible accounts expense"):
        approve_write_off(write_off, actor=ar_users["supervisor"])
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.PENDING


def test_the_same_request_twice_is_one_request(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="100.00")
    values = {
        "amount": D("100.00"),
        "reason": "Debtor deceased, no estate.",
        "write_off_date": DAY,
        "actor": ar_users["tech"],
    }
    first = request_write_off(invoice, **values)
    assert request_write_off(invoice, **values) == first
    assert WriteOff.objects.count() == 1
