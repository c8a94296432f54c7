"""Cashiering's background jobs: thin wrappers over the services, run by a worker."""

import pghistory
from django.contrib.auth.models import AbstractBaseUser
from django.tasks import task
from django.urls import reverse

from cashiering.models import BatchStatus, PaymentBatch
from cashiering.services.lockbox import run_lockbox_batch
from millbrae_finance.jobs import Job, JobResult, Progress, run_job, start_job


def start_lockbox_job(batch: PaymentBatch, *, actor: AbstractBaseUser) -> Job:
    """Post an uploaded lockbox file in the background; one job per batch."""
    return start_job(
        lockbox_job,
        kind="lockbox_import",
        title=f"Lockbox import: {batch.filename} ({batch.checks_count:,} payments)",
        idempotency_key=f"lockbox:{batch.idempotency_key}",
        actor=actor,
        params={"batch": batch.pk},
    )


@task
def lockbox_job(job_id: int) -> None:
    """Post an uploaded lockbox file (services.lockbox.upload_lockbox_file)."""
    run_job(job_id, _lockbox)


def _lockbox(job: Job, progress: Progress) -> JobResult:
    # The audit trail names who uploaded the file, as it would for a request.
    with pghistory.context(user=job.started_by_id, job=job.pk):
        batch = run_lockbox_batch(job.params["batch"], actor=job.started_by, progress=progress)
    url = reverse("cashiering:batch_detail", args=[batch.pk])
    if batch.status == BatchStatus.REFUSED:
        bad = len(batch.errors)
        return JobResult(
            url=url, label=f"Refused: {bad} problem{'s' if bad != 1 else ''} to fix, nothing posted"
        )
    return JobResult(
        url=url,
        label=f"Batch {batch.display_number} posted: {batch.checks_count:,} payments, "
        f"${batch.checks_total:,.2f}",
    )
