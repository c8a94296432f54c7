"""Utility accounts as payment targets: found by number, name or address; a payment goes
to the oldest bill first, fund by fund; an overpayment is a credit the next bills use; a
payment is applied once per key, however many requests repeat it; and utility AR still
reconciles to the ledger to the cent once the cash entry posts."""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from ledger.models import JournalEntry, Subledger
from ledger.reconciliation import reconciliation
from millbrae_finance.payment_targets import find_payment_targets, payment_target_type
from tests.utility_billing.payment_helpers import (
    SECOND_BILL_DATE,
    billed,
    pay,
    post_second_run,
)
from utility_billing.models import Bill, UtilityTransaction
from utility_billing.queries.payments import open_parts

D = Decimal
PAY_DAY = datetime.date(2026, 12, 20)
TARGET = "utility-account"


def _payments(key: str) -> list[UtilityTransaction]:
    return list(
        UtilityTransaction.objects.filter(kind="payment", cause__startswith=f"{key}:")
        .select_related("control_account")
        .order_by("id")
    )


def _by_bill_and_fund(key: str) -> list[tuple]:
    return [(m.bill_id, m.control_account.number[:3], m.amount) for m in _payments(key)]


def _reconciles(on: datetime.date) -> bool:
    row = {r.subledger: r for r in reconciliation(on)}[Subledger.UTILITY_AR]
    return row.reconciles and row.difference == 0


def _balance(account) -> Decimal:
    return account.transactions.aggregate(t=Sum("amount"))["t"]


@pytest.fixture
def two_bills(ub_users):
    return billed(ub_users, second=True)


@time_machine.travel(datetime.datetime(2026, 12, 20, 12, 0), tick=False)
def test_the_counter_finds_an_account_by_number_name_or_address(two_bills):
    a1 = two_bills["accounts"]["A1"]
    for text in (a1.number, a1.customer.name.split()[0], "101 elm", "Elm 101"):
        found = [m for m in find_payment_targets(text, limit=50) if m.kind == TARGET]
        assert a1.number in [m.reference for m in found], text
    match = next(m for m in find_payment_targets(a1.number) if m.reference == a1.number)
    assert (
        match.amount_due
        == D("144.80") + Bill.objects.get(account=a1, run=two_bills["runs"][1]).amount
    )
    assert "101 Elm St" in match.label
    assert match.customer.startswith(a1.customer.number)


def test_a_payment_goes_to_the_oldest_bill_first_fund_by_fund(two_bills, ub_users):
    a1 = two_bills["accounts"]["A1"]
    first, second = (Bill.objects.get(account=a1, run=run) for run in two_bills["runs"])
    assert second.amount == D("100.25")
    lines = pay(a1.number, "194.80", key="receipt-1", actor=ub_users["clerk"], on=PAY_DAY)
    # The October bill in full, fund by fund; then 50.00 of November's split by what is
    # open in each fund (56.25 / 40.50 / 3.50 of 100.25), to the cent.
    assert _by_bill_and_fund("receipt-1") == [
        (first.pk, "501", D("-88.50")),
        (first.pk, "502", D("-52.80")),
        (first.pk, "503", D("-3.50")),
        (second.pk, "501", D("-28.05")),
        (second.pk, "502", D("-20.20")),
        (second.pk, "503", D("-1.75")),
    ]
    assert {line.account.number: line.amount for line in lines} == {
        "501-0000-1110": D("-116.55"),
        "502-0000-1110": D("-73.00"),
        "503-0000-1110": D("-5.25"),
    }
    movement = _payments("receipt-1")[0]
    assert (movement.reference, movement.cause) == (
        "R-000042",
        f"receipt-1:bill-{first.pk}:fund-501",
    )
    assert payment_target_type(TARGET).amount_due(a1.number, as_of=PAY_DAY) == D("50.25")
    assert [(p.bill_id, p.open) for p in open_parts(a1, as_of=PAY_DAY)] == [
        (second.pk, D("28.20")),
        (second.pk, D("20.30")),
        (second.pk, D("1.75")),
    ]
    assert _reconciles(PAY_DAY)


def test_an_overpayment_is_a_credit_the_next_bill_uses(ub_users):
    billing = billed(ub_users)
    a1 = billing["accounts"]["A1"]
    on = datetime.date(2026, 11, 20)
    lines = pay(a1.number, "164.80", key="receipt-2", actor=ub_users["clerk"], on=on)
    credit = _payments("receipt-2")[-1]
    assert (credit.bill_id, credit.control_account.number, credit.amount) == (
        None,
        "501-0000-1110",
        D("-20.00"),
    )
    assert credit.cause == "receipt-2:fund-501"
    assert {line.account.number: line.amount for line in lines}["501-0000-1110"] == D("-108.50")
    assert _balance(a1) == D("-20.00")
    target = payment_target_type(TARGET)
    assert target.amount_due(a1.number, as_of=on) == 0
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, 0), tick=False):
        match = next(m for m in find_payment_targets(a1.number) if m.reference == a1.number)
    assert "credit 20.00" in match.label
    # The next bill: the credit comes off its oldest part first.
    second_run = post_second_run(billing, ub_users)
    second = Bill.objects.get(account=a1, run=second_run)
    assert target.amount_due(a1.number, as_of=SECOND_BILL_DATE) == D("80.25")
    assert [(p.bill_id, p.control_number[:3], p.open) for p in open_parts(
        a1, as_of=SECOND_BILL_DATE
    )] == [(second.pk, "501", D("36.25")), (second.pk, "502", D("40.50")), (second.pk, "503", D("3.50"))]  # fmt: skip
    pay(a1.number, "80.25", key="receipt-3", actor=ub_users["clerk"], on=PAY_DAY)
    assert _by_bill_and_fund("receipt-3") == [
        (second.pk, "501", D("-36.25")),
        (second.pk, "502", D("-40.50")),
        (second.pk, "503", D("-3.50")),
    ]
    assert _balance(a1) == 0
    assert open_parts(a1, as_of=PAY_DAY) == []
    assert _reconciles(PAY_DAY)


def test_a_payment_on_an_account_that_owes_nothing_is_all_credit(two_bills, ub_users):
    a6 = two_bills["accounts"]["A6"]  # the owner without service: never billed
    lines = pay(a6.number, "25.00", key="receipt-4", actor=ub_users["clerk"], on=PAY_DAY)
    assert [(line.account.number, line.amount) for line in lines] == [
        ("501-0000-1110", D("-25.00"))
    ]
    assert _balance(a6) == D("-25.00")


def test_a_repeat_with_the_same_key_writes_nothing(two_bills, ub_users):
    a1 = two_bills["accounts"]["A1"]
    clerk = ub_users["clerk"]
    first = pay(a1.number, "300.00", key="receipt-5", actor=clerk, on=PAY_DAY)
    movements = UtilityTransaction.objects.count()
    # Paid off since (and over): the repeat still answers with the first payment.
    again = pay(a1.number, "300.00", key="receipt-5", actor=clerk, on=PAY_DAY)
    assert again == first
    assert UtilityTransaction.objects.count() == movements
    assert JournalEntry.objects.filter(idempotency_key="receipt-5").count() == 1
    assert _balance(a1) == D("144.80") + D("100.25") - D("300.00")
    assert _reconciles(PAY_DAY)


def test_the_same_key_for_another_amount_or_account_is_refused(two_bills, ub_users):
    accounts = two_bills["accounts"]
    clerk = ub_users["clerk"]
    pay(accounts["A1"].number, "10.00", key="receipt-6", actor=clerk, on=PAY_DAY)
    target = payment_target_type(TARGET)
    for reference, amount in ((accounts["A1"].number, "11.00"), (accounts["A2"].number, "10.00")):
        with pytest.raises(ValidationError) as refused:
            target.apply_payment(
                reference,
                amount=D(amount),
                as_of=PAY_DAY,
                receipt="R-000042",
                actor=clerk,
                payment_key="receipt-6",
            )
        assert "already applied" in str(refused.value.message_dict["amount"])
    assert len(_payments("receipt-6")) == 3  # one per fund of the October bill


def test_bad_input_is_refused_by_field(two_bills, ub_users):
    target = payment_target_type(TARGET)
    a1 = two_bills["accounts"]["A1"]
    cases = [
        ("999999", "10.00", "reference"),
        (a1.number, "0.00", "amount"),
        (a1.number, "-5.00", "amount"),
        (a1.number, "1.005", "amount"),
    ]
    for reference, amount, field in cases:
        with pytest.raises(ValidationError) as refused:
            target.apply_payment(
                reference,
                amount=D(amount),
                as_of=PAY_DAY,
                receipt="R-1",
                actor=ub_users["clerk"],
                payment_key=f"bad-{amount}",
            )
        assert field in refused.value.message_dict, (reference, amount)
    with pytest.raises(ValidationError):
        target.amount_due("nope", as_of=PAY_DAY)
    assert UtilityTransaction.objects.filter(kind="payment").count() == 0


def _in_threads(count: int, call) -> list[BaseException]:
    """Run `call` from `count` threads released together, each on its own connection."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            call()
        except BaseException as error:  # collected and inspected by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_ten_threads_with_one_receipt_apply_the_payment_once(request):
    users = request.getfixturevalue("ub_users")
    billing = billed(users, second=True)
    a1 = billing["accounts"]["A1"]
    clerk = users["clerk"]

    errors = _in_threads(
        10, lambda: pay(a1.number, "194.80", key="receipt-7", actor=clerk, on=PAY_DAY)
    )

    assert errors == []
    assert len(_payments("receipt-7")) == 6
    assert JournalEntry.objects.filter(idempotency_key="receipt-7").count() == 1
    assert _balance(a1) == D("50.25")
    assert _reconciles(PAY_DAY)
