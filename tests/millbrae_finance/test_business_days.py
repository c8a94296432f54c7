import datetime as dt

import pytest

from millbrae_finance.business_days import (
    add_business_days,
    business_days_between,
    holiday_name,
    is_business_day,
)
from millbrae_finance.models import CityClosure

pytestmark = pytest.mark.django_db

D = dt.date


def test_weekends_and_state_holidays_are_not_business_days():
    assert is_business_day(D(2026, 11, 25))  # a Wednesday
    assert not is_business_day(D(2026, 11, 28))  # Saturday
    assert not is_business_day(D(2026, 11, 26))  # Thanksgiving
    assert not is_business_day(D(2026, 11, 27))  # the day after: a California holiday
    assert not is_business_day(D(2027, 3, 31))  # Cesar Chavez Day
    assert holiday_name(D(2026, 11, 26)) == "Thanksgiving Day"


def test_city_closures_are_not_business_days():
    CityClosure.objects.create(date=D(2026, 12, 24), name="Christmas Eve")
    assert not is_business_day(D(2026, 12, 24))
    assert holiday_name(D(2026, 12, 24)) == "Christmas Eve"
    assert holiday_name(D(2026, 12, 23)) is None


def test_add_business_days_skips_weekends_holidays_and_closures():
    # Wednesday before Thanksgiving + 1 -> the next Monday.
    assert add_business_days(D(2026, 11, 25), 1) == D(2026, 11, 30)
    CityClosure.objects.create(date=D(2026, 11, 30), name="Furlough day")
    assert add_business_days(D(2026, 11, 25), 1) == D(2026, 12, 1)
    # SB 998's "at least 7 business days" from a notice mailed Friday 2026-12-18, over
    # two city closures, Christmas and New Year's Day: Dec 21-23, 28-30, then Jan 4.
    CityClosure.objects.create(date=D(2026, 12, 24), name="Christmas Eve")
    CityClosure.objects.create(date=D(2026, 12, 31), name="New Year's Eve")
    assert add_business_days(D(2026, 12, 18), 7) == D(2027, 1, 4)


def test_add_business_days_backwards_and_zero():
    assert add_business_days(D(2026, 11, 30), -1) == D(2026, 11, 25)
    assert add_business_days(D(2026, 11, 28), 0) == D(2026, 11, 28)


def test_add_business_days_reads_past_a_crowded_window():
    for offset in range(40):
        CityClosure.objects.create(date=D(2027, 1, 4) + dt.timedelta(days=offset), name="Closed")
    # Five business days from Friday 2027-01-01 (a holiday itself): all of Jan 4 - Feb 12
    # are closed, so Feb 15 (Presidents' Day) is skipped and Feb 16 is the first open day.
    assert add_business_days(D(2027, 1, 1), 1) == D(2027, 2, 16)


def test_business_days_between_counts_the_end_not_the_start():
    assert business_days_between(D(2026, 11, 23), D(2026, 11, 30)) == 3
    assert business_days_between(D(2026, 11, 30), D(2026, 11, 23)) == -3
    assert business_days_between(D(2026, 11, 23), D(2026, 11, 23)) == 0
