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
read falls in exactly one run. Months before the books' first fiscal year (July 1, 2025,
when the City started on this system, and the first rates in force) are read but not
billed: their reads are the history the first bills' read checks and winter averages
stand on. So the demo has 24 months of reads and 16 of bills a cycle.
No payments yet: utility payments come with the counter's payment target.
"""

import datetime as dt
from collections.abc import Callable
from itertools import pairwise

from django.contrib.auth.models import User

from ledger.models import ADJUSTMENT_PERIOD, FiscalPeriod
from millbrae_finance.jobs import Job
from utility_billing.demo.reads import read_days
from utility_billing.models import BillRun, Cycle
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run
from utility_billing.tasks import compute_bill_run_job, post_bill_run_job


def bill_periods(cycle: Cycle) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(first day, last day, bill date) of each month the demo bills the cycle for: the
    days after one read day up to the next, billed `bill_day - read_day` days after;
    from the first month that starts in the books' first fiscal year (the rates in force
    start with it too)."""
    days = read_days(cycle.read_day)
    lag = dt.timedelta(days=max(cycle.bill_day - cycle.read_day, 0))
    periods = FiscalPeriod.objects.filter(number__lt=ADJUSTMENT_PERIOD)
    first_day = periods.order_by("start_date").values_list("start_date", flat=True).first()
    return [
        (previous + dt.timedelta(days=1), day, day + lag)
        for previous, day in pairwise(days)
        if first_day is not None and previous >= first_day
    ]


def seed_bills(log: Callable[[str], None]) -> None:
    """A posted bill run for every month of reads of each cycle the books are open for,
    started by the demo technician and approved by the demo senior technician. Added
    once."""
    if BillRun.objects.exists():
        log("Bill runs: already seeded.")
        return
    tech = User.objects.get(username="tech")
    senior = User.objects.get(username="senior")
    runs = bills = exceptions = 0
    for cycle in Cycle.objects.order_by("code"):
        for start, end, bill_date in bill_periods(cycle):
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
            # History, never mailed: no print file (a worker would lay out 40,000 bills).
            post_job = Job.objects.get(pk=run.post_job_id)
            post_job.params = {**post_job.params, "print": False}
            post_job.save(update_fields=["params"])
            post_bill_run_job.call(run.post_job_id)
            run.refresh_from_db()
            runs += 1
            bills += run.bills_count
            exceptions += run.exceptions_count
    log(f"Bill runs: {runs} posted, {bills} bills, {exceptions} exception rows.")
