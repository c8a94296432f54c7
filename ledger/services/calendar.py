"""The fiscal calendar's writes: a fiscal year and its periods, and closing or reopening a
period to posting. Which period a date falls in is a read: ledger.queries.calendar."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.models import ADJUSTMENT_PERIOD, FiscalPeriod, FiscalYear, PeriodStatus
from millbrae_finance.roles import Role, has_role


def create_fiscal_year(year: int, *, actor: AbstractBaseUser | None = None) -> FiscalYear:
    """Create fiscal year `year` (July 1 of year-1 to June 30 of year) with twelve monthly
    periods and the adjustment period. Creating one that exists returns it."""
    with transaction.atomic():
        fiscal_year, created = FiscalYear.objects.get_or_create(
            year=year,
            defaults={"start_date": dt.date(year - 1, 7, 1), "end_date": dt.date(year, 6, 30)},
        )
        if created:
            periods = []
            for number in range(1, 13):
                month = (number + 5) % 12 + 1  # period 1 is July
                calendar_year = year - 1 if month >= 7 else year
                start = dt.date(calendar_year, month, 1)
                next_month = dt.date(calendar_year + (month == 12), month % 12 + 1, 1)
                periods.append(
                    FiscalPeriod(
                        fiscal_year=fiscal_year,
                        number=number,
                        start_date=start,
                        end_date=next_month - dt.timedelta(days=1),
                    )
                )
            periods.append(
                FiscalPeriod(
                    fiscal_year=fiscal_year,
                    number=ADJUSTMENT_PERIOD,
                    start_date=fiscal_year.end_date,
                    end_date=fiscal_year.end_date,
                )
            )
            FiscalPeriod.objects.bulk_create(periods)
    return fiscal_year


def close_period(period: FiscalPeriod, *, actor: AbstractBaseUser, reason: str) -> FiscalPeriod:
    """Close a period to posting, with a reason kept in the audit trail. The row lock
    waits for postings in flight to commit."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the period is being closed."})
    return _set_period_status(period, PeriodStatus.CLOSED, actor=actor, reason=reason)


def reopen_period(period: FiscalPeriod, *, actor: AbstractBaseUser, reason: str) -> FiscalPeriod:
    """Reopen a closed period; a reason is required and kept in the audit trail."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the period is being reopened."})
    return _set_period_status(period, PeriodStatus.OPEN, actor=actor, reason=reason)


def _set_period_status(
    period: FiscalPeriod, status: PeriodStatus, *, actor: AbstractBaseUser, reason: str
) -> FiscalPeriod:
    # The database refuses it too (ledger_fiscalperiod_status_change), and logs each change.
    if not has_role(actor, Role.FINANCE_SUPERVISOR):
        raise ValidationError("Only a Finance Supervisor closes or reopens a period.")
    with transaction.atomic():
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.status == status:
            raise ValidationError(f"{period} is already {status.label.lower()}.")
        period.status = status
        period.status_changed_at = timezone.now()
        period.status_changed_by = actor
        period.status_reason = reason.strip()
        period.save()
    return period
