"""Receivables' background jobs: thin wrappers over the services, run by a worker."""

import datetime as dt

from django.tasks import task
from django.urls import reverse

from millbrae_finance.jobs import Job, JobResult, Progress, run_job
from receivables.penalties import batch_reference, run_penalty_batch


@task
def penalty_batch_job(job_id: int) -> None:
    """Post the penalty batch a lead started (receivables.penalties.start_penalty_batch)."""
    run_job(job_id, _penalty_batch)


def _penalty_batch(job: Job, progress: Progress) -> JobResult:
    batch = run_penalty_batch(
        dt.date.fromisoformat(job.params["batch_date"]),
        idempotency_key=job.params["idempotency_key"],
        actor=job.started_by,
        progress=progress,
        chunk_rows=job.params["chunk_rows"],
    )
    charges = f"{batch.items_charged} charge{'s' if batch.items_charged != 1 else ''}"
    return JobResult(
        url=reverse("receivables:penalty_batch_detail", args=[batch.pk]),
        label=f"Penalty batch {batch_reference(batch)}: {charges}, ${batch.total:,.2f}",
    )
