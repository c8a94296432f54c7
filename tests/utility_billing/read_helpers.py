"""Meters and reads for the read tests: a site (a location, its account, an installed
meter) and reads recorded through the service, as a technician would."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.utility_billing.conftest import make_account, make_location, make_meter
from utility_billing.models import Meter, MeterRead
from utility_billing.services.reads import ReadRow, enter_reads

# The tests' today: every read date below is in the past.
TODAY = datetime.date(2026, 11, 30)
INSTALLED = datetime.date(2025, 1, 2)


@pytest.fixture
def today():
    moment = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(moment, tick=False):
        yield TODAY


def make_site(
    users: dict,
    *,
    serial: str = "M-0001",
    parcel: str = "021-101-010",
    account: str | None = "100001",
    dials: int = 6,
    multiplier: str = "1",
    install_date: datetime.date = INSTALLED,
    install_reading: str | None = "0",
    account_start: datetime.date = datetime.date(2024, 7, 1),
    **location_values,
) -> Meter:
    """An installed meter at a location of its own, occupied by an active account
    unless `account` is None."""
    location = make_location(parcel, **location_values)
    if account is not None:
        make_account(account, location=location, opened_by=users["tech"], start_date=account_start)
    return make_meter(
        serial,
        location=location,
        dials=dials,
        multiplier=Decimal(multiplier),
        install_date=install_date,
        install_reading=None if install_reading is None else Decimal(install_reading),
    )


def read(meter: Meter, day: datetime.date, reading, actor, *, kind: str = "actual") -> MeterRead:
    """Record one read by hand and return it, measured and checked."""
    enter_reads(
        [
            ReadRow(
                line=1,
                serial=meter.serial,
                read_date=day,
                reading=Decimal(str(reading)),
                kind=kind,
            )
        ],
        actor=actor,
    )
    return MeterRead.objects.get(meter=meter, read_date=day)


def monthly_reads(
    meter: Meter, actor, *, start: datetime.date, months: int, per_month: int, first: int = 0
) -> MeterRead:
    """A read on the same day of each month from `start`, `per_month` units apart (about
    30 days each); returns the last."""
    reading = first
    last = None
    for month in range(months):
        year, index = divmod(start.month - 1 + month, 12)
        day = start.replace(year=start.year + year, month=index + 1)
        last = read(meter, day, reading, actor)
        reading += per_month
    return last


def role_matrix_samples(users: dict) -> dict:
    """The meter and read URLs: an installed meter with a read whose exception is open,
    and a refused read import; made once, found again on each call."""
    from millbrae_finance.roles import Role
    from utility_billing.models import ReadImport
    from utility_billing.services.reads import validate_reads

    tech = users[Role.ACCOUNTING_TECHNICIAN]
    meter = Meter.objects.filter(serial="M-MATRIX").first()
    if meter is None:
        location = make_location("099-999-001", address_line1="1 Matrix Way")
        meter = make_meter("M-MATRIX", location=location, install_reading=Decimal("0"))
        ids = [
            MeterRead.objects.create(
                meter=meter,
                location=location,
                read_date=day,
                reading=Decimal(reading),
                source="manual",
                entered_by=tech,
            ).pk
            for day, reading in (
                (datetime.date(2025, 2, 2), "5000"),
                (datetime.date(2025, 3, 2), "4000"),
            )
        ]
        validate_reads(ids)
    read = MeterRead.objects.filter(meter=meter).order_by("-read_date").first()
    refused, _ = ReadImport.objects.get_or_create(
        idempotency_key="role-matrix",
        defaults={
            "filename": "matrix.csv",
            "content": "meter_serial,read_date,reading\nNOPE,2025-02-02,1\n",
            "uploaded_by": tech,
            "status": "refused",
            "rows": 1,
            "errors": [[2, "No meter has serial number NOPE."]],
            "finished_at": datetime.datetime(2025, 2, 2, tzinfo=ZoneInfo("UTC")),
        },
    )
    samples = {
        f"utility_billing:{name}": {"pk": meter.pk}
        for name in (
            "meter_detail",
            "meter_install",
            "meter_remove",
            "meter_change",
            "read_estimate",
        )
    }
    samples.update(
        {
            f"utility_billing:{name}": {"pk": read.pk}
            for name in ("read_detail", "read_accept", "read_correct", "read_re_read")
        }
    )
    samples["utility_billing:read_import_detail"] = {"pk": refused.pk}
    return samples
