"""Utility billing's background jobs: thin wrappers over the services, run by a worker."""

from django.tasks import task
from django.urls import reverse

from millbrae_finance.jobs import Job, JobResult, Progress, run_job
from utility_billing.models import BillRunStatus
from utility_billing.services.bill_compute import compute_bill_run
from utility_billing.services.bill_posting import CHUNK_BILLS, post_bill_run
from utility_billing.services.bill_runs import mark_bill_run_failed, mark_posting_failed


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
    return JobResult(
        url=reverse("utility_billing:bill_run_detail", args=[run.pk]),
        label=f"Bill run {run.reference} posted: {run.bills_count} bills, "
        f"${run.amount_total:,.2f}.",
    )
