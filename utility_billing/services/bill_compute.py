"""Computing a bill run: every active account of the cycle gets one bill or one exception
row, in one transaction, set-based.

The cycle's accounts, their services, meters, reads in the period, balances and the
rates in force are read with a handful of SQL statements; the bills are worked out in
Python by the rate engine (utility_billing/rating.py, the same code as the bill
calculator), a chunk of accounts at a time, and each chunk's bills, lines and exception
rows are written with COPY. Nothing is saved an account at a time.

The engine is asked once per service and distinct input: a cycle's thousands of
single-family homes on 5/8" meters using 7 HCF over the same period get the same water
lines, so the lines are computed once and copied (a bill is the sum of its services'
lines, each computed on its own).

Reads. A run bills the days from `period_start` to `period_end`, both included; the reads
it bills are those dated in the same days, of the meters at the account's location (a
meter changed mid-cycle: both meters' reads). A cycle's runs follow one another day after
day, so every read falls in exactly one run: the read that closes one period is dated its
last day, and the next period starts the day after. An account that moved in during the
period bills from its start date, and the reads after it (the move-in read measured the
previous occupant's use).

Final bills. A run bills the cycle's active accounts and its closed ones (moved out,
final bill due) whose move-out day falls on or after the period's start: a closed
account is billed from the period's start (its last bill ended the day before) to its
move-out day, on its final read. Posting the run settles it (services/settlements.py).
A closed account whose move-out day is before the period (billed past it already) is not
selected.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from ledger.models import Account, FiscalPeriod, Subledger
from millbrae_finance.money import ZERO
from utility_billing.models import (
    BillExceptionReason,
    BillRun,
    BillRunStatus,
    MeterSize,
    RateSchedule,
)
from utility_billing.models.choices import RESIDENTIAL_CLASSES
from utility_billing.models.meters import BILLABLE_EXCEPTION_STATUSES
from utility_billing.models.rates import VOLUMETRIC_KINDS, ChargeKind
from utility_billing.queries.rates import service_rates
from utility_billing.rating import RatingError, ServiceRates, compute_bill

ONE_DAY = dt.timedelta(days=1)
# Accounts computed and written at a time: big enough that the statements stay few,
# small enough that the progress bar moves about every second at a large utility's size.
CHUNK_ACCOUNTS = 5000
# Distinct engine inputs kept at once; a run whose inputs are all different (every
# residence's own winter average) computes each and keeps only this many.
MEMO_LIMIT = 50_000
# The engine needs a meter size; services with no metered charge (a storm drain charge
# per parcel) bill the same whatever it is.
ANY_METER_SIZE = MeterSize.SIZE_5_8
SERVICE_ORDER = ("water", "sewer", "storm_drain", "fire_line")

# The accounts a run selects: active ones, and closed ones waiting for their final bill.
SELECTED = "(a.status = 'active' OR (a.status = 'closed' AND a.end_date >= %(start)s))"

ACCOUNTS_SQL = (
    """
SELECT a.id, a.number, a.start_date, a.end_date, a.location_id, a.winter_average_hcf,
       l.service_class, a.role
  FROM utility_billing_utilityaccount a
  JOIN utility_billing_servicelocation l ON l.id = a.location_id
 WHERE l.cycle_id = %(cycle)s AND """
    + SELECTED
    + """
 ORDER BY a.id
"""
)

SERVICES_SQL = (
    """
SELECT s.account_id, s.kind, s.rate_schedule_id, s.start_date, s.end_date
  FROM utility_billing_accountservice s
  JOIN utility_billing_utilityaccount a ON a.id = s.account_id
  JOIN utility_billing_servicelocation l ON l.id = a.location_id
 WHERE l.cycle_id = %(cycle)s AND """
    + SELECTED
    + """
   AND s.start_date <= %(end)s AND (s.end_date IS NULL OR s.end_date >= %(start)s)
 ORDER BY s.account_id, s.start_date, s.id
"""
)

# Each location's latest tenant account that began by the period's end: an owner's
# account with no service is on standby while it serves, or was left without service when
# it moved out.
TENANTS_SQL = """
SELECT DISTINCT ON (a.location_id) a.location_id, a.number, a.status, a.end_date
  FROM utility_billing_utilityaccount a
  JOIN utility_billing_servicelocation l ON l.id = a.location_id
 WHERE l.cycle_id = %(cycle)s AND a.role = 'tenant' AND a.start_date <= %(end)s
   AND a.status <> 'pending'
 ORDER BY a.location_id, a.start_date DESC, a.id DESC
"""

# The meter in service at each location (the latest installed, should there be two).
METERS_SQL = """
SELECT DISTINCT ON (m.location_id) m.location_id, m.size
  FROM utility_billing_meter m
  JOIN utility_billing_servicelocation l ON l.id = m.location_id
 WHERE l.cycle_id = %(cycle)s AND m.status = 'installed'
 ORDER BY m.location_id, m.install_date DESC, m.id DESC
"""

READS_SQL = """
SELECT r.location_id, r.id, r.read_date, r.consumption, r.exception_status, r.kind,
       m.serial
  FROM utility_billing_meterread r
  JOIN utility_billing_servicelocation l ON l.id = r.location_id
  JOIN utility_billing_meter m ON m.id = r.meter_id
 WHERE l.cycle_id = %(cycle)s AND r.read_date BETWEEN %(start)s AND %(end)s
 ORDER BY r.location_id, r.read_date, r.id
"""

BALANCES_SQL = (
    """
SELECT t.account_id, SUM(t.amount)
  FROM utility_billing_utilitytransaction t
  JOIN utility_billing_utilityaccount a ON a.id = t.account_id
  JOIN utility_billing_servicelocation l ON l.id = a.location_id
 WHERE l.cycle_id = %(cycle)s AND """
    + SELECTED
    + """
 GROUP BY t.account_id
"""
)

# Days of the period an account was billed for already, by a run of any cycle (a
# location moved from one cycle to another) that was not discarded.
ALREADY_BILLED_SQL = (
    """
SELECT DISTINCT ON (b.account_id) b.account_id, r.id, b.period_start, b.period_end
  FROM utility_billing_bill b
  JOIN utility_billing_billrun r ON r.id = b.run_id
  JOIN utility_billing_utilityaccount a ON a.id = b.account_id
  JOIN utility_billing_servicelocation l ON l.id = a.location_id
 WHERE l.cycle_id = %(cycle)s AND """
    + SELECTED
    + """
   AND r.status <> 'discarded' AND r.id <> %(run)s
   AND b.period_start <= %(end)s AND b.period_end >= %(start)s
 ORDER BY b.account_id, b.period_end DESC
"""
)

NEXT_BILL_IDS_SQL = (
    "SELECT nextval(pg_get_serial_sequence('utility_billing_bill', 'id'))"
    " FROM generate_series(1, %s)"
)
COPY_BILLS = (
    "COPY utility_billing_bill (id, run_id, account_id, period_start, period_end,"
    " service_class, meter_size, read_ids, estimated, consumption, previous_balance, amount,"
    " due_date, notes) FROM STDIN"
)
COPY_LINES = (
    "COPY utility_billing_billline (bill_id, run_id, position, service_kind, schedule_code,"
    " charge_kind, description, quantity, rate, amount, arithmetic, rate_version_id,"
    " service_start, service_end, days, revenue_account_id) FROM STDIN"
)
COPY_EXCEPTIONS = (
    "COPY utility_billing_billrunexception (run_id, account_id, reason, detail) FROM STDIN"
)


# Tuples, not frozen dataclasses: a hundred thousand of each are made a run.
class _Service(NamedTuple):
    kind: str
    schedule_id: int
    start: dt.date
    end: dt.date | None


class _Read(NamedTuple):
    id: int
    read_date: dt.date
    consumption: Decimal | None
    exception_status: str
    estimated: bool
    serial: str


def _copy_field(value: object) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "{" + ",".join(str(int(item)) for item in value) + "}"
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_fields(*values: object) -> str:
    """Values as the tab-separated fields of a COPY text row (no line end)."""
    return "\t".join(_copy_field(value) for value in values)


@dataclass(frozen=True)
class _Computed:
    """One service's lines for one input: each line's fields as COPY text (without the
    bill, run and position, which the bill adds), their total, and what keeps them off a
    bill. Rendered once, copied to every bill with the same input."""

    rows: tuple[str, ...] = ()
    total: Decimal = ZERO
    notes: tuple[str, ...] = ()
    error: tuple[str, str] | None = None  # (reason, detail)


class _Bill(NamedTuple):
    account_id: int
    start: dt.date
    end: dt.date
    service_class: str
    meter_size: str
    read_ids: list[int]
    estimated: bool
    consumption: Decimal
    previous_balance: Decimal
    amount: Decimal
    notes: str
    lines: list[str]


@dataclass
class _Outcome:
    bills: int = 0
    exceptions: int = 0
    consumption: Decimal = field(default_factory=lambda: Decimal("0.000"))
    amount: Decimal = field(default_factory=lambda: ZERO)


class _Cycle:
    """What the run reads about the cycle, in bulk, before computing."""

    def __init__(self, run: BillRun) -> None:
        params = {
            "cycle": run.cycle_id,
            "start": run.period_start,
            "end": run.period_end,
            "run": run.pk,
        }
        with connection.cursor() as cursor:
            cursor.execute(ACCOUNTS_SQL, params)
            self.accounts = cursor.fetchall()
            cursor.execute(SERVICES_SQL, params)
            self.services: dict[int, list[_Service]] = defaultdict(list)
            for account_id, kind, schedule_id, start, end in cursor.fetchall():
                self.services[account_id].append(_Service(kind, schedule_id, start, end))
            cursor.execute(TENANTS_SQL, params)
            self.tenants = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(METERS_SQL, params)
            self.meter_sizes: dict[int, str] = dict(cursor.fetchall())
            cursor.execute(READS_SQL, params)
            self.reads: dict[int, list[_Read]] = defaultdict(list)
            for location_id, pk, day, consumption, status, kind, serial in cursor.fetchall():
                self.reads[location_id].append(
                    _Read(pk, day, consumption, status, kind == "estimated", serial)
                )
            cursor.execute(BALANCES_SQL, params)
            self.balances: dict[int, Decimal] = dict(cursor.fetchall())
            cursor.execute(ALREADY_BILLED_SQL, params)
            self.already_billed = {row[0]: row[1:] for row in cursor.fetchall()}
        schedule_ids = {s.schedule_id for services in self.services.values() for s in services}
        schedules = list(RateSchedule.objects.filter(pk__in=schedule_ids).order_by("pk"))
        loaded = service_rates(schedules, run.period_start, run.period_end)
        self.rates: dict[int, ServiceRates] = {
            schedule.pk: rates for schedule, rates in zip(schedules, loaded, strict=True)
        }
        revenue_ids = {
            charge.revenue_account_id
            for rates in self.rates.values()
            for version in rates.versions
            for charge in version.charges
        }
        self.fund_of = dict(Account.objects.filter(pk__in=revenue_ids).values_list("pk", "fund_id"))
        self.funds_with_control = set(
            Account.objects.postable()
            .filter(control_subledger=Subledger.UTILITY_AR)
            .values_list("fund_id", flat=True)
        )
        self.fund_codes = dict(
            Account.objects.filter(pk__in=revenue_ids).values_list("pk", "fund__code")
        )


class _Biller:
    """Works out each account's bill or exception from what _Cycle read."""

    def __init__(self, run: BillRun, cycle: _Cycle, closed_period: str | None) -> None:
        self.run = run
        self.cycle = cycle
        self.closed_period = closed_period
        self.memo: dict[tuple, _Computed] = {}
        # Per schedule: does it bill use (needs a read), does it bill by meter size?
        self.needs_read: dict[int, bool] = {}
        self.needs_meter: dict[int, bool] = {}
        self.capped: dict[int, bool] = {}
        for schedule_id, rates in cycle.rates.items():
            charges = [c for version in rates.versions for c in version.charges]
            self.needs_read[schedule_id] = any(c.kind in VOLUMETRIC_KINDS for c in charges)
            self.needs_meter[schedule_id] = self.needs_read[schedule_id] or any(
                c.kind == ChargeKind.FIXED_BY_METER_SIZE and c.meter_size for c in charges
            )
            self.capped[schedule_id] = any(c.capped_by_winter_average for c in charges)

    def bill(self, row: tuple) -> tuple[str, tuple | _Bill]:
        """("bill", the bill) or ("exception", (account, reason, detail)) for one account."""
        account_id = row[0]
        found = self._bill_or_reason(row)
        if isinstance(found, _Bill):
            return "bill", found
        return "exception", (account_id, *found)

    def _bill_or_reason(self, row: tuple) -> "_Bill | tuple[str, str]":
        account_id, _number, start_date, end_date, location_id, winter, service_class, role = row
        run = self.run
        start = max(run.period_start, start_date)
        end = min(run.period_end, end_date) if end_date else run.period_end
        if start > end:
            return (
                BillExceptionReason.NO_SERVICE,
                f"The account is not in service in the period (from {start_date:%m/%d/%Y}"
                + (f" to {end_date:%m/%d/%Y}" if end_date else "")
                + ").",
            )
        services = [
            s
            for s in self.cycle.services.get(account_id, ())
            if s.start <= end and (s.end is None or s.end >= start)
        ]
        if not services:
            return self._no_service(role, location_id)
        if self.closed_period:
            return (BillExceptionReason.CLOSED_PERIOD, self.closed_period)
        billed = self.cycle.already_billed.get(account_id)
        if billed is not None:
            other_run, other_start, other_end = billed
            return (
                BillExceptionReason.ALREADY_BILLED,
                f"Billed for {other_start:%m/%d/%Y} to {other_end:%m/%d/%Y} by bill run "
                f"BR-{other_run:06d}.",
            )
        needs_meter = any(self.needs_meter.get(s.schedule_id) for s in services)
        needs_read = any(self.needs_read.get(s.schedule_id) for s in services)
        meter_size = self.cycle.meter_sizes.get(location_id, "")
        if needs_meter and not meter_size:
            return (
                BillExceptionReason.INACTIVE_METER,
                "The account is billed by its meter, and no meter is installed at the location.",
            )
        # Reads after the day service began (a move-in read measured the previous
        # occupant's use) up to the period's last day. Service that began again in the
        # period (an owner's account taking it back at a tenant's move-out) bills the reads
        # after the day before: the tenant's final read, dated its last day, is the
        # tenant's final bill's.
        metered = [s for s in services if self.needs_read.get(s.schedule_id)] or services
        resumed = min(s.start for s in metered)
        reads_after = start_date if start_date >= run.period_start else None
        if resumed > start:
            start, reads_after = resumed, resumed - ONE_DAY
        reads = [
            r
            for r in self.cycle.reads.get(location_id, ())
            if (reads_after is None or r.read_date > reads_after) and r.read_date <= end
        ]
        unsettled = [
            r
            for r in reads
            if r.exception_status not in BILLABLE_EXCEPTION_STATUSES or r.consumption is None
        ]
        if unsettled:
            listed = ", ".join(
                f"meter {r.serial} {r.read_date:%m/%d/%Y} ({_read_state(r)})" for r in unsettled
            )
            return (
                BillExceptionReason.OPEN_READ_EXCEPTION,
                f"Settle the read first: {listed}."[:500],
            )
        if needs_read and not reads:
            return (
                BillExceptionReason.NO_READ,
                f"No read dated {start:%m/%d/%Y} to {end:%m/%d/%Y} at the location.",
            )
        consumption = sum((r.consumption for r in reads), Decimal("0.000"))
        residential = service_class in RESIDENTIAL_CLASSES
        rows: list[tuple] = []
        notes: list[str] = []
        total = ZERO
        for service in sorted(services, key=_service_order):
            computed = self._service_lines(
                service,
                service_class=service_class,
                meter_size=meter_size or ANY_METER_SIZE,
                start=max(start, service.start),
                end=min(end, service.end) if service.end else end,
                consumption=consumption,
                winter=winter if residential and self.capped.get(service.schedule_id) else None,
            )
            if computed.error is not None:
                return "exception", computed.error
            rows.extend(computed.rows)
            notes.extend(n for n in computed.notes if n not in notes)
            total += computed.total
        return _Bill(
            account_id=account_id,
            start=start,
            end=end,
            service_class=service_class,
            meter_size=meter_size,
            read_ids=[r.id for r in reads],
            estimated=any(r.estimated for r in reads),
            consumption=consumption,
            previous_balance=self.cycle.balances.get(account_id, ZERO),
            amount=total,
            notes="\n".join(notes),
            lines=rows,
        )

    def _no_service(self, role: str, location_id: int) -> tuple[str, str]:
        """Why an account with no service in the period has no bill: an owner's account
        on standby names the tenant's account, and what to do if service did not come
        back to it when the tenant moved out."""
        tenant = self.cycle.tenants.get(location_id) if role == "owner" else None
        if tenant is None:
            return (
                BillExceptionReason.NO_SERVICE,
                "No service is billed to this account in the period: its services are not "
                "set up (move-in) or ended.",
            )
        number, status, end_date = tenant
        if status in ("active", "pending") or end_date is None or end_date >= self.run.period_end:
            return (
                BillExceptionReason.OWNER_STANDBY,
                f"Owner's account on standby: tenant account {number} takes service at the "
                "location and is billed for it. Nothing to do.",
            )
        return (
            BillExceptionReason.OWNER_STANDBY,
            f"Tenant account {number} moved out on {end_date:%m/%d/%Y} and service did not "
            "go back to this owner's account: the location's use after that is billed to no "
            "one. Move the owner in again with the services (Move out, then Move in at the "
            "location), or close this account if the parcel has no service.",
        )

    def _service_lines(self, service: _Service, **inputs) -> _Computed:
        key = (service.schedule_id, *inputs.values())
        found = self.memo.get(key)
        if found is None:
            found = self._compute(service, **inputs)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[key] = found
        return found

    def _compute(
        self,
        service: _Service,
        *,
        service_class: str,
        meter_size: str,
        start: dt.date,
        end: dt.date,
        consumption: Decimal,
        winter: Decimal | None,
    ) -> _Computed:
        rates = self.cycle.rates[service.schedule_id]
        try:
            computation = compute_bill(
                [rates],
                service_class=service_class,
                meter_size=meter_size,
                start=start,
                end=end,
                consumption=consumption,
                winter_average=winter,
            )
        except RatingError as error:
            return _Computed(error=(BillExceptionReason.NO_RATE, error.message[:500]))
        rows = []
        for line in computation.lines:
            if self.cycle.fund_of.get(line.revenue_account_id) not in self.cycle.funds_with_control:
                fund = self.cycle.fund_codes.get(line.revenue_account_id, "?")
                return _Computed(
                    error=(
                        BillExceptionReason.NO_CONTROL_ACCOUNT,
                        f"Fund {fund} has no utility AR control account: the administrator "
                        f"marks one (e.g. {fund}-0000-1110) in the chart of accounts.",
                    )
                )
            rows.append(
                copy_fields(
                    line.service_kind,
                    line.schedule_code,
                    line.kind,
                    line.description[:200],
                    line.units,
                    line.rate,
                    line.amount,
                    line.arithmetic,
                    line.version_id,
                    line.start,
                    line.end,
                    line.days,
                    line.revenue_account_id,
                )
            )
        return _Computed(rows=tuple(rows), total=computation.total, notes=tuple(computation.notes))


def _service_order(service: _Service) -> tuple:
    kind = SERVICE_ORDER.index(service.kind) if service.kind in SERVICE_ORDER else 99
    return (kind, service.start, service.schedule_id)


def _read_state(read: _Read) -> str:
    if read.consumption is None:
        return "not validated"
    return {"open": "exception open", "re_read_requested": "re-read requested"}.get(
        read.exception_status, read.exception_status
    )


def _closed_period(run: BillRun) -> str | None:
    """Why the run's bills cannot post on its bill date, or None."""
    period = (
        FiscalPeriod.objects.select_related("fiscal_year")
        .filter(start_date__lte=run.bill_date, end_date__gte=run.bill_date, number__lt=13)
        .first()
    )
    if period is None:
        return f"No fiscal period covers the bill date {run.bill_date:%m/%d/%Y}."
    if not period.is_open:
        return f"{period} (the bill date's period) is closed to posting."
    return None


def compute_bill_run(
    run_id: int,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    chunk_accounts: int = CHUNK_ACCOUNTS,
) -> BillRun:
    """Compute a run that is computing: one bill or one exception row per active account
    of its cycle, and the run's counts and totals, in one transaction. A run computed (or
    discarded) already is returned as it is, so a resumed job does nothing twice; a run
    killed halfway wrote nothing, and computing it again gives a clean run's result."""
    with transaction.atomic(durable=True):
        run = BillRun.objects.select_for_update().select_related("cycle").get(pk=run_id)
        if run.status != BillRunStatus.COMPUTING:
            return run
        cycle = _Cycle(run)
        biller = _Biller(run, cycle, _closed_period(run))
        total = len(cycle.accounts)
        if progress is not None:
            progress(0, total)
        outcome = _Outcome()
        for first in range(0, total, chunk_accounts):
            chunk = cycle.accounts[first : first + chunk_accounts]
            _write_chunk(run, [biller.bill(row) for row in chunk], outcome)
            if progress is not None:
                progress(min(first + chunk_accounts, total), total)
        run.accounts_selected = total
        run.bills_count = outcome.bills
        run.exceptions_count = outcome.exceptions
        run.consumption_total = outcome.consumption
        run.amount_total = outcome.amount
        run.status = BillRunStatus.COMPUTED
        run.computed_at = timezone.now()
        run.error = ""
        run.save(
            update_fields=[
                "accounts_selected",
                "bills_count",
                "exceptions_count",
                "consumption_total",
                "amount_total",
                "status",
                "computed_at",
                "error",
            ]
        )
    return run


def _write_chunk(run: BillRun, results: list[tuple], outcome: _Outcome) -> None:
    """Write a chunk's bills (ids drawn from the sequence first, so their lines can name
    them in the same COPY), lines and exception rows."""
    bills = [values for kind, values in results if kind == "bill"]
    exceptions = [values for kind, values in results if kind == "exception"]
    with connection.cursor() as cursor:
        if bills:
            cursor.execute(NEXT_BILL_IDS_SQL, [len(bills)])
            ids = [row[0] for row in cursor.fetchall()]
            # COPY text written in one piece a table: psycopg's write_row adapts each
            # value in Python, a third of the run's time at a hundred thousand bills.
            head = f"\t{run.pk}\t"
            due = run.due_date.isoformat()
            with cursor.copy(COPY_BILLS) as copy:
                copy.write(
                    "".join(
                        _bill_row(bill_id, head, bill, due)
                        for bill_id, bill in zip(ids, bills, strict=True)
                    )
                )
            with cursor.copy(COPY_LINES) as copy:
                copy.write(
                    "".join(
                        f"{bill_id}{head}{position}\t{line}\n"
                        for bill_id, bill in zip(ids, bills, strict=True)
                        for position, line in enumerate(bill.lines, start=1)
                    )
                )
        if exceptions:
            with cursor.copy(COPY_EXCEPTIONS) as copy:
                for account_id, reason, detail in exceptions:
                    copy.write_row((run.pk, account_id, str(reason), detail))
    outcome.bills += len(bills)
    outcome.exceptions += len(exceptions)
    for bill in bills:
        outcome.consumption += bill.consumption
        outcome.amount += bill.amount


def _bill_row(bill_id: int, head: str, bill: _Bill, due: str) -> str:
    """A bill's COPY text row; its class and meter size are codes, its notes escaped."""
    reads = ",".join(str(pk) for pk in bill.read_ids)
    notes = _copy_field(bill.notes) if bill.notes else ""
    return (
        f"{bill_id}{head}{bill.account_id}\t{bill.start.isoformat()}\t{bill.end.isoformat()}"
        f"\t{bill.service_class}\t{bill.meter_size}\t{{{reads}}}"
        f"\t{'t' if bill.estimated else 'f'}\t{bill.consumption:f}\t{bill.previous_balance:f}"
        f"\t{bill.amount:f}\t{due}\t{notes}\n"
    )
