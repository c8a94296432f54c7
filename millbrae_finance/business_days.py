"""Business days on the City's calendar: weekdays that are neither a California state
holiday (the `holidays` package) nor one of the City's own closures (CityClosure)."""

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays

from millbrae_finance.models import CityClosure

ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=64)
def _state_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("US", subdiv="CA", years=year).keys())


def closures_between(start: dt.date, end: dt.date) -> set[dt.date]:
    """Every day City Hall is closed between two dates, inclusive, in one query."""
    days = set(CityClosure.objects.filter(date__range=(start, end)).values_list("date", flat=True))
    for year in range(start.year, end.year + 1):
        days.update(day for day in _state_holidays(year) if start <= day <= end)
    return days


def holiday_name(day: dt.date) -> str | None:
    """Why City Hall is closed on a day, or None if it is open (weekends aside)."""
    closure = CityClosure.objects.filter(date=day).values_list("name", flat=True).first()
    if closure:
        return closure
    return holidays.country_holidays("US", subdiv="CA", years=day.year).get(day)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in closures_between(day, day)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date `days` business days after `start` (before it, for a negative count).

    `start` itself is not counted, as in "at least 7 business days before the shut-off":
    the notice mailed on a Monday gives a date 7 business days later. Zero returns the start.
    """
    if days == 0:
        return start
    step = ONE_DAY if days > 0 else -ONE_DAY
    # Closures are read a window at a time (one query per window, not one per day); a
    # window of twice the count plus a month holds the answer unless closures pile up,
    # and then the next window is read.
    window = dt.timedelta(days=abs(days) * 2 + 30)
    day, remaining = start, abs(days)
    while remaining:
        low, high = (day, day + window) if days > 0 else (day - window, day)
        closed = closures_between(low, high)
        while remaining and low <= day + step <= high:
            day += step
            if day.weekday() < 5 and day not in closed:
                remaining -= 1
    return day


def add_business_days_to_each(starts: Iterable[dt.date], days: int) -> dict[dt.date, dt.date]:
    """`add_business_days(start, days)` for each start, {start: date}, reading the City's
    closures once for all of them rather than once a start (a list of 80 final notices
    took 80 queries)."""
    starts = set(starts)
    if not starts or days == 0:
        return {start: start for start in starts}
    window = dt.timedelta(days=abs(days) * 2 + 30)
    low, high = (
        (min(starts), max(starts) + window) if days > 0 else (min(starts) - window, max(starts))
    )
    closed = closures_between(low, high)
    step = ONE_DAY if days > 0 else -ONE_DAY
    found = {}
    for start in starts:
        day, remaining = start, abs(days)
        while remaining and low <= day + step <= high:
            day += step
            if day.weekday() < 5 and day not in closed:
                remaining -= 1
        # Closures piled up past the window: the single-date walk reads further.
        found[start] = add_business_days(start, days) if remaining else day
    return found


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days after `start` up to and including `end` (negative if end < start)."""
    if end < start:
        return -business_days_between(end, start)
    closed = closures_between(start, end)
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        if day.weekday() < 5 and day not in closed:
            count += 1
    return count
