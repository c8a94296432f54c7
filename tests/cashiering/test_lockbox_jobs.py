"""A lockbox file posted by real workers (`manage.py db_worker`) in processes of their own
against the test database: a worker killed with SIGKILL while the batch is locked leaves
nothing posted; the job resumed, a second worker posts the file once."""

import signal

import pytest
from django.db.models import Sum

from cashiering.models import BatchStatus
from cashiering.services.lockbox import upload_lockbox_file
from ledger.models import JournalEntry
from millbrae_finance.jobs import Job, JobState, is_abandoned, resume_job
from tests.receivables.test_penalty_jobs import (
    raw_connection,
    start_worker,
    stop,
    wait_until,
    waiting_on_a_lock,
)
from utility_billing.models import UtilityTransaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lockbox_job_killed_and_resumed_posts_the_file_once(request):
    counter = request.getfixturevalue("counter")
    a1, a2 = (counter["billing"]["accounts"][n].number for n in ("A1", "A2"))
    content = (
        "account_number,amount,paid_on,check_number,payer_name\n"
        f"{a1},144.80,2026-12-18,5512,Maria Garcia\n"
        f"{a2},60.00,2026-12-18,,\n"
        "TOTAL,204.80,2\n"
    )
    batch = upload_lockbox_file(
        filename="lockbox-1218.csv",
        content=content,
        idempotency_key="lockbox-1218",
        actor=counter["users"]["tech"],
    )
    job = Job.objects.get(pk=batch.job_id)

    held = raw_connection()
    try:
        with held.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM cashiering_paymentbatch WHERE id = %s FOR UPDATE", [batch.pk]
            )
        worker = start_worker("first")
        wait_until(
            lambda: waiting_on_a_lock("cashiering_paymentbatch"), "the batch's lock", [worker]
        )
        worker.send_signal(signal.SIGKILL)
        stop(worker)
        assert worker.returncode == -signal.SIGKILL
    finally:
        held.close()

    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    assert not UtilityTransaction.objects.filter(kind="payment").exists()
    wait_until(lambda: is_abandoned(Job.objects.get(pk=job.pk)), "the dead worker's lock to go")
    assert resume_job(job)

    worker = start_worker("second")
    try:
        wait_until(
            lambda: Job.objects.get(pk=job.pk).state in (JobState.DONE, JobState.FAILED),
            "the job to finish",
            [worker],
        )
    finally:
        stop(worker)
    job.refresh_from_db()
    assert (job.state, job.runs, job.rows_done, job.rows_total) == (JobState.DONE, 2, 2, 2)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED and batch.in_bank
    assert JournalEntry.objects.filter(source_document=batch.display_number).count() == 1
    paid = UtilityTransaction.objects.filter(kind="payment").aggregate(t=Sum("amount"))["t"]
    assert paid == -batch.checks_total
    assert str(batch.checks_total) == "204.80"
