"""The penalty batch as a background job, run by real workers (`manage.py db_worker`) in
processes of their own against the test database: killed with SIGKILL halfway and
started again it charges what a run that never stopped charges; two workers never take
the same job."""

import datetime
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from millbrae_finance.jobs import Job, JobState, is_abandoned
from receivables.models import ArKind, ArTransaction, Citation, PenaltyBatch
from receivables.queries.penalties import preview_penalty_batch
from receivables.tasks import start_penalty_batch
from tests.processes import program_env
from tests.receivables.conftest import make_citation
from tests.receivables.penalty_helpers import make_rules

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.date(2026, 11, 16)


@pytest.fixture
def due(ar_fees, ar_users):
    """The demo rules and five parking citations each owing both late penalties."""
    make_rules()
    for number in range(101, 106):
        make_citation(
            actor=ar_users["tech"], number=f"P{number}", issue_date=DAY.replace(day=1, month=9)
        )


def start_worker(worker_id: str, *, own_group: bool = False) -> subprocess.Popen:
    """A `db_worker` on this test's database; with `own_group`, in a process group of its
    own, so that a kill of the group reaches the processes it starts (a PDF pool)."""
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval=0.1",
            f"--worker-id={worker_id}",
        ],
        cwd=settings.BASE_DIR,
        env=program_env(test_database=True, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_group,
    )


def stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    if worker.poll() is None:
        worker.send_signal(sig)
    try:
        output, _ = worker.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output


def wait_until(condition: Callable[[], bool], what: str, workers=()) -> None:
    """Poll until `condition` holds; a guard against hanging, not a timing assertion."""
    deadline = time.monotonic() + 120
    while not condition():
        for worker in workers:
            if worker.poll() is not None:
                raise AssertionError(f"worker exited while waiting for {what}: {stop(worker)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def waiting_on_a_lock(table: str) -> bool:
    """Another session (the worker's) waits for a row lock while running SQL on `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s",
            [f"%{table}%"],
        )
        return cursor.fetchone()[0] > 0


def uncommitted_writes(*tables: str) -> int:
    """How many of `tables` another session of this database (the worker's) holds a write
    lock on: rows written in a transaction not yet committed. Other databases on the server
    (the other xdist workers') are not counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = ANY(%s) AND l.mode = 'RowExclusiveLock'"
            " AND l.pid <> pg_backend_pid() AND l.database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())",
            [list(tables)],
        )
        return cursor.fetchone()[0]


def raw_connection():
    """A connection of the test's own beside Django's, to hold a lock while it works."""
    return connection.get_new_connection(connection.get_connection_params())


def penalty_totals() -> tuple[int, Decimal, Decimal]:
    charges = ArTransaction.objects.filter(kind=ArKind.PENALTY)
    balances = Citation.objects.aggregate(total=Sum("balance"))["total"]
    return charges.count(), charges.aggregate(total=Sum("amount"))["total"], balances


def test_a_batch_killed_halfway_finishes_with_a_clean_runs_totals(client, due, ar_users):
    preview = preview_penalty_batch(DAY)
    assert preview.items == 10
    balances_before = Citation.objects.aggregate(total=Sum("balance"))["total"]
    senior = ar_users["senior"]

    # Hold the last citation so the worker stops inside the batch's transaction, then
    # hold the job's row so that, once let go, it stops again at its first progress
    # report: after the entry is posted and the first slice of charges is written.
    items, job_row = raw_connection(), raw_connection()
    try:
        with items.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM receivables_citation ORDER BY id DESC LIMIT 1 FOR UPDATE"
            )
        job = start_penalty_batch(DAY, idempotency_key="kill", actor=senior, chunk_rows=3)
        worker = start_worker("first")
        wait_until(lambda: waiting_on_a_lock("receivables_citation"), "the item lock", [worker])
        with job_row.cursor() as cursor:
            cursor.execute("SELECT id FROM millbrae_finance_job WHERE id = %s FOR UPDATE", [job.pk])
        items.rollback()
        wait_until(lambda: waiting_on_a_lock("millbrae_finance_job"), "a progress report", [worker])
        # Mid-batch: the worker's transaction has written charges, not committed them.
        assert uncommitted_writes("receivables_artransaction") == 1
        worker.send_signal(signal.SIGKILL)
        stop(worker)
        assert worker.returncode == -signal.SIGKILL
    finally:
        items.close()
        job_row.close()

    # The killed run left nothing: no batch, no charge, the job still marked running.
    assert not PenaltyBatch.objects.exists()
    assert penalty_totals() == (0, None, balances_before)
    job.refresh_from_db()
    assert (job.state, job.runs) == (JobState.RUNNING, 1)
    wait_until(lambda: is_abandoned(job), "PostgreSQL to let go of the dead worker's lock")
    # Its page says so, and offers whoever started it to resume it.
    client.force_login(senior)
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "The worker running this job stopped before it finished." in page
    assert "Resume</button>" in page

    # Started again (the same key, as a second click would): the same job, finished.
    again = start_penalty_batch(DAY, idempotency_key="kill", actor=senior, chunk_rows=3)
    assert again.pk == job.pk
    again.refresh_from_db()
    assert not is_abandoned(again)  # queued again: a second click queues nothing more
    worker = start_worker("second")
    try:
        wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, "the job to finish", [worker])
    finally:
        stop(worker)
    job.refresh_from_db()
    assert (job.state, job.runs, job.error) == (JobState.DONE, 2, "")
    assert (job.rows_done, job.rows_total) == (10, 10)
    batch = PenaltyBatch.objects.get()
    assert (batch.items_charged, batch.total) == (preview.items, preview.total)
    assert penalty_totals() == (10, preview.total, balances_before + preview.total)
    assert job.result_url == f"/receivables/penalty-batches/{batch.pk}/"
    assert batch.journal_entry.lines.filter(amount__gt=0).aggregate(t=Sum("amount"))["t"] == (
        preview.total
    )

    # Started a third time: the job is done, nothing is queued or charged again.
    start_penalty_batch(DAY, idempotency_key="kill", actor=senior, chunk_rows=3)
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    # The killed run's task stays RUNNING (its worker died); the resumed one succeeded.
    assert DBTaskResult.objects.get(pk=job.task_result_id).status == "SUCCESSFUL"
    assert penalty_totals()[0] == 10


def test_two_workers_never_take_the_same_job(due, ar_users):
    senior = ar_users["senior"]
    jobs = [start_penalty_batch(DAY, idempotency_key=f"two-{n}", actor=senior) for n in range(8)]
    workers = [start_worker("one"), start_worker("two")]
    try:
        wait_until(
            lambda: Job.objects.filter(state=JobState.DONE).count() == len(jobs),
            "every job to finish",
            workers,
        )
    finally:
        outputs = [stop(worker) for worker in workers]
    for job in Job.objects.all():
        assert (job.state, job.runs) == (JobState.DONE, 1), outputs
    results = DBTaskResult.objects.all()
    assert results.count() == len(jobs)
    for result in results:
        assert result.status == "SUCCESSFUL", (result.exception_class_path, result.traceback)
        assert len(result.worker_ids) == 1
        assert result.worker_ids[0] in {"one", "two"}
    # The first job charged the day; the others found it charged and returned that batch.
    batch = PenaltyBatch.objects.get()
    assert batch.items_charged == 10
    assert penalty_totals()[0] == 10
