"""Bill runs as background jobs, run by real workers (`manage.py db_worker`) in processes
of their own against the test database: a posting killed with SIGKILL halfway leaves
nothing, and resumed it posts what a run that never stopped posts; two workers never
take the same job."""

import datetime
import signal
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from millbrae_finance.jobs import Job, JobState, is_abandoned
from tests.receivables.test_penalty_jobs import (
    raw_connection,
    start_worker,
    stop,
    uncommitted_writes,
    wait_until,
    waiting_on_a_lock,
)
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
)
from utility_billing.models import BillRun, BillRunStatus, UtilityTransaction
from utility_billing.services.bill_compute import compute_bill_run
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


@pytest.fixture
def billing(ub_users):
    return make_billing_cycle(ub_users)


def computed_run(billing, users, *, key="run", start=PERIOD_START, end=PERIOD_END, bill=BILL_DATE):
    run = start_bill_run(
        billing["cycle"],
        period_start=start,
        period_end=end,
        bill_date=bill,
        idempotency_key=key,
        actor=users["tech"],
    )
    compute_bill_run(run.pk)
    return run


def posted_totals() -> tuple:
    charges = UtilityTransaction.objects.filter(kind="charge")
    entries = JournalEntry.objects.filter(source_module="utility_billing")
    debits = JournalLine.objects.filter(entry__in=entries, amount__gt=0)
    return (
        entries.count(),
        charges.count(),
        charges.aggregate(total=Sum("amount"))["total"],
        debits.aggregate(total=Sum("amount"))["total"],
    )


def test_a_posting_killed_halfway_finishes_with_a_clean_runs_totals(client, billing, ub_users):
    run = computed_run(billing, ub_users)
    senior = ub_users["senior"]
    # The queued compute job of the start is done already (computed above, in process).
    Job.objects.filter(kind="bill_run").update(state=JobState.DONE)

    # Hold the run's row so the worker stops inside the posting's transaction, then the
    # job's row so that, once let go, it stops again at its first progress report: after
    # the entries are posted and the first slice of bills' charges is written.
    approve_bill_run(run, idempotency_key="post", actor=senior, chunk_bills=2)
    run.refresh_from_db()
    job = run.post_job
    run_row, job_row = raw_connection(), raw_connection()
    try:
        with run_row.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM utility_billing_billrun WHERE id = %s FOR UPDATE", [run.pk]
            )
        worker = start_worker("first")
        wait_until(lambda: waiting_on_a_lock("utility_billing_billrun"), "the run's lock", [worker])
        with job_row.cursor() as cursor:
            cursor.execute("SELECT id FROM millbrae_finance_job WHERE id = %s FOR UPDATE", [job.pk])
        run_row.rollback()
        wait_until(lambda: waiting_on_a_lock("millbrae_finance_job"), "a progress report", [worker])
        # Mid-post: the worker's transaction has written entries and charges, not committed
        # them.
        assert uncommitted_writes("utility_billing_utilitytransaction", "ledger_journalline") == 2
        worker.send_signal(signal.SIGKILL)
        stop(worker)
        assert worker.returncode == -signal.SIGKILL
    finally:
        run_row.close()
        job_row.close()

    # The killed posting left nothing: no entry, no charge; the run approved, not posted.
    assert posted_totals() == (0, 0, None, None)
    run.refresh_from_db()
    assert run.status == BillRunStatus.APPROVED
    job.refresh_from_db()
    assert (job.state, job.runs) == (JobState.RUNNING, 1)
    wait_until(lambda: is_abandoned(job), "PostgreSQL to let go of the dead worker's lock")
    client.force_login(senior)
    page = client.get(reverse("utility_billing:bill_run_detail", args=[run.pk])).content.decode()
    assert "Approved: posting" in page
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "Resume</button>" in page

    # Approved again (a second click): the same job, queued again, finished by a worker.
    again = approve_bill_run(run, idempotency_key="post", actor=senior, chunk_bills=2)
    assert again.post_job_id == job.pk
    assert not is_abandoned(Job.objects.get(pk=job.pk))
    worker = start_worker("second")
    try:
        wait_until(
            lambda: Job.objects.get(pk=job.pk).is_finished, "the posting to finish", [worker]
        )
    finally:
        stop(worker)
    job.refresh_from_db()
    assert (job.state, job.runs, job.error) == (JobState.DONE, 2, "")
    assert (job.rows_done, job.rows_total) == (4, 4)
    run.refresh_from_db()
    assert run.status == BillRunStatus.POSTED
    # A clean run's totals: three entries (one per fund), ten charges, $605.25 each way.
    assert posted_totals() == (3, 10, D("605.25"), D("605.25"))
    row = {r.subledger: r for r in reconciliation(BILL_DATE)}[Subledger.UTILITY_AR]
    assert row.reconciles and row.gl_balance == D("605.25")


def test_two_workers_never_take_the_same_job(billing, ub_users):
    # Four consecutive months of the cycle: four compute jobs, then four posting jobs
    # (and the four print files they start).
    starts = [
        (datetime.date(2026, 10, 6), datetime.date(2026, 11, 5), datetime.date(2026, 11, 10)),
        (datetime.date(2026, 11, 6), datetime.date(2026, 12, 5), datetime.date(2026, 12, 10)),
        (datetime.date(2026, 12, 6), datetime.date(2027, 1, 5), datetime.date(2027, 1, 11)),
        (datetime.date(2027, 1, 6), datetime.date(2027, 2, 5), datetime.date(2027, 2, 10)),
    ]
    runs = [
        start_bill_run(
            billing["cycle"],
            period_start=start,
            period_end=end,
            bill_date=bill,
            idempotency_key=f"two-{n}",
            actor=ub_users["tech"],
        )
        for n, (start, end, bill) in enumerate(starts)
    ]
    workers = [start_worker("one"), start_worker("two")]
    try:
        wait_until(
            lambda: Job.objects.filter(state=JobState.DONE).count() == len(runs),
            "every run to compute",
            workers,
        )
        for n, run in enumerate(runs):
            approve_bill_run(run, idempotency_key=f"post-{n}", actor=ub_users["supervisor"])
        # Each run posted, then its print file rendered (a job of its own, started by the
        # posting).
        wait_until(
            lambda: Job.objects.filter(state=JobState.DONE).count() == 3 * len(runs),
            "every run to post and print",
            workers,
        )
    finally:
        outputs = [stop(worker) for worker in workers]
    for job in Job.objects.all():
        assert (job.state, job.runs) == (JobState.DONE, 1), outputs
    from django_tasks_db.models import DBTaskResult

    for result in DBTaskResult.objects.all():
        assert result.status == "SUCCESSFUL", (result.exception_class_path, result.traceback)
        assert len(result.worker_ids) == 1
    assert set(BillRun.objects.values_list("status", flat=True)) == {BillRunStatus.POSTED}
    # The first month bills four accounts; the later ones only the storm-drain-only one
    # (no reads after 11/05 for the rest): 605.25 + 3 x 3.50.
    assert posted_totals()[1:] == (10 + 3, D("615.75"), D("615.75"))
    assert JournalEntry.objects.filter(source_module="utility_billing").count() == 3 + 3
