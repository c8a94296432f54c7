"""Demo bills, imported only by seed_demo (through the registry): the demo's meter reads
billed month by month, cycle by cycle, by the bill run machinery the screens use.

Each month of a cycle is one bill run: started by the demo technician, computed, its
proof register approved by the demo senior technician (never the one who started it),
and posted: the bills, their lines, the exception rows, one journal entry per fund
(utility AR control to each fund's revenue) and one subledger charge per bill and fund,
exactly as a run the technician starts on the screen. The seed drives each run's two
jobs itself, synchronously (the task's function called here, not queued for a worker),
inside its one transaction: the demo is all or nothing, and the jobs it leaves are
finished, with their results. The worker that `make run` starts finds them done.

A run bills the days after a cycle's read day up to and including the next one, so every
read falls in exactly one run. The first run of a cycle bills the days after its
November 2024 read (reads.FIRST_BILLED_MONTH; the first rates are in force from that
month): 24 runs a cycle, to the demo's today. The months read before that are not
billed: their reads are the history the first bills' read checks stand on.

Payments (utility_billing.demo.payments) are applied between the runs, in date order, so
each bill's previous balance is what the account owed when it was computed.
"""

import datetime as dt
from collections.abc import Callable
from itertools import pairwise

from django.contrib.auth.models import User

from millbrae_finance.jobs import Job
from utility_billing.demo.payments import PaymentPlan
from utility_billing.demo.reads import FIRST_BILLED_MONTH, TODAY, read_days
from utility_billing.models import Bill, BillRun, Cycle
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run
from utility_billing.tasks import compute_bill_run_job, post_bill_run_job


def bill_periods(cycle: Cycle) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(first day, last day, bill date) of each month the demo bills the cycle for: the
    days after one read day up to the next, billed `bill_day - read_day` days after;
    from the read of the first billed month on (the rates in force start with it)."""
    days = read_days(cycle.read_day)
    lag = dt.timedelta(days=max(cycle.bill_day - cycle.read_day, 0))
    return [
        (previous + dt.timedelta(days=1), day, day + lag)
        for previous, day in pairwise(days)
        if previous >= FIRST_BILLED_MONTH
    ]


def seed_bills(log: Callable[[str], None]) -> None:
    """A posted bill run for every billed month of each cycle, started by the demo
    technician and approved by the demo senior technician, the runs of both cycles in
    bill-date order, with the payments made before each run applied before it is
    computed (and the rest to the demo's today after the last). Added once."""
    if BillRun.objects.exists():
        log("Bill runs: already seeded.")
        return
    tech = User.objects.get(username="tech")
    senior = User.objects.get(username="senior")
    payments = PaymentPlan(today=TODAY, clerk=User.objects.get(username="clerk"))
    runs = bills = exceptions = 0
    schedule = sorted(
        (bill_date, cycle.code, cycle, start, end)
        for cycle in Cycle.objects.all()
        for start, end, bill_date in bill_periods(cycle)
    )
    for bill_date, _, cycle, start, end in schedule:
        payments.apply_before(bill_date)
        key = f"demo-bill-run-{cycle.code}-{end:%Y%m%d}"
        run = start_bill_run(
            cycle,
            period_start=start,
            period_end=end,
            bill_date=bill_date,
            idempotency_key=key,
            actor=tech,
        )
        compute_bill_run_job.call(run.job_id)
        run = approve_bill_run(run, idempotency_key=f"{key}-approval", actor=senior)
        # History, never mailed: no print file (a worker would lay out 60,000 bills).
        post_job = Job.objects.get(pk=run.post_job_id)
        post_job.params = {**post_job.params, "print": False}
        post_job.save(update_fields=["params"])
        post_bill_run_job.call(run.post_job_id)
        run.refresh_from_db()
        runs += 1
        bills += run.bills_count
        exceptions += run.exceptions_count
        payments.plan(
            Bill.objects.filter(run=run)
            .order_by("account_id")
            .values_list("account_id", "account__number", "amount", "due_date")
        )
    payments.apply_before(TODAY + dt.timedelta(days=1))
    log(
        f"Bill runs: {runs} posted, {bills} bills, {exceptions} exception rows; "
        f"{payments.payments} payments in {payments.batches} daily batches."
    )
