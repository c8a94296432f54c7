"""Demo meter reads, imported only by seed_demo (through the registry): every meter read
monthly on its cycle's read day up to the demo's "today": the 24 months of use the demo
bills, and before them the November 2024 read the first bill measures from and two
months' reads more, the history the first billed read is checked against (the read
checks want at least MIN_HISTORY_DAYS of it).

Use follows the class and the season (summer higher, irrigation most), each location at
its own level; readings are whole register units, and the few four-dial registers roll
over. A handful of reads are estimates (the next actual read trues them up), a handful
of the latest reads look wrong (a leak, a stuck register, an empty house) and are left
open for the read-exception screen, and two locations had their meter changed mid-
history. Consumption and exception codes are not written here: the reads go in with one
INSERT ... SELECT and are measured and checked by the same set-based statements a read
import runs (services.reads.validate_reads), a month at a time in date order, as the
route files would have come in. Added once.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from receivables.demo.billing import LAST_DAY
from utility_billing.models import (
    Meter,
    MeterRead,
    MeterStatus,
    MeterType,
    ReadKind,
    ReadSource,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
    UtilityAccount,
)
from utility_billing.models.choices import RESIDENTIAL_CLASSES
from utility_billing.services.reads import validate_reads

SEED = 94032
# The demo's "today" (receivables' demo history ends the same day): no read is later.
TODAY = LAST_DAY
# The first read: three months of reads before the first billed month's.
FIRST_READ_MONTH = dt.date(2024, 8, 1)
MONTHS = 28
# The month of the read the first bill measures from (utility_billing.demo.bills): 24
# months of use are billed after it, each cycle's rates in force from its first day.
FIRST_BILLED_MONTH = dt.date(2024, 11, 1)
BILLED_MONTHS = 24

# Average HCF a month by class, and the seasonal swing: a month's use is the average
# times 1 + swing * cos(the days from late July), so summer is higher (gardens) and
# irrigation swings most. Kept under the read checks' high factor of 3 against the
# location's own year.
USE_BY_CLASS = {
    "single_family": (9.0, 0.30),
    "multi_family": (32.0, 0.20),
    "commercial": (45.0, 0.10),
    "irrigation": (25.0, 0.45),
}
PEAK_DAY_OF_YEAR = 205
DAYS_A_MONTH = 30.44

# Reads that look wrong at the latest read, left open for the exception screen.
HIGH_READS = 6  # a leak: five times the usual use
LOW_READS = 4  # a stuck register: a tenth of it
ZERO_READS = 4  # the register has not moved on an occupied account
ESTIMATED_READS = 8  # no reader got to the meter: estimated, trued up the next month
# (the meter change's day, by cycle code): one location on each cycle.
METER_CHANGES = {"C1": dt.date(2026, 3, 12), "C2": dt.date(2025, 9, 24)}

READS_SQL = """
INSERT INTO utility_billing_meterread
       (meter_id, location_id, read_date, reading, kind, source, note, entered_by_id,
        entered_at, rolled_over, exception_status, exception_codes)
SELECT u.meter_id, u.location_id, u.read_date, u.reading, u.kind, u.source, u.note,
       %(actor)s, (u.read_date + time '15:30') AT TIME ZONE %(tz)s, false, 'none', '{}'
  FROM unnest(%(meter)s::bigint[], %(location)s::bigint[], %(read_date)s::date[],
              %(reading)s::numeric[], %(kind)s::text[], %(source)s::text[],
              %(note)s::text[]) AS u(meter_id, location_id, read_date, reading, kind,
                                     source, note)
RETURNING id, read_date
"""

# Demo only, there being no service for it yet: each residential account's winter
# average is the location's billable use read in January to March (the December to
# February use), a month's worth.
WINTER_FROM = dt.date(2026, 1, 1)
WINTER_TO = dt.date(2026, 3, 31)
WINTER_MONTHS = 3
WINTER_AVERAGE_SQL = """
UPDATE utility_billing_utilityaccount a
   SET winter_average_hcf = w.average
  FROM (SELECT r.location_id, round(sum(r.consumption) / %(months)s, 1) AS average
          FROM utility_billing_meterread r
         WHERE r.read_date BETWEEN %(start)s AND %(end)s
           AND r.exception_status IN ('none', 'accepted', 'corrected')
           AND r.consumption IS NOT NULL
         GROUP BY r.location_id) w,
       utility_billing_servicelocation l
 WHERE a.location_id = w.location_id
   AND l.id = a.location_id
   AND l.service_class = ANY(%(classes)s)
"""


@dataclass
class Row:
    meter: Meter
    location_id: int
    read_date: dt.date
    reading: int
    kind: str = ReadKind.ACTUAL
    note: str = ""


def _read_day(year: int, month: int, day: int) -> dt.date:
    """The cycle's read day of a month; a weekend's read is taken the Monday after."""
    date = dt.date(year, month, day)
    return date + dt.timedelta(days=(7 - date.weekday()) % 7 if date.weekday() >= 5 else 0)


def read_days(read_day: int) -> list[dt.date]:
    """A cycle's read days, the first read's month to the demo's today."""
    days = []
    for index in range(MONTHS):
        month = FIRST_READ_MONTH.month - 1 + index
        year = FIRST_READ_MONTH.year + month // 12
        days.append(_read_day(year, month % 12 + 1, read_day))
    return [day for day in days if day <= TODAY]


def _use(rng: random.Random, mean: float, swing: float, start: dt.date, end: dt.date) -> float:
    """HCF used between two days: the season at the interval's middle, a little noise."""
    middle = start + (end - start) / 2
    season = 1 + swing * math.cos(
        2 * math.pi * (middle.timetuple().tm_yday - PEAK_DAY_OF_YEAR) / 365
    )
    return mean * (end - start).days / DAYS_A_MONTH * season * rng.uniform(0.88, 1.12)


def seed_reads(log: Callable[[str], None]) -> None:
    """Two years of monthly reads of every meter, measured and checked set-based; the
    winter averages of residential accounts from them. Added once."""
    if MeterRead.objects.exists():
        log("Meter reads: already seeded.")
        return
    rng = random.Random(SEED)
    tech = User.objects.get(username="tech")
    meters = list(
        Meter.objects.installed().select_related("location__cycle").order_by("location_id")
    )
    if not meters:
        log("Meter reads: no meters to read.")
        return
    days_of = {
        cycle: read_days(cycle.read_day) for cycle in {meter.location.cycle for meter in meters}
    }

    plain = [m for m in meters if m.dials == 6]
    picked = rng.sample(plain, HIGH_READS + LOW_READS + ZERO_READS + ESTIMATED_READS + 10)
    high = set(picked[:HIGH_READS])
    low = set(picked[HIGH_READS : HIGH_READS + LOW_READS])
    zero = set(picked[HIGH_READS + LOW_READS : HIGH_READS + LOW_READS + ZERO_READS])
    estimated = picked[HIGH_READS + LOW_READS + ZERO_READS : -10]
    changing = {}
    for meter in picked[-10:]:
        code = meter.location.cycle.code
        taken = {m.location.cycle.code for m in changing}
        if (
            code in METER_CHANGES
            and code not in taken
            and meter.location.service_class == ("single_family")
        ):
            changing[meter] = METER_CHANGES[code]
    estimated_at = {meter: rng.randrange(MONTHS - 7, MONTHS - 2) for meter in estimated}

    rows: list[Row] = []
    replacements: list[tuple[Meter, Meter, dt.date]] = []
    for meter in meters:
        mean, swing = USE_BY_CLASS[meter.location.service_class]
        mean *= rng.uniform(0.6, 1.6)
        span = 10**meter.dials
        days = days_of[meter.location.cycle]
        if meter.dials < 6:
            # An old register near its top: it rolls over in the demo's two years.
            start = span - int(mean * rng.uniform(6, 18))
        else:
            months_in = (days[0] - meter.install_date).days / DAYS_A_MONTH
            start = int(mean * months_in * rng.uniform(0.8, 1.2)) % span
        events = sorted(days + ([changing[meter]] if meter in changing else []))
        used = 0.0
        current = meter
        offset = 0  # the register's reading at the change: the new meter starts at zero
        for index, day in enumerate(events):
            if index:
                use = _use(rng, mean, swing, events[index - 1], day)
                if index == len(events) - 1:
                    if meter in high:
                        use = max(use * 5, use + 20)
                    elif meter in low:
                        use = max(1.0, use / 10)
                    elif meter in zero:
                        use = 0.0
                used += use
            reading = (start + round(used)) % span
            if meter in changing and day == changing[meter]:
                final = "Meter change: final read."
                rows.append(Row(meter, meter.location_id, day, reading, note=final))
                current = Meter(
                    serial=f"MB{3_000_000 + meter.location_id:07d}",
                    size=meter.size,
                    meter_type=MeterType.AMI,
                    dials=6,
                    status=MeterStatus.INSTALLED,
                    location=meter.location,
                    install_date=day,
                    install_reading=Decimal(0),
                    notes=f"Replaced meter {meter.serial} (register fogged).",
                )
                replacements.append((meter, current, day))
                offset = start + round(used)
                installed = "Meter change: installed."
                rows.append(Row(current, meter.location_id, day, 0, note=installed))
                continue
            if current is not meter:
                reading = (start + round(used) - offset) % span
            kind, note = ReadKind.ACTUAL, ""
            if estimated_at.get(meter) == index:
                # The account's usual month, not this month's: the next actual read
                # trues it up (capped at the true register, so the next never reads lower).
                reading = min(rows[-1].reading + round(mean), reading)
                kind, note = ReadKind.ESTIMATED, "Gate locked; estimated from the average."
            rows.append(Row(current, meter.location_id, day, reading, kind=kind, note=note))

    for old, new, day in replacements:
        old.status, old.location, old.removal_date = MeterStatus.REMOVED, None, day
        old.notes = f"Removed {day:%Y-%m-%d}: register fogged; replaced by {new.serial}."
        old.save(update_fields=["status", "location", "removal_date", "notes"])
        new.save()
        ServiceOrder.objects.create(
            location=new.location,
            account=UtilityAccount.objects.filter(location=new.location, status="active")
            .order_by("-role", "pk")
            .first(),
            meter=old,
            kind=ServiceOrderKind.METER_CHANGE,
            status=ServiceOrderStatus.COMPLETED,
            requested_by=tech,
            completed_by=tech,
            completed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(14))),
            notes="Register fogged; replace meter.",
        )

    with connection.cursor() as cursor:
        cursor.execute(
            READS_SQL,
            {
                "actor": tech.pk,
                "tz": settings.TIME_ZONE,
                "meter": [row.meter.pk for row in rows],
                "location": [row.location_id for row in rows],
                "read_date": [row.read_date for row in rows],
                "reading": [row.reading for row in rows],
                "kind": [row.kind for row in rows],
                "source": [
                    ReadSource.MANUAL
                    if row.kind == ReadKind.ESTIMATED
                    else ReadSource.AMI
                    if row.meter.meter_type == MeterType.AMI
                    else ReadSource.HANDHELD
                    for row in rows
                ],
                "note": [row.note for row in rows],
            },
        )
        by_month: dict[dt.date, list[int]] = defaultdict(list)
        for read_id, read_date in cursor.fetchall():
            by_month[read_date.replace(day=1)].append(read_id)
    # A month at a time, in date order: each read is judged against the reads before it
    # as they stood once checked, as when the route files came in month by month. (The
    # two cycles' reads of a month are of different meters: one statement measures both.)
    for month in sorted(by_month):
        validate_reads(by_month[month])
    with connection.cursor() as cursor:
        cursor.execute(
            WINTER_AVERAGE_SQL,
            {
                "months": WINTER_MONTHS,
                "start": WINTER_FROM,
                "end": WINTER_TO,
                "classes": sorted(RESIDENTIAL_CLASSES),
            },
        )
        winter_averages = cursor.rowcount
    exceptions = MeterRead.objects.open_exceptions().count()
    log(
        f"Meter reads: {len(rows)} reads of {len(meters) + len(replacements)} meters, "
        f"{exceptions} open exceptions, {len(replacements)} meter changes, "
        f"{winter_averages} winter averages."
    )
