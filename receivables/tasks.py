"""Receivables' background jobs: thin wrappers over the services, run by a worker."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.tasks import task
from django.urls import reverse

from millbrae_finance.jobs import Job, JobResult, Progress, run_job, save_job_file, start_job
from millbrae_finance.roles import has_role
from receivables.documents import notices_pdf, statements_batch_pdf
from receivables.queries.aging import customers_with_balance
from receivables.queries.dunning import notices_on, plan_notices
from receivables.services.dunning import send_notices
from receivables.services.penalties import (
    BATCH_RUNNERS,
    CHUNK_ROWS,
    batch_reference,
    check_period_open,
    run_penalty_batch,
)


def start_penalty_batch(
    batch_date: dt.date,
    *,
    idempotency_key: str,
    actor: AbstractBaseUser,
    chunk_rows: int = CHUNK_ROWS,
) -> Job:
    """Start the batch as a background job and return the job: what can be refused at
    once (who, a closed period) is refused here, beside the date; the same key again
    returns the same job, and runs the batch once."""
    if not idempotency_key:
        raise ValueError("Every penalty batch needs an idempotency key.")
    if not has_role(actor, *BATCH_RUNNERS):
        raise PermissionDenied("A lead (senior technician or supervisor) posts penalties.")
    check_period_open(batch_date)
    return start_job(
        penalty_batch_job,
        kind="penalty_batch",
        title=f"Penalty batch for {batch_date:%Y-%m-%d}",
        idempotency_key=f"penalty-batch:{idempotency_key}",
        actor=actor,
        params={
            "batch_date": batch_date.isoformat(),
            "idempotency_key": idempotency_key,
            "chunk_rows": chunk_rows,
        },
    )


@task
def penalty_batch_job(job_id: int) -> None:
    """Post the penalty batch a lead started (receivables.tasks.start_penalty_batch)."""
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


def start_statement_batch(
    *, start: dt.date, as_of: dt.date, idempotency_key: str, actor: AbstractBaseUser
) -> Job:
    """Start building every customer's statement into one PDF; the same key again
    returns the same job."""
    return start_job(
        statement_batch_job,
        kind="statement_batch",
        title=f"Customer statements {start:%Y-%m-%d} to {as_of:%Y-%m-%d}",
        idempotency_key=f"statements:{idempotency_key}",
        actor=actor,
        params={"start": start.isoformat(), "as_of": as_of.isoformat()},
    )


@task
def statement_batch_job(job_id: int) -> None:
    """Build the statement batch's combined PDF (receivables.tasks.start_statement_batch)."""
    run_job(job_id, _statement_batch)


def _statement_batch(job: Job, progress: Progress) -> JobResult:
    # Read in autocommit, a slice at a time, and laid out outside any transaction: a PDF
    # of thousands of pages holds no lock and no snapshot while it renders.
    start = dt.date.fromisoformat(job.params["start"])
    as_of = dt.date.fromisoformat(job.params["as_of"])
    customer_ids = customers_with_balance(as_of)
    total = len(customer_ids)
    progress(0, total)
    if not total:
        return JobResult(url="", label="No customer has a balance: no statements to print.")
    pdf, pages = statements_batch_pdf(
        customer_ids, start=start, as_of=as_of, printed_by=_printed_by(job), progress=progress
    )
    save_job_file(
        job,
        filename=f"statements-{as_of:%Y%m%d}.pdf",
        content_type="application/pdf",
        data=pdf,
    )
    return JobResult(
        url=reverse("job_download", args=[job.pk]),
        label=f"{total} statement{'s' if total != 1 else ''} (PDF, {pages} pages)",
    )


def start_notice_run(as_of: dt.date, *, idempotency_key: str, actor: AbstractBaseUser) -> Job:
    """Start recording the day's dunning notices as a background job; the same key again
    returns the same job (and the same day again records nothing twice)."""
    return start_job(
        notice_run_job,
        kind="notice_run",
        title=f"Dunning notices for {as_of:%Y-%m-%d}",
        idempotency_key=f"notices:{idempotency_key}",
        actor=actor,
        params={"as_of": as_of.isoformat()},
    )


@task
def notice_run_job(job_id: int) -> None:
    """Record the day's dunning notices (receivables.tasks.start_notice_run)."""
    run_job(job_id, _notice_run)


def _notice_run(job: Job, progress: Progress) -> JobResult:
    as_of = dt.date.fromisoformat(job.params["as_of"])
    progress(0, len(plan_notices(as_of)))
    # All or none, in one transaction (a customer gets at most one notice a day).
    run = send_notices(as_of, actor=job.started_by)
    progress(run.planned, run.planned)
    if run.created == 0:
        label = f"No new notices for {as_of:%Y-%m-%d}: they were sent already."
    else:
        notices = f"{run.created} notice{'s' if run.created != 1 else ''}"
        label = f"{notices} recorded for {as_of:%Y-%m-%d}: print them from the list."
    return JobResult(
        url=f"{reverse('receivables:notice_list')}?as_of={as_of:%Y-%m-%d}", label=label
    )


def start_notices_pdf(day: dt.date, *, idempotency_key: str, actor: AbstractBaseUser) -> Job:
    """Start laying out a day's dunning notices into one PDF; the same key again returns
    the same job."""
    return start_job(
        notices_pdf_job,
        kind="notices_pdf",
        title=f"Dunning notices of {day:%Y-%m-%d} (PDF)",
        idempotency_key=f"notices-pdf:{idempotency_key}",
        actor=actor,
        params={"day": day.isoformat()},
    )


@task
def notices_pdf_job(job_id: int) -> None:
    """Build a day's notices PDF (receivables.tasks.start_notices_pdf)."""
    run_job(job_id, _notices_pdf)


def _notices_pdf(job: Job, progress: Progress) -> JobResult:
    day = dt.date.fromisoformat(job.params["day"])
    notices = notices_on(day)
    pdf, pages = notices_pdf(
        notices, notice_date=day, printed_by=_printed_by(job), progress=progress
    )
    save_job_file(
        job, filename=f"notices-{day:%Y%m%d}.pdf", content_type="application/pdf", data=pdf
    )
    count = f"{len(notices)} notice{'s' if len(notices) != 1 else ''}"
    return JobResult(
        url=reverse("job_download", args=[job.pk]), label=f"{count} (PDF, {pages} pages)"
    )


def _printed_by(job: Job) -> str:
    return job.started_by.get_username()
