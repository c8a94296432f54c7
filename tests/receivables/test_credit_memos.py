"""Credit memos: prepared by staff, approved and posted by a lead who did not prepare
them, reversing revenue in proportion to the invoice's lines."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ledger.models import Account, JournalEntry, JournalLine
from receivables.models import ApprovalStatus, ArKind, ArTransaction, CreditMemo
from receivables.queries.invoices import credit_memo_approval_work
from receivables.services.credit_memos import (
    approve_credit_memo,
    creditable_amount,
    prepare_credit_memo,
    reject_credit_memo,
)
from receivables.services.invoices import LineInput, create_invoice, issue_invoice
from tests.receivables.conftest import make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db
D = Decimal
NOV = datetime.date(2026, 11, 10)


def two_line_invoice(tech, fees):
    """$148.00 re-inspection (building permits) and $100.00 free line (misc revenue)."""
    invoice = create_invoice(
        make_customer(),
        invoice_date=datetime.date(2026, 10, 5),
        terms_days=30,
        description="Re-inspection and cleanup",
        lines=[
            LineInput(fee_code="REINSPECTION"),
            LineInput(
                description="Debris removal",
                revenue_account=Account.objects.get(number="101-1100-4920"),
                amount=D("100.00"),
            ),
        ],
        actor=tech,
    )
    return issue_invoice(invoice, actor=tech)


def entry_lines(entry_id) -> dict[str, Decimal]:
    return {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    }


def test_issuing_posts_ar_against_each_lines_revenue(ar_fees, ar_users):
    invoice = two_line_invoice(ar_users["tech"], ar_fees)
    assert entry_lines(invoice.journal_entry_id) == {
        "101-0000-1120": D("248.00"),
        "101-5100-4520": D("-148.00"),
        "101-1100-4920": D("-100.00"),
    }
    assert invoice.balance == D("248.00")
    line = invoice.lines.get(position=1)
    assert line.amount == D("148.00") and "Flat fee: $148.00" in line.calculation


def test_approval_posts_the_credit_split_by_line_amounts(ar_fees, ar_users):
    invoice = two_line_invoice(ar_users["tech"], ar_fees)
    memo = prepare_credit_memo(
        invoice, amount=D("50.00"), reason="Billed twice", credit_date=NOV, actor=ar_users["tech"]
    )
    assert memo.status == ApprovalStatus.PENDING
    assert ArTransaction.objects.filter(invoice=invoice).count() == 1  # nothing posted yet
    memo = approve_credit_memo(memo, actor=ar_users["senior"])
    # 50.00 split 148:100 = 29.8387.. : 20.1612..; largest remainder gives 29.84 / 20.16.
    assert entry_lines(memo.journal_entry_id) == {
        "101-0000-1120": D("-50.00"),
        "101-5100-4520": D("29.84"),
        "101-1100-4920": D("20.16"),
    }
    entry = JournalEntry.objects.get(pk=memo.journal_entry_id)
    assert entry.entry_date == NOV
    assert entry.source_module == "receivables" and entry.source_document == memo.number
    assert entry.prepared_by == ar_users["tech"] and entry.approved_by == ar_users["senior"]
    assert memo.status == ApprovalStatus.APPROVED
    assert memo.decided_by == ar_users["senior"] and memo.decided_at is not None
    invoice.refresh_from_db()
    assert invoice.balance == D("198.00")
    credit = ArTransaction.objects.get(invoice=invoice, kind=ArKind.CREDIT)
    assert credit.amount == D("-50.00") and credit.reference == memo.number
    assert credit.transaction_date == NOV


def test_double_approve_posts_once(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="80.00")
    memo = prepare_credit_memo(
        invoice, amount=D("80.00"), reason="Waived", credit_date=NOV, actor=ar_users["tech"]
    )
    first = approve_credit_memo(memo, actor=ar_users["supervisor"])
    again = approve_credit_memo(memo, actor=ar_users["supervisor"])
    assert again.journal_entry_id == first.journal_entry_id
    assert ArTransaction.objects.filter(invoice=invoice, kind=ArKind.CREDIT).count() == 1
    invoice.refresh_from_db()
    assert invoice.balance == D("0.00")


def test_preparer_never_approves_and_only_leads_decide(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="80.00")
    memo = prepare_credit_memo(
        invoice, amount=D("10.00"), reason="Courtesy", credit_date=NOV, actor=ar_users["senior"]
    )
    with pytest.raises(ValidationError, match="You prepared"):
        approve_credit_memo(memo, actor=ar_users["senior"])
    with pytest.raises(PermissionDenied):
        approve_credit_memo(memo, actor=ar_users["tech"])
    with pytest.raises(PermissionDenied):
        reject_credit_memo(memo, note="no", actor=ar_users["clerk"])
    with pytest.raises(PermissionDenied):
        prepare_credit_memo(
            invoice, amount=D("1.00"), reason="x", credit_date=NOV, actor=ar_users["clerk"]
        )
    memo.refresh_from_db()
    assert memo.status == ApprovalStatus.PENDING
    # The work queue: a lead sees others' memos, never their own.
    assert credit_memo_approval_work(ar_users["senior"]) == []
    [(label, url)] = credit_memo_approval_work(ar_users["supervisor"])
    assert memo.number in label and url.endswith(f"/credit-memos/{memo.pk}/")


def test_amount_limited_by_balance_less_pending_memos(ar_fees, ar_users):
    tech = ar_users["tech"]
    invoice = make_invoice(make_customer(), actor=tech, amount="100.00")
    prepare_credit_memo(invoice, amount=D("60.00"), reason="One", credit_date=NOV, actor=tech)
    assert creditable_amount(invoice) == D("40.00")
    with pytest.raises(ValidationError) as error:
        prepare_credit_memo(invoice, amount=D("40.01"), reason="Two", credit_date=NOV, actor=tech)
    assert "at most $40.00" in error.value.message_dict["amount"][0]
    for amount, reason, key in [
        (D("0"), "Zero", "amount"),
        (D("-5"), "Negative", "amount"),
        (D("1.005"), "Fraction", "amount"),
        (D("5"), "   ", "reason"),
    ]:
        with pytest.raises(ValidationError) as error:
            prepare_credit_memo(invoice, amount=amount, reason=reason, credit_date=NOV, actor=tech)
        assert key in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        prepare_credit_memo(
            invoice,
            amount=D("1"),
            reason="Early",
            credit_date=datetime.date(2026, 9, 1),
            actor=tech,
        )
    assert "credit_date" in error.value.message_dict
    assert CreditMemo.objects.filter(invoice=invoice).count() == 1


def test_only_issued_invoices_are_credited(ar_fees, ar_users):
    draft = make_invoice(make_customer(), actor=ar_users["tech"], issue=False)
    with pytest.raises(ValidationError, match="only an issued invoice"):
        prepare_credit_memo(
            draft, amount=D("1.00"), reason="x", credit_date=NOV, actor=ar_users["tech"]
        )


def test_balance_rechecked_at_approval(ar_fees, ar_users):
    tech = ar_users["tech"]
    invoice = make_invoice(make_customer(), actor=tech, amount="100.00")
    memo = prepare_credit_memo(
        invoice, amount=D("70.00"), reason="Partly wrong", credit_date=NOV, actor=tech
    )
    pay(invoice.number, "invoice", "50.00", actor=ar_users["clerk"])
    with pytest.raises(ValidationError, match="now more than the balance"):
        approve_credit_memo(memo, actor=ar_users["supervisor"])
    memo.refresh_from_db()
    assert memo.status == ApprovalStatus.PENDING and memo.journal_entry_id is None
    assert not ArTransaction.objects.filter(invoice=invoice, kind=ArKind.CREDIT).exists()


def test_reject_needs_a_note_and_posts_nothing(ar_fees, ar_users):
    tech = ar_users["tech"]
    invoice = make_invoice(make_customer(), actor=tech, amount="100.00")
    memo = prepare_credit_memo(invoice, amount=D("10.00"), reason="x", credit_date=NOV, actor=tech)
    with pytest.raises(ValidationError) as error:
        reject_credit_memo(memo, note=" ", actor=ar_users["senior"])
    assert "note" in error.value.message_dict
    memo = reject_credit_memo(memo, note="Not supported", actor=ar_users["senior"])
    assert memo.status == ApprovalStatus.REJECTED and memo.decision_note == "Not supported"
    with pytest.raises(ValidationError, match="rejected"):
        approve_credit_memo(memo, actor=ar_users["supervisor"])
    assert creditable_amount(invoice) == D("100.00")


def test_a_cent_split_over_two_lines_posts_on_one(ar_fees, ar_users):
    invoice = two_line_invoice(ar_users["tech"], ar_fees)
    memo = prepare_credit_memo(
        invoice, amount=D("0.01"), reason="Rounding", credit_date=NOV, actor=ar_users["tech"]
    )
    memo = approve_credit_memo(memo, actor=ar_users["supervisor"])
    assert entry_lines(memo.journal_entry_id) == {
        "101-0000-1120": D("-0.01"),
        "101-5100-4520": D("0.01"),
    }


def test_a_double_clicked_prepare_makes_one_memo(ar_fees, ar_users):
    tech = ar_users["tech"]
    invoice = make_invoice(make_customer(), actor=tech, amount="100.00")
    values = {"amount": D("40.00"), "reason": "Courtesy", "credit_date": NOV, "actor": tech}
    first = prepare_credit_memo(invoice, **values)
    assert prepare_credit_memo(invoice, **values) == first
    assert CreditMemo.objects.filter(invoice=invoice).count() == 1


def test_a_credit_over_a_late_penalty_reverses_the_penalty_revenue(ar_fees, ar_users):
    from receivables.services.penalties import run_penalty_batch
    from tests.receivables.penalty_helpers import make_rules

    tech, senior = ar_users["tech"], ar_users["senior"]
    make_rules(("INV-LATE",))
    invoice = make_invoice(
        make_customer(), actor=tech, amount="100.00", invoice_date=datetime.date(2026, 8, 1)
    )
    run_penalty_batch(datetime.date(2026, 10, 15), idempotency_key="k", actor=senior)
    # $100 billed + $10 late penalty; $30 paid comes off the line first.
    pay(invoice.number, "invoice", "30.00", actor=ar_users["clerk"])
    memo = prepare_credit_memo(
        invoice, amount=D("80.00"), reason="Waive all", credit_date=NOV, actor=tech
    )
    memo = approve_credit_memo(memo, actor=senior)
    assert entry_lines(memo.journal_entry_id) == {
        "101-0000-1120": D("-80.00"),
        "101-1100-4920": D("70.00"),
        "101-1100-4910": D("10.00"),
    }
    invoice.refresh_from_db()
    assert invoice.balance == D("0.00")
