"""The fiscal calendar's reads: which period a date falls in."""

import datetime as dt

from django.core.exceptions import ValidationError

from ledger.models import ADJUSTMENT_PERIOD, FiscalPeriod


def period_for_date(day: dt.date) -> FiscalPeriod:
    """The monthly period a date falls in (never the adjustment period)."""
    period = (
        FiscalPeriod.objects.select_related("fiscal_year")
        .filter(start_date__lte=day, end_date__gte=day, number__lt=ADJUSTMENT_PERIOD)
        .first()
    )
    if period is None:
        raise ValidationError({"entry_date": f"No fiscal period covers {day:%Y-%m-%d}."})
    return period
