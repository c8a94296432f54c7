"""After the close: a supervisor's reversal of a receipt, and a returned (NSF) check. Both
post a new entry dated the day they are recorded, leave the receipt's entry and the
closed session's count as they were, and happen once (the database sees to it)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from cashiering.models import ReceiptReversal, ReturnedCheck, SessionCount
from cashiering.services.closing import CountSpec, close_and_count
from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
from cashiering.services.reversals import check_shares, record_returned_check, reverse_receipt
from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from tests.cashiering.conftest import PAY_MOMENT, make_drawer, make_session
from tests.receivables.conftest import ar_chart, ar_fees, ar_users  # noqa: F401  (fixtures)
from utility_billing.models import UtilityTransaction

D = Decimal
UA = "utility-account"


def _balance(account) -> Decimal:
    return account.transactions.aggregate(t=Sum("amount"))["t"]


def _lines(entry) -> list[tuple[str, Decimal]]:
    return sorted(JournalLine.objects.filter(entry=entry).values_list("account__number", "amount"))


def _events(table: str, pk: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE pgh_obj_id = %s", [pk])
        return cursor.fetchone()[0]


def _closed_receipt(counter, *, items, tenders, key="after-close"):
    receipt = post_receipt(
        counter["session"],
        items=items,
        tenders=tenders,
        idempotency_key=key,
        actor=counter["users"]["clerk"],
    )
    close_and_count(counter["session"], spec=CountSpec(), actor=counter["users"]["clerk"])
    return receipt


# ------------------------------------------------------------------ reversals


def test_a_supervisor_reverses_a_receipt_of_a_closed_session(counter):
    users = counter["users"]
    a1 = counter["billing"]["accounts"]["A1"]
    before = _balance(a1)
    receipt = _closed_receipt(
        counter,
        items=[ItemSpec(UA, a1.number, D("100.00"))],
        tenders=[TenderSpec("cash", D("100.00"))],
    )
    count = SessionCount.objects.get(session=counter["session"])
    counted = (count.cash_counted, count.cash_expected, count.over_short)
    original_lines = _lines(receipt.journal_entry)

    reversal = reverse_receipt(receipt, reason="Paid the wrong account", actor=users["supervisor"])

    receipt.refresh_from_db()
    assert receipt.is_reversed and not receipt.is_void
    assert receipt.display_number == "D1-000001"
    assert (reversal.reversed_by, reversal.reason) == (
        users["supervisor"],
        "Paid the wrong account",
    )
    entry = reversal.journal_entry
    assert entry.entry_date == PAY_MOMENT.date() and entry.reverses_id == receipt.journal_entry_id
    # Every line of the receipt's entry, the other way; the receipt's entry unchanged.
    assert _lines(entry) == sorted((number, -amount) for number, amount in original_lines)
    assert _lines(receipt.journal_entry) == original_lines
    assert _balance(a1) == before
    count.refresh_from_db()
    assert (count.cash_counted, count.cash_expected, count.over_short) == counted
    assert {r.subledger: r for r in reconciliation(PAY_MOMENT.date())}[
        Subledger.UTILITY_AR
    ].difference == 0
    assert _events("cashiering_receiptreversalevent", reversal.pk) == 1

    # Again (a retry, a double-click, another supervisor): the first reversal, nothing new.
    entries, movements = JournalEntry.objects.count(), UtilityTransaction.objects.count()
    again = reverse_receipt(receipt, reason="Again", actor=users["supervisor"])
    assert again.pk == reversal.pk and again.reason == "Paid the wrong account"
    assert (JournalEntry.objects.count(), UtilityTransaction.objects.count()) == (
        entries,
        movements,
    )


def test_only_the_supervisor_reverses_and_only_after_the_close(counter):
    users = counter["users"]
    a1 = counter["billing"]["accounts"]["A1"]
    receipt = post_receipt(
        counter["session"],
        items=[ItemSpec(UA, a1.number, D("10.00"))],
        tenders=[TenderSpec("cash", D("10.00"))],
        idempotency_key="still-open",
        actor=users["clerk"],
    )
    for who in ("clerk", "senior", "tech", "auditor"):
        with pytest.raises(PermissionDenied):
            reverse_receipt(receipt, reason="x", actor=users[who])
    with pytest.raises(ValidationError) as refused:
        reverse_receipt(receipt, reason="x", actor=users["supervisor"])
    assert "still open" in refused.value.message_dict["reason"][0]
    with pytest.raises(ValidationError) as refused:
        reverse_receipt(receipt, reason="  ", actor=users["supervisor"])
    assert "reason" in refused.value.message_dict
    assert not ReceiptReversal.objects.exists()


def test_the_database_refuses_a_second_reversal(counter):
    users = counter["users"]
    a1 = counter["billing"]["accounts"]["A1"]
    receipt = _closed_receipt(
        counter,
        items=[ItemSpec(UA, a1.number, D("10.00"))],
        tenders=[TenderSpec("cash", D("10.00"))],
    )
    reversal = reverse_receipt(receipt, reason="Wrong", actor=users["supervisor"])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cashiering_receiptreversal "
            "(receipt_id, reversed_at, reversed_by_id, reason, journal_entry_id) "
            "VALUES (%s, now(), %s, 'again', %s)",
            [receipt.pk, users["supervisor"].pk, receipt.journal_entry_id],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceiptReversal.objects.filter(pk=reversal.pk).update(reason="")


# ------------------------------------------------------------------ returned checks


def test_check_shares_come_back_from_the_oldest_item_first():
    class Item:
        def __init__(self, line, amount):
            self.line, self.amount = line, D(amount)

    items = [Item(1, "100.00"), Item(2, "40.00"), Item(3, "5.00")]
    assert [(i.line, s) for i, s in check_shares(items, D("120.00"))] == [
        (1, D("100.00")),
        (2, D("20.00")),
    ]
    assert [(i.line, s) for i, s in check_shares(items, D("145.00"))][-1] == (3, D("5.00"))


@pytest.fixture
def split_by_check(counter, ar_fees):  # noqa: F811
    """A1 100.00 and A2 40.00 on one receipt, paid by check 5001 for 120.00 and 20.00
    cash; the session closed."""
    a1 = counter["billing"]["accounts"]["A1"]
    a2 = counter["billing"]["accounts"]["A2"]
    before = (_balance(a1), _balance(a2))
    receipt = _closed_receipt(
        counter,
        items=[ItemSpec(UA, a1.number, D("100.00")), ItemSpec(UA, a2.number, D("40.00"))],
        tenders=[
            TenderSpec("check", D("120.00"), check_number="5001"),
            TenderSpec("cash", D("20.00")),
        ],
        key="nsf-receipt",
    )
    check = receipt.tenders.get(kind="check")
    return {**counter, "receipt": receipt, "check": check, "before": before, "a1": a1, "a2": a2}


def test_a_returned_check_undoes_its_share_charges_the_fee_and_refuses_checks(split_by_check):
    from receivables.models import Invoice

    s = split_by_check
    users, a1, a2 = s["users"], s["a1"], s["a2"]

    returned = record_returned_check(
        s["check"],
        amount=D("120.00"),
        bank_reason="NSF",
        idempotency_key="nsf-1",
        actor=users["senior"],
    )

    # Line 1 gives back all its 100.00, line 2 the 20.00 left; the cash's 20.00 stays paid.
    assert [(sh.item.line, sh.amount) for sh in returned.shares.all()] == [
        (1, D("100.00")),
        (2, D("20.00")),
    ]
    assert _balance(a1) == s["before"][0]
    assert _balance(a2) == s["before"][1] - D("20.00")
    lines = _lines(returned.journal_entry)
    assert ("101-0000-1010", D("-120.00")) in lines
    assert sum(a for n, a in lines if n.endswith("-1110")) == D("120.00")
    assert sum(a for _, a in lines) == 0
    assert returned.journal_entry.entry_date == PAY_MOMENT.date()
    # The fee, from the fee schedule, billed to A1's customer; checks refused for a year.
    invoice = Invoice.objects.get(customer=a1.customer)
    assert (invoice.total, invoice.status, invoice.balance) == (D("25.00"), "issued", D("25.00"))
    assert returned.fee_charged.startswith(f"Invoice {invoice.number}, 25.00")
    until = PAY_MOMENT.date() + datetime.timedelta(days=365)
    a1.customer.refresh_from_db()
    assert a1.customer.do_not_accept_checks and a1.customer.no_checks_until == until
    assert returned.no_checks_until == until
    rows = {row.subledger: row for row in reconciliation(PAY_MOMENT.date())}
    assert rows[Subledger.UTILITY_AR].difference == 0 and rows[Subledger.MISC_AR].difference == 0
    assert _events("cashiering_returnedcheckevent", returned.pk) == 1

    # A double-click: the first record, nothing new.
    counts = (JournalEntry.objects.count(), UtilityTransaction.objects.count())
    again = record_returned_check(
        s["check"],
        amount=D("120.00"),
        bank_reason="NSF",
        idempotency_key="nsf-1",
        actor=users["senior"],
    )
    assert again.pk == returned.pk
    assert (JournalEntry.objects.count(), UtilityTransaction.objects.count()) == counts
    # Another form for the same check: refused, with a message.
    with pytest.raises(ValidationError) as refused:
        record_returned_check(
            s["check"],
            amount=D("1.00"),
            bank_reason="NSF",
            idempotency_key="nsf-2",
            actor=users["supervisor"],
        )
    assert "already returned" in refused.value.message_dict["tender"][0]


def test_the_counter_refuses_the_flagged_customers_check_until_the_flag_ends(split_by_check):
    s = split_by_check
    users, a1 = s["users"], s["a1"]
    record_returned_check(
        s["check"],
        amount=D("120.00"),
        bank_reason="NSF",
        idempotency_key="nsf-3",
        actor=users["supervisor"],
    )
    session = make_session(users["clerk"], make_drawer("D2"))

    def pay_by_check(key):
        return post_receipt(
            session,
            items=[ItemSpec(UA, a1.number, D("10.00"))],
            tenders=[TenderSpec("check", D("10.00"), check_number="77")],
            idempotency_key=key,
            actor=users["clerk"],
        )

    with pytest.raises(ValidationError) as refused:
        pay_by_check("flagged")
    assert "may not pay by check" in refused.value.message_dict["tender-1"][0]
    # The day after the flag's end, checks are taken again.
    from ledger.services import create_fiscal_year

    create_fiscal_year(2028)
    with time_machine.travel(datetime.datetime(2027, 12, 21, 12, 0), tick=False):
        assert pay_by_check("flag-over").total == D("10.00")


def test_bad_returned_checks_are_refused_with_a_message(split_by_check):
    s = split_by_check
    users = s["users"]
    cash = s["receipt"].tenders.get(kind="cash")

    def record(tender, amount="120.00", actor="supervisor", reason="NSF", key="bad"):
        return record_returned_check(
            tender, amount=D(amount), bank_reason=reason, idempotency_key=key, actor=users[actor]
        )

    with pytest.raises(ValidationError) as refused:
        record(cash)
    assert "not paid by that check" in refused.value.message_dict["tender"][0]
    with pytest.raises(ValidationError) as refused:
        record(s["check"], amount="120.01")
    assert "was for 120.00" in refused.value.message_dict["amount"][0]
    for amount in ("0", "-5", "1.005"):
        with pytest.raises(ValidationError) as refused:
            record(s["check"], amount=amount)
        assert "amount" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        record(s["check"], reason=" ")
    assert "bank_reason" in refused.value.message_dict
    for who in ("clerk", "tech", "auditor"):
        with pytest.raises(PermissionDenied):
            record(s["check"], actor=who)
    assert not ReturnedCheck.objects.exists()


def test_the_database_refuses_a_second_return_of_a_check(split_by_check):
    s = split_by_check
    returned = record_returned_check(
        s["check"],
        amount=D("50.00"),
        bank_reason="NSF",
        idempotency_key="nsf-4",
        actor=s["users"]["supervisor"],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnedCheck.objects.create(
            tender=s["check"],
            receipt=s["receipt"],
            idempotency_key="other",
            amount=D("1.00"),
            bank_reason="again",
            returned_on=PAY_MOMENT.date(),
            recorded_at=returned.recorded_at,
            recorded_by=s["users"]["supervisor"],
            journal_entry=JournalEntry.objects.exclude(pk=returned.journal_entry_id).last(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnedCheck.objects.filter(pk=returned.pk).update(amount=D("-1"))


@pytest.mark.django_db
def test_the_policy_is_one_row_of_data():
    from cashiering.models import CashieringPolicy
    from cashiering.services.reversals import current_policy

    policy = current_policy()
    assert (policy.no_checks_days, policy.nsf_fee_code) == (365, "RETURNED-CHECK")
    CashieringPolicy.objects.all().delete()
    CashieringPolicy.objects.create(no_checks_days=30, nsf_fee_code="NSF")
    assert current_policy().no_checks_days == 30
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cashiering_cashieringpolicy (singleton, no_checks_days, nsf_fee_code) "
            "VALUES (true, 10, 'X')"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CashieringPolicy.objects.update(no_checks_days=0)
