"""Meters: added to stock, installed with a first read, removed with a final read, and
changed mid-cycle in one all-or-nothing step that bills both meters."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.utility_billing.conftest import make_meter
from tests.utility_billing.read_helpers import make_site, monthly_reads, read, today  # noqa: F401
from utility_billing.models import (
    ExceptionStatus,
    Meter,
    MeterRead,
    MeterStatus,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
)
from utility_billing.queries.reads import billable_consumption
from utility_billing.services.meters import (
    change_meter,
    create_meter,
    install_meter,
    remove_meter,
)

pytestmark = pytest.mark.usefixtures("today")

D = datetime.date


def test_create_meter_puts_it_in_stock(ub_users):
    meter = create_meter(
        serial=" M-9001 ",
        size="3/4",
        meter_type="positive_displacement",
        dials=5,
        multiplier=Decimal("1"),
        actor=ub_users["tech"],
    )
    assert meter.serial == "M-9001"
    assert meter.status == MeterStatus.IN_STOCK and meter.location is None


def test_create_meter_refuses_a_serial_on_file(ub_users):
    make_meter("M-9001")
    with pytest.raises(ValidationError) as refused:
        create_meter(
            serial="M-9001",
            size="5/8",
            meter_type="turbine",
            dials=6,
            multiplier=Decimal("1"),
            actor=ub_users["tech"],
        )
    assert "serial" in refused.value.message_dict


def test_install_records_the_first_read_measuring_nothing(ub_users):
    site = make_site(ub_users)
    spare = make_meter("M-2000")
    first = install_meter(
        spare,
        location=site.location,
        install_date=D(2025, 6, 1),
        install_reading=Decimal("12"),
        actor=ub_users["tech"],
    )
    spare.refresh_from_db()
    assert spare.status == MeterStatus.INSTALLED
    assert spare.location == site.location and spare.install_reading == Decimal("12")
    assert first.read_date == D(2025, 6, 1) and first.reading == Decimal("12")
    assert first.consumption == Decimal("0.000")
    # An install read is no "zero use on an occupied location".
    assert first.exception_status == ExceptionStatus.NONE
    assert first.location == site.location


def test_install_refuses_an_installed_meter_and_a_reading_beyond_the_dials(ub_users):
    site = make_site(ub_users)
    with pytest.raises(ValidationError):
        install_meter(
            site,
            location=site.location,
            install_date=D(2025, 6, 1),
            install_reading=Decimal("0"),
            actor=ub_users["tech"],
        )
    spare = make_meter("M-2000", dials=4)
    with pytest.raises(ValidationError) as refused:
        install_meter(
            spare,
            location=site.location,
            install_date=D(2025, 6, 1),
            install_reading=Decimal("10000"),
            actor=ub_users["tech"],
        )
    assert "install_reading" in refused.value.message_dict
    spare.refresh_from_db()
    assert spare.status == MeterStatus.IN_STOCK


def test_remove_records_the_final_read_which_stays_with_the_location(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    read(meter, D(2025, 2, 2), "10", tech)
    final = remove_meter(
        meter, removal_date=D(2025, 2, 20), final_reading=Decimal("16"), actor=tech
    )
    meter.refresh_from_db()
    assert meter.status == MeterStatus.REMOVED and meter.location is None
    assert meter.removal_date == D(2025, 2, 20)
    assert final.consumption == Decimal("6.000")
    assert final.location_id is not None
    assert billable_consumption(final.location_id, D(2025, 2, 3), D(2025, 2, 28)) == 6


def test_meter_change_mid_cycle_bills_both_meters(ub_users):
    tech = ub_users["tech"]
    old = make_site(ub_users, multiplier="1")
    location = old.location
    monthly_reads(old, tech, start=D(2025, 2, 5), months=10, per_month=10, first=10)
    # Nov 5 read at 100. A meter-change order is open; the meter is changed on Nov 20.
    order = ServiceOrder.objects.create(
        location=location, kind=ServiceOrderKind.METER_CHANGE, requested_by=ub_users["senior"]
    )
    new = make_meter("M-NEW", multiplier=Decimal("10"))
    change = change_meter(
        old,
        change_date=D(2025, 11, 20),
        final_reading=Decimal("106"),
        new_meter=new,
        start_reading=Decimal("0"),
        note="Register stuck",
        actor=tech,
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == MeterStatus.REMOVED and old.location is None
    assert new.status == MeterStatus.INSTALLED and new.location == location
    assert new.install_date == D(2025, 11, 20)
    assert change.final_read.consumption == Decimal("6.000")
    assert change.first_read.consumption == Decimal("0.000")
    assert change.first_read.exception_status == ExceptionStatus.NONE
    order.refresh_from_db()
    assert change.order == order
    assert order.status == ServiceOrderStatus.COMPLETED and order.completed_by == tech
    assert order.meter == old
    # The Dec 5 read is of the new meter: 0.5 units x 10.
    december = read(new, D(2025, 12, 5), "0.5", tech)
    assert december.previous_read == change.first_read
    assert december.consumption == Decimal("5.000")
    # The period Nov 6 - Dec 5 bills the old meter's 6 and the new meter's 5.
    assert billable_consumption(location.pk, D(2025, 11, 6), D(2025, 12, 5)) == 11


def test_meter_change_is_all_or_nothing(ub_users):
    tech = ub_users["tech"]
    old = make_site(ub_users)
    read(old, D(2025, 11, 5), "100", tech)
    taken = make_site(ub_users, serial="M-TAKEN", parcel="021-999-999", account="200001")
    with pytest.raises(ValidationError) as refused:
        change_meter(
            old,
            change_date=D(2025, 11, 20),
            final_reading=Decimal("106"),
            new_meter=taken,  # installed elsewhere
            start_reading=Decimal("0"),
            actor=tech,
        )
    assert "new_meter" in refused.value.message_dict
    old.refresh_from_db()
    assert old.status == MeterStatus.INSTALLED and old.removal_date is None
    assert not MeterRead.objects.filter(read_date=D(2025, 11, 20)).exists()


def test_meter_change_refuses_a_final_reading_before_the_last_read(ub_users):
    tech = ub_users["tech"]
    old = make_site(ub_users)
    read(old, D(2025, 11, 5), "100", tech)
    new = make_meter("M-NEW")
    with pytest.raises(ValidationError) as refused:
        change_meter(
            old,
            change_date=D(2025, 11, 1),
            final_reading=Decimal("99"),
            new_meter=new,
            start_reading=Decimal("0"),
            actor=tech,
        )
    assert "last read on 2025-11-05" in " ".join(refused.value.message_dict["final_reading"])
    assert Meter.objects.get(pk=new.pk).status == MeterStatus.IN_STOCK


def test_only_technicians_and_seniors_work_on_meters(ub_users):
    spare = make_meter("M-2000")
    site = make_site(ub_users)
    for name in ("clerk", "auditor", "supervisor", "admin"):
        with pytest.raises(PermissionDenied):
            install_meter(
                spare,
                location=site.location,
                install_date=D(2025, 6, 1),
                install_reading=Decimal("0"),
                actor=ub_users[name],
            )
    install_meter(
        spare,
        location=site.location,
        install_date=D(2025, 6, 1),
        install_reading=Decimal("0"),
        actor=ub_users["senior"],
    )
