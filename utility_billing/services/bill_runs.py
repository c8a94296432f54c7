"""Bill runs: started by finance staff, computed in the background, approved and posted
by a lead who did not start them, or discarded before they post.

The states: computing -> computed (the proof register is ready) -> approved (posting) ->
posted; computing -> failed on an error; computing, computed or failed -> discarded. A
posting refused (a period closed meanwhile) takes the run back to computed, approval
withdrawn, with the reason shown on the run.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from ledger.models import ADJUSTMENT_PERIOD, FiscalPeriod
from millbrae_finance.jobs import resume_job, start_job
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role
from utility_billing.models import (
    BillRun,
    BillRunStatus,
    Cycle,
)
from utility_billing.models.bills import DISCARDABLE_STATUSES
from utility_billing.rating import MAX_PERIOD_DAYS
from utility_billing.services.bill_posting import CHUNK_BILLS

# Who starts a run and reviews its proof register: finance staff. Who approves and posts
# it: a lead, never the one who started it.
RUN_PREPARERS = FINANCE_STAFF
RUN_APPROVERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})


def _open_period(day: dt.date) -> FiscalPeriod:
    period = (
        FiscalPeriod.objects.select_related("fiscal_year")
        .filter(start_date__lte=day, end_date__gte=day, number__lt=ADJUSTMENT_PERIOD)
        .first()
    )
    if period is None:
        raise ValidationError({"bill_date": f"No fiscal period covers {day:%m/%d/%Y}."})
    if not period.is_open:
        raise ValidationError(
            {"bill_date": f"{period} is closed to posting: choose a bill date in an open period."}
        )
    return period


def _holding_run(cycle: Cycle, start: dt.date, end: dt.date) -> BillRun | None:
    return (
        BillRun.objects.holding()
        .filter(cycle=cycle, period_start__lte=end, period_end__gte=start)
        .order_by("period_start")
        .first()
    )


def _already_billed(run: BillRun) -> ValidationError:
    return ValidationError(
        {
            "period_start": (
                f"Cycle {run.cycle.code} is billed for {run.period_start:%m/%d/%Y} to "
                f"{run.period_end:%m/%d/%Y} by bill run {run.reference} "
                f"({run.get_status_display().split(':')[0].lower()}). A cycle is billed once "
                "for a day: discard that run first to bill these days again."
            )
        }
    )


def start_bill_run(
    cycle: Cycle,
    *,
    period_start: dt.date,
    period_end: dt.date,
    bill_date: dt.date,
    due_date: dt.date | None = None,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> BillRun:
    """Start billing a cycle for a period: the run is made and its computing queued as a
    background job. Refused, by the field at fault: a period that overlaps one the cycle
    was billed for, a bill date outside an open period, dates out of order. The same key
    again returns the same run."""
    if not idempotency_key:
        raise ValueError("Every bill run needs an idempotency key.")
    if not has_role(actor, *RUN_PREPARERS):
        raise PermissionDenied("Finance staff start bill runs.")
    existing = BillRun.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    due_date = due_date or bill_date + dt.timedelta(days=cycle.due_days)
    errors = {}
    if period_end < period_start:
        errors["period_end"] = "The period cannot end before it starts."
    elif (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        errors["period_end"] = f"A billing period is at most {MAX_PERIOD_DAYS} days."
    if bill_date < period_end:
        errors["bill_date"] = "A bill is dated on or after the last day it bills."
    if due_date < bill_date:
        errors["due_date"] = "A bill cannot be due before its bill date."
    if not cycle.is_active:
        errors["cycle"] = f"Cycle {cycle.code} is not active."
    if errors:
        raise ValidationError(errors)
    _open_period(bill_date)
    from utility_billing.tasks import compute_bill_run_job

    try:
        with transaction.atomic(durable=True):
            # The cycle's row serialises two runs started at once for it; the database's
            # trigger refuses an overlap whatever wrote the row.
            Cycle.objects.select_for_update().get(pk=cycle.pk)
            existing = BillRun.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
            held = _holding_run(cycle, period_start, period_end)
            if held is not None:
                raise _already_billed(held)
            run = BillRun.objects.create(
                cycle=cycle,
                period_start=period_start,
                period_end=period_end,
                bill_date=bill_date,
                due_date=due_date,
                idempotency_key=idempotency_key,
                prepared_by=actor,
            )
            run.job = start_job(
                compute_bill_run_job,
                kind="bill_run",
                title=f"Bill run {run.reference}: cycle {cycle.code}, "
                f"{period_start:%m/%d/%Y} to {period_end:%m/%d/%Y}",
                idempotency_key=f"bill-run:{run.pk}",
                actor=actor,
                params={"run": run.pk},
            )
            run.save(update_fields=["job"])
    except IntegrityError:
        # A double click that raced past the look-up above: the first one's run.
        existing = BillRun.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        held = _holding_run(cycle, period_start, period_end)
        if held is not None:
            raise _already_billed(held) from None
        raise
    return run


def mark_bill_run_failed(run_id: int, error: Exception) -> None:
    """A run whose computing stopped on an error: failed, with the reason in words (a
    run killed with its worker stays computing, and is resumed)."""
    if isinstance(error, ValidationError):
        text = " ".join(error.messages)
    else:
        text = (
            f"Computing stopped on an unexpected error ({type(error).__name__}); nothing was "
            "saved. Discard the run and start it again; the administrator can read the "
            "details in the worker's log."
        )
    with transaction.atomic():
        BillRun.objects.filter(pk=run_id, status=BillRunStatus.COMPUTING).update(
            status=BillRunStatus.FAILED, error=text
        )


def discard_bill_run(run: BillRun, *, actor: AbstractBaseUser) -> BillRun:
    """Throw away a run that has not been approved: its bills, lines and exception rows
    go, the run stays (discarded, with who and when), and the cycle may be run again for
    the period."""
    if not has_role(actor, *RUN_PREPARERS):
        raise PermissionDenied("Finance staff discard bill runs.")
    with transaction.atomic(durable=True):
        try:
            run = BillRun.objects.select_for_update(nowait=True).get(pk=run.pk)
        except OperationalError:
            raise ValidationError(
                f"Bill run {run.reference} is being computed or posted right now; discard "
                "it once that is done."
            ) from None
        if run.status == BillRunStatus.DISCARDED:
            return run
        if run.status not in DISCARDABLE_STATUSES:
            raise ValidationError(
                f"Bill run {run.reference} is {run.get_status_display().lower()}: only a "
                "run not yet approved can be discarded."
            )
        with connection.cursor() as cursor:
            # Lines, then bills, then exception rows: one statement each.
            for table in ("billline", "bill", "billrunexception"):
                cursor.execute(
                    f"DELETE FROM utility_billing_{table} WHERE run_id = %s",  # noqa: S608
                    [run.pk],
                )
        run.status = BillRunStatus.DISCARDED
        run.discarded_by = actor
        run.discarded_at = timezone.now()
        run.save(update_fields=["status", "discarded_by", "discarded_at"])
    return run


def approve_bill_run(
    run: BillRun,
    *,
    idempotency_key: str,
    actor: AbstractBaseUser,
    chunk_bills: int = CHUNK_BILLS,
) -> BillRun:
    """Approve a computed run and queue its posting as a background job. A lead approves,
    never whoever started the run. The same key again (a double click) returns the run
    with the same posting job; a run approved or posted already is returned as it is,
    its posting resumed if the worker posting it died."""
    if not idempotency_key:
        raise ValueError("Every approval needs an idempotency key.")
    if not has_role(actor, *RUN_APPROVERS):
        raise PermissionDenied("A senior technician or a supervisor approves bill runs.")
    from utility_billing.tasks import post_bill_run_job

    with transaction.atomic(durable=True):
        run = (
            BillRun.objects.select_for_update(of=("self",))
            .select_related("post_job")
            .get(pk=run.pk)
        )
        if run.status in (BillRunStatus.APPROVED, BillRunStatus.POSTED):
            if run.status == BillRunStatus.APPROVED and run.post_job is not None:
                resume_job(run.post_job)  # queued again only if its worker died
            return run
        if run.prepared_by_id == actor.pk:
            raise ValidationError(
                f"You started bill run {run.reference}: another lead reviews and approves it."
            )
        if run.status != BillRunStatus.COMPUTED:
            raise ValidationError(
                f"Bill run {run.reference} is {run.get_status_display().lower()}: only a "
                "computed run can be approved."
            )
        run.status = BillRunStatus.APPROVED
        run.approved_by = actor
        run.approved_at = timezone.now()
        run.error = ""
        run.post_job = start_job(
            post_bill_run_job,
            kind="bill_run_post",
            title=f"Posting bill run {run.reference}: cycle {run.cycle.code}, "
            f"{run.period_start:%m/%d/%Y} to {run.period_end:%m/%d/%Y}",
            idempotency_key=f"bill-run-post:{idempotency_key}",
            actor=actor,
            params={"run": run.pk, "chunk_bills": chunk_bills},
        )
        run.save(update_fields=["status", "approved_by", "approved_at", "error", "post_job"])
    return run


def mark_posting_failed(run_id: int, error: Exception) -> None:
    """A posting refused (a period closed meanwhile): nothing was posted; the run goes
    back to computed, its approval withdrawn, the reason shown on it."""
    if isinstance(error, ValidationError):
        text = "Posting was refused: " + " ".join(error.messages)
    else:
        text = (
            f"Posting stopped on an unexpected error ({type(error).__name__}); nothing was "
            "posted. The administrator can read the details in the worker's log."
        )
    with transaction.atomic():
        BillRun.objects.filter(pk=run_id, status=BillRunStatus.APPROVED).update(
            status=BillRunStatus.COMPUTED, approved_by=None, approved_at=None, error=text
        )
