"""Utility billing's background jobs: thin wrappers over the services, run by a worker."""

import pghistory
from django.contrib.auth.models import AbstractBaseUser
from django.tasks import task
from django.urls import reverse

from millbrae_finance.jobs import Job, JobResult, Progress, run_job, start_job
from utility_billing.models import BillRunStatus, ReadImport, ReadImportStatus
from utility_billing.services.bill_compute import compute_bill_run
from utility_billing.services.bill_posting import CHUNK_BILLS, post_bill_run
from utility_billing.services.bill_prints import render_bill_print, start_bill_print
from utility_billing.services.bill_runs import mark_bill_run_failed, mark_posting_failed
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


@task
def compute_bill_run_job(job_id: int) -> None:
    """Compute the bill run someone started (utility_billing.services.bill_runs)."""
    run_job(job_id, _compute)


def _compute(job: Job, progress: Progress) -> JobResult:
    run_id = job.params["run"]
    try:
        run = compute_bill_run(run_id, progress=progress)
    except Exception as error:
        mark_bill_run_failed(run_id, error)
        raise
    url = reverse("utility_billing:bill_run_detail", args=[run.pk])
    if run.status == BillRunStatus.DISCARDED:
        return JobResult(url=url, label=f"Bill run {run.reference} was discarded.")
    bills = f"{run.bills_count} bill{'s' if run.bills_count != 1 else ''}"
    exceptions = f"{run.exceptions_count} exception{'s' if run.exceptions_count != 1 else ''}"
    return JobResult(
        url=url,
        label=f"Bill run {run.reference}: {bills}, ${run.amount_total:,.2f}; {exceptions}. "
        "Review the proof register.",
    )


@task
def post_bill_run_job(job_id: int) -> None:
    """Post the bill run a lead approved (utility_billing.services.bill_runs)."""
    run_job(job_id, _post)


def _post(job: Job, progress: Progress) -> JobResult:
    run_id = job.params["run"]
    try:
        run = post_bill_run(
            run_id, progress=progress, chunk_bills=job.params.get("chunk_bills", CHUNK_BILLS)
        )
    except Exception as error:
        mark_posting_failed(run_id, error)
        raise
    # The bills go to print once posted: the print file renders in a job of its own
    # (started again, it is the same file and the same job). The demo's history of runs
    # is posted with "print": False (its bills were never mailed); the run page's "Make
    # the print file" starts one later.
    if job.params.get("print", True):
        start_bill_print(run, actor=job.started_by)
    return JobResult(
        url=reverse("utility_billing:bill_run_detail", args=[run.pk]),
        label=f"Bill run {run.reference} posted: {run.bills_count} bills, "
        f"${run.amount_total:,.2f}.",
    )


@task
def bill_print_job(job_id: int) -> None:
    """Render a posted run's print file (utility_billing.services.bill_prints)."""
    run_job(job_id, _bill_print)


def _bill_print(job: Job, progress: Progress) -> JobResult:
    result = render_bill_print(job.params["print_file"], job=job, progress=progress)
    run_id = result.print_file.run_id
    bills = f"{result.bills:,} bill{'s' if result.bills != 1 else ''}"
    if result.parts > 1:
        # Several files: the run's page lists them.
        return JobResult(
            url=reverse("utility_billing:bill_run_detail", args=[run_id]) + "#print-file",
            label=f"Print file: {bills} in {result.parts} files ({result.pages:,} pages)",
        )
    return JobResult(
        url=reverse("utility_billing:bill_run_print_file", args=[run_id]),
        label=f"Print file: {bills} (PDF, {result.pages:,} pages)",
    )
