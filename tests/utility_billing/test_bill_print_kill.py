"""A run's print file laid out by a real worker (`manage.py db_worker`, its pool of PDF
processes) that is SIGKILLed halfway, worker and pool alike, as a lost host would be:
started again, the print file keeps the chunks finished before the kill, lays out only
the rest, and is the file a worker that never stopped makes."""

import io
import os
import signal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from millbrae_finance.jobs import Job, JobState, is_abandoned
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.test_penalty_jobs import (
    raw_connection,
    start_worker,
    stop,
    wait_until,
    waiting_on_a_lock,
)
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
)
from tests.utility_billing.test_bill_pdfs import page_account
from utility_billing.models import BillPrintFile, BillPrintPart, BillRunStatus
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_print_file_killed_halfway_keeps_its_chunks_and_finishes(client, ub_users, monkeypatch):
    billing = make_billing_cycle(ub_users)
    # A chunk a bill: four chunks, so the kill falls between them.
    monkeypatch.setattr("utility_billing.services.bill_prints.CHUNK_BILLS", 1)
    run = start_bill_run(
        billing["cycle"],
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=BILL_DATE,
        idempotency_key="run-1",
        actor=ub_users["tech"],
    )
    run_queued_jobs()
    approve_bill_run(run, idempotency_key="approve-1", actor=ub_users["senior"])
    run_queued_jobs()  # posts it; its print file is planned and queued, not laid out
    run.refresh_from_db()
    assert run.status == BillRunStatus.POSTED
    print_file = BillPrintFile.objects.get(run=run)
    job = print_file.job
    assert print_file.chunks.count() == 4
    assert job.state == JobState.QUEUED

    # Hold the last chunk's row: the worker lays the chunks out, keeps those done first,
    # and stops when it comes to keep the last. Then the whole process group is killed.
    last = raw_connection()
    try:
        with last.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM utility_billing_billprintchunk"
                " WHERE print_file_id = %s AND position = 4 FOR UPDATE",
                [print_file.pk],
            )
        worker = start_worker("first", own_group=True)
        wait_until(
            lambda: waiting_on_a_lock("utility_billing_billprintchunk"),
            "the worker to keep the last chunk",
            [worker],
        )
        kept = dict(
            print_file.chunks.filter(data__isnull=False).values_list("position", "rendered_at")
        )
        os.killpg(worker.pid, signal.SIGKILL)
        stop(worker)
        assert worker.returncode == -signal.SIGKILL
    finally:
        last.close()

    # Killed halfway: some chunks kept, the last not, no file; the job is abandoned.
    assert 1 <= len(kept) < 4 and 4 not in kept
    assert not BillPrintPart.objects.filter(print_file=print_file).exists()
    wait_until(lambda: is_abandoned(Job.objects.get(pk=job.pk)), "the dead worker's lock")

    # A lead asks for the print file again from the run's page: the same job, queued again.
    client.force_login(ub_users["senior"])
    response = client.post(reverse("utility_billing:bill_run_print", args=[run.pk]))
    assert response.status_code == 302
    assert BillPrintFile.objects.get(run=run).job_id == job.pk
    worker = start_worker("second", own_group=True)
    try:
        wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, "the print file", [worker])
    finally:
        stop(worker)

    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.DONE, "")
    assert job.rows_done == job.rows_total == 4
    after = dict(print_file.chunks.values_list("position", "rendered_at"))
    # The chunks kept before the kill were not laid out again; the rest were.
    assert {position: after[position] for position in kept} == kept
    assert all(after.values())
    data = bytes(BillPrintPart.objects.get(print_file=print_file).data)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    numbers = [billing["accounts"][name].number for name in ("A1", "A2", "A3", "A8")]
    assert [page_account(page) for page in pages] == numbers
