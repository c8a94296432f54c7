"""Posted bills to pay, and a payment made the way the counter makes one: applied
through the payment-target registry and posted with the cash under one key.

Bills: the cycle of billing_helpers, posted for October (run 1: A1 owes 144.80, of which
501 88.50, 502 52.80, 503 3.50) and, with `second=True`, for November (run 2: A1 reads 5
HCF: water 30 + 26.25 = 56.25, sewer 20 + 20.50 = 40.50, storm 3.50 -> 100.25)."""

import datetime
from decimal import Decimal

from django.db import transaction

from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.payment_targets import CreditLine, payment_target_type
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import make_ar_chart, revenue_account
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
    read,
)
from utility_billing.models import BillRun, Meter
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

D = Decimal
day = datetime.date
SECOND_START = day(2026, 11, 6)
SECOND_END = day(2026, 12, 5)
SECOND_BILL_DATE = day(2026, 12, 10)
CASH = "101-0000-1010"


def post_run(billing, users, *, start, end, bill_date, key) -> BillRun:
    run = start_bill_run(
        billing["cycle"],
        period_start=start,
        period_end=end,
        bill_date=bill_date,
        idempotency_key=key,
        actor=users["tech"],
    )
    run_queued_jobs()
    run.refresh_from_db()
    approve_bill_run(run, idempotency_key=f"approve-{key}", actor=users["senior"])
    run_queued_jobs()
    run.refresh_from_db()
    return run


def make_interfund_chart() -> None:
    """Pooled cash in the General Fund, and due-to/due-from accounts in the utility
    funds: a payment's entry debits cash in 101 and credits utility AR in 501-503."""
    make_ar_chart()
    for fund in ("501", "502", "503"):
        revenue_account(f"{fund}-0000-1310")
        revenue_account(f"{fund}-0000-2110")


def billed(users, *, second: bool = False) -> dict:
    """The billing cycle with run 1 posted (and run 2 if `second`)."""
    billing = make_billing_cycle(users)
    make_interfund_chart()
    billing["runs"] = [
        post_run(
            billing, users, start=PERIOD_START, end=PERIOD_END, bill_date=BILL_DATE, key="run-1"
        )
    ]
    if second:
        billing["runs"].append(post_second_run(billing, users))
    return billing


def post_second_run(billing, users) -> BillRun:
    meter = Meter.objects.get(serial="M-A1")
    read(meter, SECOND_END, "5", users["tech"], reading="1005")
    return post_run(
        billing,
        users,
        start=SECOND_START,
        end=SECOND_END,
        bill_date=SECOND_BILL_DATE,
        key="run-2",
    )


def pay(
    reference: str,
    amount: str,
    *,
    key: str,
    actor,
    on: datetime.date,
    kind: str = "utility-account",
    receipt: str = "R-000042",
) -> list[CreditLine]:
    """What the counter does with one receipt: apply the payment through the registry and
    post the cash with the credit lines, one transaction, one key for both."""
    with transaction.atomic():
        credits = payment_target_type(kind).apply_payment(
            reference,
            amount=D(amount),
            as_of=on,
            receipt=receipt,
            actor=actor,
            payment_key=key,
        )
        post_entry(
            entry_date=on,
            lines=[LineSpec(Account.objects.get(number=CASH), D(amount))]
            + [LineSpec(line.account, line.amount, line.memo) for line in credits],
            memo=f"Payment on {reference}",
            source_module="cashiering",
            source_document=receipt,
            idempotency_key=key,
            prepared_by=actor,
        )
    return list(credits)
