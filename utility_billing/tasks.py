"""Utility billing's background jobs: thin wrappers over the services, run by a worker."""

import pghistory
from django.contrib.auth.models import AbstractBaseUser
from django.tasks import task
from django.urls import reverse

from millbrae_finance.jobs import Job, JobResult, Progress, run_job, start_job
from utility_billing.models import ReadImport, ReadImportStatus
from utility_billing.services.read_imports import run_read_import


def start_read_import_job(read_import: ReadImport, *, actor: AbstractBaseUser) -> Job:
    """Check and import a large read file in the background; one job per upload."""
    return start_job(
        read_import_job,
        kind="read_import",
        title=f"Meter read import: {read_import.filename} ({read_import.rows:,} rows)",
        idempotency_key=f"read-import:{read_import.idempotency_key}",
        actor=actor,
        params={"read_import": read_import.pk},
    )


@task
def read_import_job(job_id: int) -> None:
    """Check and import an uploaded read file (services.read_imports.upload_read_file)."""
    run_job(job_id, _read_import)


def _read_import(job: Job, progress: Progress) -> JobResult:
    read_import = ReadImport.objects.get(pk=job.params["read_import"])
    # The audit trail names who uploaded the file, as it would for a request.
    with pghistory.context(user=job.started_by_id, job=job.pk):
        read_import = run_read_import(read_import, progress=progress)
    url = reverse("utility_billing:read_import_detail", args=[read_import.pk])
    if read_import.status == ReadImportStatus.REFUSED:
        bad = len(read_import.errors)
        label = f"Refused: {bad} row{'s' if bad != 1 else ''} to fix, nothing imported"
    else:
        label = (
            f"{read_import.reads_created:,} reads imported, "
            f"{read_import.exceptions:,} with an exception to review"
        )
    return JobResult(url=url, label=label)
