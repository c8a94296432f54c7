"""Utility billing benchmark: bill PDFs a second, an account's bill alone (one PDF laid
out in the request's process) and a posted run's print file (chunks laid out in a pool
of one process per core, then joined). Goal (issue 10): at least 30 bills a second on
2 cores. Each beside a baseline measured in the same run: minimal one-page PDFs a second
through the same helper (WeasyPrint's own cost of a document, whatever the machine).

Each is reported twice: bills a second of wall time, and bills a CPU second (this
process's CPU and, for the print file, its pool's processes'), which a machine shared
with other work does not skew: 30 bills a second on 2 cores needs 15 a CPU second."""

import resource
import time

from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.jobs import Progress
from millbrae_finance.pdf import html_to_pdf
from utility_billing.benchmarks.bill_runs import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    _chart,
    _rates,
    _users,
    load_cycle,
)
from utility_billing.documents import bill_pdf
from utility_billing.models import Bill, BillRun
from utility_billing.services.bill_compute import compute_bill_run
from utility_billing.services.bill_posting import post_bill_run
from utility_billing.services.bill_prints import render_bill_print, start_bill_print
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

ACCOUNTS = 1_200
QUICK_ACCOUNTS = 60
SINGLE_BILLS = 60
MINIMAL_PDFS = 60
MINIMAL_HTML = "<!doctype html><html><body><p>One page.</p></body></html>"


def _posted_run(count: int) -> BillRun:
    accounts = _chart()
    tech, senior = _users()
    cycle = load_cycle(count, code="BP1", tech=tech, schedules=_rates(accounts, tech, senior))
    run = start_bill_run(
        cycle,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=BILL_DATE,
        idempotency_key="bench-bill-pdf-run",
        actor=tech,
    )
    compute_bill_run(run.pk)
    approve_bill_run(run, idempotency_key="bench-bill-pdf-post", actor=senior)
    return post_bill_run(run.pk)


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (a pool's, once it
    is shut down)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _per_second(count: int, work) -> tuple[float, float]:
    """Bills a second of wall time, and a second of CPU time."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    work()
    return count / (time.perf_counter() - start), count / (_cpu_seconds() - cpu)


def bill_pdf_workload(context: BenchmarkContext) -> None:
    """A run's bills as PDFs: one account's at a time, and the run's print file."""
    # Quick: enough bills for two chunks in the pool, no more (it checks, not measures).
    count = QUICK_ACCOUNTS if context.quick else ACCOUNTS
    run = _posted_run(count)
    if run.bills_count != count:
        raise RuntimeError(f"The run billed {run.bills_count} of {count}.")
    singles = context.size(SINGLE_BILLS)
    minimal = context.size(MINIMAL_PDFS)

    html_to_pdf(MINIMAL_HTML)  # fonts and the stylesheet machinery loaded once, untimed
    baseline = _per_second(minimal, lambda: [html_to_pdf(MINIMAL_HTML) for _ in range(minimal)])

    bills = list(Bill.objects.filter(run=run).select_related("account").order_by("pk")[:singles])
    bill_pdf(bills[0]).response()  # warm: the template compiled, untimed
    per_account = _per_second(len(bills), lambda: [bill_pdf(bill).response() for bill in bills])

    senior = run.approved_by
    print_file = start_bill_print(run, actor=senior)
    progress = Progress(print_file.job_id)
    combined = _per_second(
        count,
        lambda: render_bill_print(print_file.pk, job=print_file.job, progress=progress),
    )
    progress.close()

    for name, figures in [("bill_pdf_per_account", per_account), ("bill_pdf_combined", combined)]:
        for suffix, unit, value, base in [
            ("", "bills/s", figures[0], baseline[0]),
            ("_cpu", "bills/cpu-s", figures[1], baseline[1]),
        ]:
            context.report(name + suffix, value, unit, baseline="minimal_pdf", baseline_value=base)
