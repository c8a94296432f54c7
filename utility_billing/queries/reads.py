"""Reads of meter reads: the route sheet, open exceptions with their history, missing
reads, the estimate for a missing read, a read's page, read imports, and the bill's
consumption of a period."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from millbrae_finance.money import QUANTITY_QUANTUM, to_quantity
from utility_billing.models import (
    AccountStatus,
    Cycle,
    ExceptionStatus,
    Meter,
    MeterRead,
    ReadImport,
    ServiceOrder,
    ServiceOrderKind,
    UtilityAccount,
)
from utility_billing.models.meters import BILLABLE_EXCEPTION_STATUSES
from utility_billing.read_checks import read_checks

ZERO_HCF = Decimal("0.000")


# ---------------------------------------------------------------- accounts and history


def account_at(location_id: int, on_date: dt.date) -> UtilityAccount | None:
    """The active account taking service at a location on a day (the latest to start:
    a tenant in an owner's house), or None when nobody does."""
    return (
        UtilityAccount.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on_date),
            location_id=location_id,
            status=AccountStatus.ACTIVE,
            start_date__lte=on_date,
        )
        .select_related("customer")
        .order_by("-start_date", "-id")
        .first()
    )


@dataclass(frozen=True)
class History:
    """The account's own use before a day: HCF over days, of its billable, measured
    reads in the checks' history window."""

    since: dt.date
    used: Decimal
    days: int

    @property
    def per_day(self) -> Decimal | None:
        if not self.days:
            return None
        return (self.used / self.days).quantize(QUANTITY_QUANTUM)


def history_before(location_id: int, on_date: dt.date) -> History:
    """The use that high, low and estimates are judged against (read_checks): the last
    `history_days` before `on_date`, from the start of the account there if later."""
    checks = read_checks()
    since = on_date - dt.timedelta(days=checks.history_days)
    account = account_at(location_id, on_date)
    if account is not None and account.start_date > since:
        since = account.start_date
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COALESCE(sum(h.consumption), 0), COALESCE(sum(h.read_date - hp.read_date), 0)
              FROM utility_billing_meterread h
              JOIN utility_billing_meterread hp ON hp.id = h.previous_read_id
             WHERE h.location_id = %s AND h.read_date < %s AND h.read_date >= %s
               AND h.exception_status IN ('none', 'accepted', 'corrected')
               AND h.consumption IS NOT NULL
            """,
            [location_id, on_date, since],
        )
        used, days = cursor.fetchone()
    return History(since=since, used=Decimal(used), days=int(days))


def previous_read(meter: Meter, before: dt.date) -> MeterRead | None:
    """The read a read of `meter` on `before` would be measured from."""
    if meter.install_date is None:
        return None
    return (
        MeterRead.objects.filter(
            meter=meter, read_date__lt=before, read_date__gte=meter.install_date
        )
        .exclude(exception_status=ExceptionStatus.RE_READ_REQUESTED)
        .order_by("-read_date")
        .first()
    )


# ---------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """An estimated read and its arithmetic, or why there can be none."""

    meter: Meter
    read_date: dt.date
    problem: str = ""
    base_date: dt.date | None = None
    base_reading: Decimal | None = None
    history: History | None = None
    days: int = 0
    consumption: Decimal = ZERO_HCF
    reading: Decimal = ZERO_HCF
    rolled_over: bool = False

    @property
    def explanation(self) -> str:
        if self.problem or self.history is None:
            return self.problem
        return (
            f"Estimated: the account's {self.history.used} HCF over {self.history.days} "
            f"days since {self.history.since:%Y-%m-%d}, times {self.days} days since the "
            f"last read = {self.consumption} HCF."
        )


def estimate_for(meter: Meter, read_date: dt.date) -> Estimate:
    """The read to record for `meter` on `read_date` when nobody could read it: the
    account's average use per day times the days since the meter's last read, added to
    that read (rolling the register over past its dials)."""
    if meter.location_id is None or meter.install_date is None:
        return Estimate(meter, read_date, problem="The meter is not installed anywhere.")
    later = meter.reads.filter(read_date__gte=read_date).order_by("read_date").first()
    if later is not None:
        return Estimate(
            meter,
            read_date,
            problem=f"Meter {meter.serial} has a read on {later.read_date:%Y-%m-%d}: "
            "estimate only after its last read.",
        )
    before = previous_read(meter, read_date)
    if before is not None:
        base_date, base_reading = before.read_date, before.reading
    elif meter.install_reading is not None and read_date > meter.install_date:
        base_date, base_reading = meter.install_date, meter.install_reading
    else:
        return Estimate(meter, read_date, problem="The meter has no read to estimate from.")
    history = history_before(meter.location_id, read_date)
    if not history.days:
        return Estimate(
            meter,
            read_date,
            problem="The account has no measured reads to estimate from: read the meter.",
        )
    days = (read_date - base_date).days
    consumption = to_quantity(history.used * days / history.days)
    units = to_quantity(consumption / meter.multiplier)
    reading = base_reading + units
    span = 10**meter.dials
    rolled_over = reading >= span
    if rolled_over:
        reading -= span
    return Estimate(
        meter,
        read_date,
        base_date=base_date,
        base_reading=base_reading,
        history=history,
        days=days,
        consumption=consumption,
        reading=reading,
        rolled_over=rolled_over,
    )


# ---------------------------------------------------------------- the bill's consumption


def billable_consumption(location_id: int, start: dt.date, end: dt.date) -> Decimal:
    """HCF billed for a location's period, both dates included: the consumption of its
    billable reads (none, accepted or corrected) read in the period, whichever meter
    (a meter changed mid-cycle bills both). The bill run sums the same in SQL."""
    return MeterRead.objects.filter(
        location_id=location_id,
        read_date__range=(start, end),
        exception_status__in=BILLABLE_EXCEPTION_STATUSES,
    ).aggregate(total=Coalesce(Sum("consumption"), Value(ZERO_HCF)))["total"]


# ---------------------------------------------------------------- the route sheet


def route_list() -> list[tuple[Cycle, list[str]]]:
    """Each active cycle with the routes of its active locations, for the sheet's picker."""
    from utility_billing.models import ServiceLocation

    routes: dict[int, list[str]] = {}
    for cycle_id, route in (
        ServiceLocation.objects.active()
        .exclude(route="")
        .values_list("cycle_id", "route")
        .distinct()
        .order_by("cycle_id", "route")
    ):
        routes.setdefault(cycle_id, []).append(route)
    return [(cycle, routes.get(cycle.pk, [])) for cycle in Cycle.objects.filter(is_active=True)]


def _last_read(field: str) -> Subquery:
    reads = MeterRead.objects.filter(
        meter=OuterRef("pk"), read_date__gte=OuterRef("install_date")
    ).order_by("-read_date")
    return Subquery(reads.values(field)[:1])


def route_sheet(cycle: Cycle, route: str = "") -> QuerySet[Meter]:
    """The installed meters of a cycle (or of one route of it), in the reader's order,
    each with its last read."""
    meters = Meter.objects.installed().filter(location__cycle=cycle, location__is_active=True)
    if route:
        meters = meters.filter(location__route=route)
    return (
        meters.select_related("location")
        .annotate(last_read_date=_last_read("read_date"), last_reading=_last_read("reading"))
        .order_by(
            F("location__route").asc(nulls_last=True),
            F("location__route_sequence").asc(nulls_last=True),
            "location__address_line1",
            "serial",
        )
    )


# ---------------------------------------------------------------- open exceptions


def _account_field(field: str, on: str = "read_date") -> Subquery:
    """A field of the active account at a read's location on its date."""
    accounts = UtilityAccount.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=OuterRef(on)),
        location=OuterRef("location"),
        status=AccountStatus.ACTIVE,
        start_date__lte=OuterRef(on),
    ).order_by("-start_date", "-id")
    return Subquery(accounts.values(field)[:1])


def open_exceptions(*, cycle: Cycle | None = None, code: str = "", q: str = "") -> QuerySet:
    """Reads with an open exception, oldest first, with the account at the location."""
    reads = MeterRead.objects.open_exceptions()
    if cycle is not None:
        reads = reads.filter(location__cycle=cycle)
    if code:
        reads = reads.filter(exception_codes__contains=[code])
    if q:
        reads = reads.filter(
            Q(meter__serial__iexact=q)
            | Q(location__address_line1__icontains=q)
            | Q(location__parcel_number=q)
        )
    return (
        reads.select_related("meter", "location", "previous_read")
        .annotate(
            account_id=_account_field("pk"),
            account_number=_account_field("number"),
            customer_name=_account_field("customer__name"),
        )
        .order_by("read_date", "id")
    )


@dataclass(frozen=True)
class HistoryRead:
    read_date: dt.date
    reading: Decimal
    consumption: Decimal | None
    kind: str
    serial: str


@dataclass(frozen=True)
class ExceptionContext:
    """What a reviewer weighs a read against: the last reads at its location before it,
    and the account's average use per day over its history (None: no history)."""

    recent: list[HistoryRead]
    per_day: Decimal | None
    read_per_day: Decimal | None


# The page's reads with their last reads and history average, in one statement.
EXCEPTION_CONTEXT_SQL = """
SELECT t.id, t.consumption, t.read_date - COALESCE(p.read_date, m.install_date),
       history.used, history.days,
       (SELECT COALESCE(json_agg(json_build_array(h.read_date, h.reading::text, h.consumption::text,
                                                  h.kind, hm.serial)
                                 ORDER BY h.read_date DESC), '[]')
          FROM (SELECT * FROM utility_billing_meterread h
                 WHERE h.location_id = t.location_id AND h.read_date < t.read_date
                 ORDER BY h.read_date DESC, h.id DESC
                 LIMIT %(recent)s) h
          JOIN utility_billing_meter hm ON hm.id = h.meter_id)
  FROM utility_billing_meterread t
  JOIN utility_billing_meter m ON m.id = t.meter_id
  LEFT JOIN utility_billing_meterread p ON p.id = t.previous_read_id
  LEFT JOIN LATERAL (
        SELECT max(a.start_date) AS started
          FROM utility_billing_utilityaccount a
         WHERE a.location_id = t.location_id AND a.status = 'active'
           AND a.start_date <= t.read_date
           AND (a.end_date IS NULL OR a.end_date >= t.read_date)
  ) occupant ON true
  LEFT JOIN LATERAL (
        SELECT sum(h.consumption) AS used, sum(h.read_date - hp.read_date) AS days
          FROM utility_billing_meterread h
          JOIN utility_billing_meterread hp ON hp.id = h.previous_read_id
         WHERE h.location_id = t.location_id
           AND h.read_date < t.read_date
           AND h.read_date >= GREATEST(t.read_date - %(history_days)s,
                                       COALESCE(occupant.started,
                                                t.read_date - %(history_days)s))
           AND h.exception_status IN ('none', 'accepted', 'corrected')
           AND h.consumption IS NOT NULL
  ) history ON true
 WHERE t.id = ANY(%(ids)s)
"""


def _per_day(used: Decimal | None, days: int | None) -> Decimal | None:
    if used is None or not days:
        return None
    return (Decimal(used) / days).quantize(QUANTITY_QUANTUM)


def exception_context(reads: list[MeterRead], recent: int = 3) -> dict[int, ExceptionContext]:
    """For each read of a page, its history context, in one query for the page."""
    if not reads:
        return {}
    params = {
        "ids": [read.pk for read in reads],
        "recent": recent,
        "history_days": read_checks().history_days,
    }
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(EXCEPTION_CONTEXT_SQL, params)
        for read_id, consumption, days, used, history_days, recent_json in cursor.fetchall():
            history = [
                HistoryRead(
                    read_date=dt.date.fromisoformat(day),
                    reading=Decimal(reading),
                    consumption=None if used_hcf is None else Decimal(used_hcf),
                    kind=kind,
                    serial=serial,
                )
                for day, reading, used_hcf, kind, serial in recent_json
            ]
            found[read_id] = ExceptionContext(
                recent=history,
                per_day=_per_day(used, history_days),
                read_per_day=_per_day(consumption, days),
            )
    return found


# ---------------------------------------------------------------- missing reads


def scheduled_read_date(cycle: Cycle, today: dt.date) -> dt.date:
    """The cycle's latest read day on or before today."""
    if today.day >= cycle.read_day:
        return today.replace(day=cycle.read_day)
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    return last_month.replace(day=cycle.read_day)


def missing_reads(cycle: Cycle, read_date: dt.date) -> QuerySet[Meter]:
    """Installed meters of the cycle at a location with an active account and no read
    (none set aside for a re-read) within the window around the read day, in route
    order, each with the account and its last read."""
    window = dt.timedelta(days=read_checks().window_days)
    start, end = read_date - window, read_date + window
    active = UtilityAccount.objects.filter(
        location=OuterRef("location"), status=AccountStatus.ACTIVE, start_date__lte=end
    ).order_by("-start_date", "-id")
    read_in_window = MeterRead.objects.filter(
        meter=OuterRef("pk"), read_date__range=(start, end)
    ).exclude(exception_status=ExceptionStatus.RE_READ_REQUESTED)
    return (
        Meter.objects.installed()
        .filter(location__cycle=cycle, install_date__lte=end)
        .filter(Exists(active))
        .exclude(Exists(read_in_window))
        .select_related("location")
        .annotate(
            account_id=Subquery(active.values("pk")[:1]),
            account_number=Subquery(active.values("number")[:1]),
            customer_name=Subquery(active.values("customer__name")[:1]),
            last_read_date=_last_read("read_date"),
            last_reading=_last_read("reading"),
        )
        .order_by(
            F("location__route").asc(nulls_last=True),
            F("location__route_sequence").asc(nulls_last=True),
            "location__address_line1",
            "serial",
        )
    )


# ---------------------------------------------------------------- a read's page


def read_detail(pk: int) -> MeterRead:
    return MeterRead.objects.select_related(
        "meter", "location", "location__cycle", "previous_read", "entered_by"
    ).get(pk=pk)


def location_reads(read: MeterRead, count: int = 13) -> list[MeterRead]:
    """The location's reads around this one: the `count` before it, it, and any after."""
    before = list(
        MeterRead.objects.filter(location_id=read.location_id, read_date__lt=read.read_date)
        .select_related("meter")
        .order_by("-read_date", "-id")[:count]
    )
    since = list(
        MeterRead.objects.filter(location_id=read.location_id, read_date__gte=read.read_date)
        .select_related("meter")
        .order_by("-read_date", "-id")
    )
    return since + before


def re_read_orders(read: MeterRead) -> list[ServiceOrder]:
    """The re-read orders of the read's meter made since it was read."""
    return list(
        ServiceOrder.objects.filter(
            meter_id=read.meter_id,
            kind=ServiceOrderKind.RE_READ,
            requested_at__date__gte=read.read_date,
        ).select_related("requested_by", "completed_by")
    )


# ---------------------------------------------------------------- imports


def read_import_list(limit: int = 10) -> list[ReadImport]:
    return list(
        ReadImport.objects.defer("content")
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")[:limit]
    )


def read_import_detail(pk: int) -> ReadImport:
    return ReadImport.objects.defer("content").select_related("uploaded_by", "job").get(pk=pk)


def exception_work(user) -> list[tuple[str, str]]:
    """Work queue: the oldest open read exceptions, for technicians."""
    from django.urls import reverse

    rows = MeterRead.objects.open_exceptions().select_related("meter", "location")
    return [
        (
            f"{read.read_date:%Y-%m-%d} meter {read.meter.serial}, {read.location.address_line1}: "
            f"{', '.join(read.exception_codes)}",
            reverse("utility_billing:read_detail", args=[read.pk]),
        )
        for read in rows.order_by("read_date", "id")[:10]
    ]
