"""The utility account target's batch path (a day's payments at once: the demo's
history, a lockbox or mail batch): checked whole and refused whole with every bad row
named; oldest bill first across an account's bills, fund by fund; an overpayment a
credit; applied once per batch key; and, posted one entry per fund, utility AR still
reconciles to the ledger to the cent."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from millbrae_finance.payment_targets import (
    BatchPayment,
    payment_target_type,
    supports_payment_batches,
)
from tests.receivables.conftest import revenue_account
from tests.utility_billing.payment_helpers import billed
from utility_billing.models import Bill, UtilityTransaction
from utility_billing.queries.payments import applied_payment
from utility_billing.services.payments import post_payment_batch

D = Decimal
PAY_DAY = datetime.date(2026, 12, 20)
TARGET = "utility-account"


@pytest.fixture
def two_bills(ub_users):
    billing = billed(ub_users, second=True)
    # Each utility fund's pooled cash: a batch's cash goes to the fund it paid.
    for fund in ("501", "502", "503"):
        revenue_account(f"{fund}-0000-1010")
    return billing


def _movements(key: str) -> list[tuple]:
    return [
        (m.account.number, m.bill_id, m.control_account.number[:3], m.amount)
        for m in UtilityTransaction.objects.filter(kind="payment", cause__startswith=f"{key}:")
        .select_related("account", "control_account")
        .order_by("id")
    ]


def _reconciles(on: datetime.date) -> bool:
    row = {r.subledger: r for r in reconciliation(on)}[Subledger.UTILITY_AR]
    return row.reconciles and row.difference == 0


def test_the_utility_account_target_takes_batches():
    assert supports_payment_batches(payment_target_type(TARGET))


def test_a_batch_with_bad_rows_is_refused_whole_with_each_row_named(two_bills, ub_users):
    a1, a2 = two_bills["accounts"]["A1"], two_bills["accounts"]["A2"]
    items = [
        BatchPayment(a1.number, D("50.00"), "L-1"),
        BatchPayment("999999", D("10.00"), "L-2"),
        BatchPayment(a2.number, D("0.00"), "L-3"),
        BatchPayment(a2.number, D("1.005"), "L-4"),
        BatchPayment(a2.number, D("5.00"), " "),
    ]
    with pytest.raises(ValidationError) as refused:
        payment_target_type(TARGET).apply_payments(
            items, as_of=PAY_DAY, batch_key="batch-bad", actor=ub_users["clerk"]
        )
    assert refused.value.messages == [
        "Payment 2: no utility account 999999.",
        "Payment 3: the payment must be more than zero.",
        "Payment 4: 1.005 is not an amount to the cent.",
        "Payment 5: a payment names its receipt.",
    ]
    assert not UtilityTransaction.objects.filter(kind="payment").exists()
    with pytest.raises(ValidationError):
        payment_target_type(TARGET).apply_payments(
            [], as_of=PAY_DAY, batch_key="batch-empty", actor=ub_users["clerk"]
        )


def test_a_batch_pays_oldest_bill_first_and_an_overpayment_is_a_credit(two_bills, ub_users):
    a1, a2 = two_bills["accounts"]["A1"], two_bills["accounts"]["A2"]
    first, second = (Bill.objects.get(account=a1, run=run) for run in two_bills["runs"])
    a2_first = Bill.objects.get(account=a2, run=two_bills["runs"][0])
    a2_owed = sum(b.amount for b in Bill.objects.filter(account=a2))
    items = [
        # A1 owes 144.80 (October) and 100.25 (November): October in full, then 50.00
        # of November split by what is open in each fund.
        BatchPayment(a1.number, D("194.80"), "L-1"),
        BatchPayment(a2.number, a2_owed + D("20.00"), "L-2"),
        # A1 again in the same batch: pays what the first payment left, then a credit.
        BatchPayment(a1.number, D("60.25"), "L-3"),
    ]
    lines = payment_target_type(TARGET).apply_payments(
        items, as_of=PAY_DAY, batch_key="batch-1", actor=ub_users["clerk"]
    )
    moved = _movements("batch-1")
    assert moved[:6] == [
        (a1.number, first.pk, "501", D("-88.50")),
        (a1.number, first.pk, "502", D("-52.80")),
        (a1.number, first.pk, "503", D("-3.50")),
        (a1.number, second.pk, "501", D("-28.05")),
        (a1.number, second.pk, "502", D("-20.20")),
        (a1.number, second.pk, "503", D("-1.75")),
    ]
    assert moved[6][:2] == (a2.number, a2_first.pk)
    assert moved[-4:] == [
        (a1.number, second.pk, "501", D("-28.20")),
        (a1.number, second.pk, "502", D("-20.30")),
        (a1.number, second.pk, "503", D("-1.75")),
        (a1.number, None, "501", D("-10.00")),
    ]
    # Each payment is the payment with key "<batch>:<n>".
    assert -sum(m.amount for m in applied_payment("batch-1:3")) == D("60.25")
    assert UtilityTransaction.objects.filter(account=a2, bill=None).get().amount == D("-20.00")
    assert a1.transactions.aggregate(t=Sum("amount"))["t"] == D("-10.00")
    assert a2.transactions.aggregate(t=Sum("amount"))["t"] == D("-20.00")
    total = sum(item.amount for item in items)
    assert sum(line.amount for line in lines) == -total
    assert len(lines) == len({line.account.pk for line in lines}) == 3


def test_a_batch_is_applied_and_posted_once_per_key(two_bills, ub_users):
    a1, a2 = two_bills["accounts"]["A1"], two_bills["accounts"]["A2"]
    items = [
        BatchPayment(a1.number, D("100.00"), "L-1"),
        BatchPayment(a2.number, D("80.00"), "L-2"),
    ]
    entries = post_payment_batch(
        items, as_of=PAY_DAY, batch_key="lockbox-1220", actor=ub_users["clerk"]
    )
    moved = _movements("lockbox-1220")
    again = post_payment_batch(
        items, as_of=PAY_DAY, batch_key="lockbox-1220", actor=ub_users["clerk"]
    )
    assert [e.pk for e in again] == [e.pk for e in entries]
    assert _movements("lockbox-1220") == moved
    assert JournalEntry.objects.filter(idempotency_key__startswith="lockbox-1220:").count() == 3
    # The same key with other payments is refused, and writes nothing.
    with pytest.raises(ValidationError, match="already applied with other payments"):
        post_payment_batch(
            items[:1], as_of=PAY_DAY, batch_key="lockbox-1220", actor=ub_users["clerk"]
        )
    assert _movements("lockbox-1220") == moved


def test_a_posted_batch_is_one_entry_a_fund_and_utility_ar_reconciles(two_bills, ub_users):
    a1, a2, a3 = (two_bills["accounts"][name] for name in ("A1", "A2", "A3"))
    items = [
        BatchPayment(a1.number, D("245.05"), "L-1"),  # both bills, in full
        BatchPayment(a2.number, D("100.01"), "L-2"),
        BatchPayment(a3.number, D("500.00"), "L-3"),  # more than owed: a credit
    ]
    entries = post_payment_batch(
        items, as_of=PAY_DAY, batch_key="lockbox-1220b", actor=ub_users["clerk"]
    )
    # One entry per fund: the fund's cash against its utility AR control account.
    funds = {}
    for entry in entries:
        lines = list(JournalLine.objects.filter(entry=entry).select_related("account"))
        assert {line.account.number[:3] for line in lines} == {lines[0].account.number[:3]}
        assert sum(line.amount for line in lines) == 0
        cash = next(line for line in lines if line.account.number.endswith("-0000-1010"))
        funds[cash.account.number[:3]] = cash.amount
    assert sorted(funds) == ["501", "502", "503"]
    assert sum(funds.values()) == sum(item.amount for item in items)
    assert _reconciles(PAY_DAY)
    paid = -UtilityTransaction.objects.filter(kind="payment").aggregate(t=Sum("amount"))["t"]
    assert paid == sum(item.amount for item in items)
