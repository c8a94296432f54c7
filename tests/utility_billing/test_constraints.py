"""The database refuses what utility billing must never hold, whatever wrote it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.receivables.conftest import revenue_account
from tests.utility_billing.conftest import (
    WATER_FIXED,
    WATER_REVENUE,
    WATER_TIERS,
    make_account,
    make_location,
    make_meter,
    make_schedule,
    make_version,
)
from utility_billing.models import (
    AccountStatus,
    ChargeKind,
    MeterRead,
    RateCharge,
    RateVersion,
    RateVersionStatus,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _refused(fn) -> str:
    with pytest.raises(Exception) as raised, transaction.atomic():
        fn()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return str(raised.value)


def test_rate_version_approver_is_not_preparer(ub_users):
    schedule = make_schedule()
    version = make_version(schedule, WATER_FIXED, prepared_by=ub_users["tech"])
    message = _refused(
        lambda: RateVersion.objects.filter(pk=version.pk).update(
            status="approved", approved_by=ub_users["tech"], approved_at=timezone.now()
        )
    )
    assert "approver_not_preparer" in message


def test_two_approved_versions_may_not_overlap(ub_users):
    schedule = make_schedule()
    make_version(
        schedule, WATER_FIXED, prepared_by=ub_users["tech"], approved_by=ub_users["senior"]
    )
    message = _refused(
        lambda: make_version(
            schedule,
            WATER_FIXED,
            prepared_by=ub_users["tech"],
            approved_by=ub_users["senior"],
            effective_from=datetime.date(2026, 1, 1),
        )
    )
    assert "overlaps approved version" in message


def test_approved_tiers_may_not_have_a_gap_or_overlap(ub_users):
    schedule = make_schedule()
    gap = [dict(WATER_TIERS[0]), dict(WATER_TIERS[1], tier_from="7"), WATER_TIERS[2]]
    assert "gap at 6" in _refused(
        lambda: make_version(
            schedule, gap, prepared_by=ub_users["tech"], approved_by=ub_users["senior"]
        )
    )
    overlap = [dict(WATER_TIERS[0]), dict(WATER_TIERS[1], tier_from="5"), WATER_TIERS[2]]
    assert "overlap at 6" in _refused(
        lambda: make_version(
            schedule, overlap, prepared_by=ub_users["tech"], approved_by=ub_users["senior"]
        )
    )
    closed = [WATER_TIERS[0], WATER_TIERS[1]]
    assert "not open-ended" in _refused(
        lambda: make_version(
            schedule, closed, prepared_by=ub_users["tech"], approved_by=ub_users["senior"]
        )
    )


def test_approved_version_charges_and_dates_are_fixed(ub_users):
    schedule = make_schedule()
    version = make_version(
        schedule,
        WATER_FIXED + WATER_TIERS,
        prepared_by=ub_users["tech"],
        approved_by=ub_users["senior"],
    )
    charge = version.charges.first()
    assert "cannot change" in _refused(
        lambda: RateCharge.objects.filter(pk=charge.pk).update(rate=Decimal("1.00"))
    )
    assert "cannot change" in _refused(lambda: RateCharge.objects.filter(pk=charge.pk).delete())
    assert "cannot be changed" in _refused(
        lambda: RateVersion.objects.filter(pk=version.pk).update(
            effective_from=datetime.date(2025, 8, 1)
        )
    )
    assert "cannot be deleted" in _refused(
        lambda: connection.cursor().execute(
            "DELETE FROM utility_billing_rateversion WHERE id = %s", [version.pk]
        )
    )
    # Superseded: an open-ended version may be given its end date, once; and retired.
    RateVersion.objects.filter(pk=version.pk).update(effective_to=datetime.date(2026, 6, 30))
    assert "cannot be changed" in _refused(
        lambda: RateVersion.objects.filter(pk=version.pk).update(
            effective_to=datetime.date(2026, 5, 31)
        )
    )
    RateVersion.objects.filter(pk=version.pk).update(
        status=RateVersionStatus.RETIRED, retired_by=ub_users["senior"], retired_at=timezone.now()
    )
    assert "cannot be changed" in _refused(
        lambda: RateVersion.objects.filter(pk=version.pk).update(status="approved")
    )


def test_charge_line_shape(ub_users):
    version = make_version(make_schedule(), [], prepared_by=ub_users["tech"])
    base = {
        "version": version,
        "rate": Decimal("1"),
        "revenue_account": revenue_account(WATER_REVENUE),
    }
    assert "tier_bounds" in _refused(
        lambda: RateCharge.objects.create(
            **base, kind=ChargeKind.VOLUMETRIC_TIER, tier_from=Decimal("6"), tier_to=Decimal("6")
        )
    )
    assert "size_only_fixed" in _refused(
        lambda: RateCharge.objects.create(**base, kind=ChargeKind.PER_PARCEL, meter_size="1")
    )
    assert "cap_only_use" in _refused(
        lambda: RateCharge.objects.create(
            **base, kind=ChargeKind.MINIMUM, capped_by_winter_average=True
        )
    )


def test_one_open_account_per_role_at_a_location(ub_users):
    location = make_location()
    make_account("100001", location=location, opened_by=ub_users["tech"])
    assert "one_open_per_role" in _refused(
        lambda: make_account("100002", location=location, opened_by=ub_users["tech"])
    )
    assert "closed_has_end" in _refused(
        lambda: make_account(
            "100003",
            location=location,
            role="owner",
            status=AccountStatus.CLOSED,
            opened_by=ub_users["tech"],
        )
    )


def test_meter_read_once_a_day_and_exception_codes(ub_users):
    meter = make_meter(location=make_location())
    day = datetime.date(2026, 1, 5)
    MeterRead.objects.create(
        meter=meter,
        location=meter.location,
        read_date=day,
        reading=Decimal("120"),
        source="manual",
        entered_by=ub_users["tech"],
    )
    assert "read_once_a_day" in _refused(
        lambda: MeterRead.objects.create(
            meter=meter,
            location=meter.location,
            read_date=day,
            reading=Decimal("121"),
            source="manual",
            entered_by=ub_users["tech"],
        )
    )
    assert "exception_codes" in _refused(
        lambda: MeterRead.objects.create(
            meter=meter,
            location=meter.location,
            read_date=day + datetime.timedelta(days=1),
            reading=Decimal("1"),
            source="manual",
            entered_by=ub_users["tech"],
            exception_status="open",
        )
    )
    assert meter.max_reading == 999999
