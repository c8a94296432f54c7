"""Meter reads: recording them (by hand, from a file, at a meter's installation or
removal, as an estimate), working out their consumption and exceptions, and settling an
exception (accept, correct, re-read).

Every way in goes through `record_reads`: the rows are staged in a temporary table
(COPY), checked against the meters in one query, inserted with INSERT ... SELECT and
measured with the two statements of read_sql.py. All or nothing: one bad row refuses
the lot, with every bad row's problems beside it.

What a bill takes (the bill run's contract): the consumption of an account's period is
the sum of `MeterRead.consumption` over the billable reads (exception status none,
accepted or corrected) at its location (`MeterRead.location`, where the meter was when
read) whose read dates fall in the period; a meter changed mid-cycle bills from both
meters. queries/reads.py `billable_consumption` reads it so.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from millbrae_finance.roles import has_role
from utility_billing.models import (
    ExceptionStatus,
    Meter,
    MeterRead,
    MeterStatus,
    ReadKind,
    ReadSource,
    ServiceOrder,
    ServiceOrderKind,
)
from utility_billing.permissions import METER_WORKERS
from utility_billing.queries.reads import account_at, estimate_for
from utility_billing.read_checks import read_checks
from utility_billing.services import read_sql

STAGED = "utility_staged_reads"
# Reads inserted and measured per statement: the bar of a large file's job moves a
# slice at a time; each slice is still a handful of set-based statements.
SLICE_ROWS = 10_000


@dataclass
class ReadRow:
    """One read to record, as typed or read from a file, with what is wrong with it.
    `line` names it to the person: the file's line, or the route sheet's row."""

    line: int
    serial: str
    read_date: dt.date | None
    reading: Decimal | None
    kind: str = ReadKind.ACTUAL
    source: str = ReadSource.MANUAL
    note: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def parsed(self) -> bool:
        return self.read_date is not None and self.reading is not None


class ReadsRefused(ValidationError):
    """Rows at fault: nothing was recorded. `rows` holds every row, each with its errors."""

    def __init__(self, rows: Sequence[ReadRow]) -> None:
        bad = [row for row in rows if row.errors]
        super().__init__(
            f"{len(bad)} row{'s' if len(bad) != 1 else ''} to fix: nothing was recorded."
        )
        self.rows = list(rows)
        self.bad_rows = bad


@dataclass(frozen=True)
class Recorded:
    """What `record_reads` wrote: the new reads' ids, and how many came in with an
    exception to review."""

    read_ids: list[int]
    exceptions: int


def _require_worker(actor: AbstractBaseUser) -> None:
    if not has_role(actor, *METER_WORKERS):
        raise PermissionDenied("Only technicians and senior technicians record meter reads.")


# ---------------------------------------------------------------- measuring


def validate_reads(read_ids: Sequence[int]) -> None:
    """Work out the consumption of the named reads (previous read, multiplier, rollover)
    and the exception codes of those nobody has settled: set-based, any number at once.
    Call it in the transaction that wrote the reads, after every read it measures from."""
    ids = list(read_ids)
    if not ids:
        return
    params = {"ids": ids, **read_checks().as_sql_params()}
    with connection.cursor() as cursor:
        cursor.execute(read_sql.MEASURE_SQL, params)
        cursor.execute(read_sql.CODES_SQL, params)


def _later_read_ids(read: MeterRead) -> list[int]:
    """The reads of the meter after this one in its installation: each measures from
    the one before it, so they are measured again when this one changes."""
    return list(
        MeterRead.objects.filter(
            meter_id=read.meter_id,
            read_date__gt=read.read_date,
            read_date__gte=read.meter.install_date,
        )
        .order_by("read_date")
        .values_list("pk", flat=True)
    )


# ---------------------------------------------------------------- recording


def check_row_values(rows: Sequence[ReadRow]) -> None:
    """The checks that need no database: a date not in the future, a reading not below
    zero, one read of a meter a day within the rows."""
    today = timezone.localdate()
    first_line: dict[tuple[str, dt.date], int] = {}
    for row in rows:
        if row.read_date is not None and row.read_date > today:
            row.errors.append(f"The read date {row.read_date:%Y-%m-%d} is in the future.")
        if row.reading is not None and row.reading < 0:
            row.errors.append("A reading cannot be below zero.")
        if row.read_date is not None and row.serial:
            key = (row.serial, row.read_date)
            if key in first_line:
                row.errors.append(
                    f"Meter {row.serial} is read on {row.read_date:%Y-%m-%d} already "
                    f"(line {first_line[key]})."
                )
            else:
                first_line[key] = row.line


def _check_staged(cursor, rows: Sequence[ReadRow]) -> None:
    by_line = {row.line: row for row in rows}
    cursor.execute(read_sql.CHECK_STAGED_SQL.format(staged=STAGED))
    for line, meter_id, status, installed, removed, dials, last_date, duplicate in cursor:
        row = by_line[line]
        serial, day = row.serial, row.read_date
        if meter_id is None:
            row.errors.append(f"No meter has serial number {serial}.")
            continue
        if status == MeterStatus.IN_STOCK:
            row.errors.append(f"Meter {serial} is not installed (it is in stock).")
        elif status == MeterStatus.REMOVED:
            row.errors.append(f"Meter {serial} was removed on {removed:%Y-%m-%d}.")
        elif status == MeterStatus.RETIRED:
            row.errors.append(f"Meter {serial} is retired.")
        if installed is not None and day < installed:
            row.errors.append(
                f"The read date {day:%Y-%m-%d} is before meter {serial} was installed "
                f"({installed:%Y-%m-%d})."
            )
        if duplicate:
            row.errors.append(f"Meter {serial} already has a read on {day:%Y-%m-%d}.")
        elif last_date is not None and day < last_date:
            row.errors.append(
                f"Meter {serial} was last read on {last_date:%Y-%m-%d}: a read dated "
                "earlier cannot be added (correct that read instead)."
            )
        if row.reading >= 10**dials:
            row.errors.append(
                f"The reading {row.reading} does not fit meter {serial}'s {dials} dials "
                f"(it shows at most {10**dials - 1})."
            )


def record_reads(
    rows: Sequence[ReadRow],
    *,
    actor: AbstractBaseUser,
    progress: Callable[[int, int | None], None] | None = None,
) -> Recorded:
    """Check every row and record them all, measured and validated, or none: raises
    ReadsRefused with each bad row's problems. Runs inside the caller's transaction."""
    check_row_values(rows)
    staged = [row for row in rows if row.parsed and row.serial]
    ordered = sorted(staged, key=lambda row: (row.read_date, row.serial, row.line))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGED}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGED} (line integer PRIMARY KEY, seq integer NOT NULL,"
            " serial text NOT NULL, read_date date NOT NULL, reading numeric(14, 3) NOT NULL,"
            " kind text NOT NULL, source text NOT NULL, note text NOT NULL) ON COMMIT DROP"
        )
        with cursor.copy(
            f"COPY {STAGED} (line, seq, serial, read_date, reading, kind, source, note) FROM STDIN"
        ) as copy:
            for seq, row in enumerate(ordered, start=1):
                copy.write_row(
                    (
                        row.line,
                        seq,
                        row.serial,
                        row.read_date,
                        row.reading,
                        row.kind,
                        row.source,
                        row.note,
                    )
                )
        cursor.execute(read_sql.LOCK_STAGED_METERS_SQL.format(staged=STAGED))
        _check_staged(cursor, rows)
        if any(row.errors for row in rows) or len(staged) != len(rows):
            cursor.execute(f"DROP TABLE {STAGED}")
            raise ReadsRefused(rows)
        total = len(ordered)
        ids: list[int] = []
        for after in range(0, total, SLICE_ROWS):
            cursor.execute(
                read_sql.INSERT_STAGED_SQL.format(staged=STAGED),
                {"actor": actor.pk, "after": after, "upto": after + SLICE_ROWS},
            )
            slice_ids = [read_id for (read_id,) in cursor.fetchall()]
            validate_reads(slice_ids)
            ids.extend(slice_ids)
            if progress is not None:
                progress(min(after + SLICE_ROWS, total), total)
        cursor.execute(read_sql.COMPLETE_RE_READS_SQL, {"ids": ids, "actor": actor.pk})
        cursor.execute(f"DROP TABLE {STAGED}")
        cursor.execute(
            "SELECT count(*) FROM utility_billing_meterread"
            " WHERE id = ANY(%s) AND exception_status = 'open'",
            [ids],
        )
        (exceptions,) = cursor.fetchone()
    return Recorded(read_ids=ids, exceptions=exceptions)


def enter_reads(rows: Sequence[ReadRow], *, actor: AbstractBaseUser) -> Recorded:
    """Record the reads typed on a route sheet: all of them, or none with each bad row's
    problems beside it."""
    _require_worker(actor)
    if not rows:
        raise ValidationError("Type at least one reading.")
    with transaction.atomic(durable=True):
        return record_reads(rows, actor=actor)


def record_one_read(
    meter: Meter,
    *,
    read_date: dt.date,
    reading: Decimal,
    actor: AbstractBaseUser,
    kind: str = ReadKind.ACTUAL,
    note: str = "",
    field_name: str = "reading",
) -> MeterRead:
    """One read, inside the caller's transaction (a meter's install, removal or change):
    its problems are raised beside `field_name`."""
    row = ReadRow(
        line=1,
        serial=meter.serial,
        read_date=read_date,
        reading=reading,
        kind=kind,
        source=ReadSource.MANUAL,
        note=note,
    )
    try:
        recorded = record_reads([row], actor=actor)
    except ReadsRefused:
        raise ValidationError({field_name: row.errors}) from None
    return MeterRead.objects.get(pk=recorded.read_ids[0])


# ---------------------------------------------------------------- exceptions


def _locked_open_read(read: MeterRead) -> MeterRead:
    # The meter first, then the read: the order record_reads and the meter services
    # lock in, so a correction and an import of the same meter cannot deadlock.
    Meter.objects.select_for_update().get(pk=read.meter_id)
    locked = MeterRead.objects.select_for_update().select_related("meter").get(pk=read.pk)
    if locked.exception_status != ExceptionStatus.OPEN:
        raise ValidationError(
            f"This read's exception is {locked.get_exception_status_display().lower()} "
            "already: nothing to settle."
        )
    if locked.read_date < locked.meter.install_date:
        raise ValidationError("This read belongs to an earlier installation of the meter.")
    return locked


def _noted(read: MeterRead, action: str, note: str, actor: AbstractBaseUser) -> str:
    line = f"{timezone.localdate():%Y-%m-%d} {actor.get_username()}: {action}"
    if note.strip():
        line += f" {note.strip()}"
    return f"{read.note}\n{line}" if read.note else line


def accept_read(read: MeterRead, *, note: str, actor: AbstractBaseUser) -> MeterRead:
    """The read is right as it is: it is billed. A reading lower than the previous one,
    accepted, bills zero (the previous read was too high)."""
    _require_worker(actor)
    if not note.strip():
        raise ValidationError({"note": "Say why the read is right."})
    with transaction.atomic(durable=True):
        read = _locked_open_read(read)
        read.exception_status = ExceptionStatus.ACCEPTED
        if read.consumption is None:
            read.consumption = Decimal("0.000")
        read.note = _noted(read, "Accepted.", note, actor)
        read.save(update_fields=["exception_status", "consumption", "note"])
    return read


def correct_read(
    read: MeterRead, *, reading: Decimal, note: str, actor: AbstractBaseUser
) -> MeterRead:
    """The reading was mistyped or misread: the new reading is measured and checked
    again. Clean now, the read is corrected (its codes say what was wrong); still odd,
    it stays open with the new codes. The meter's later reads are measured again."""
    _require_worker(actor)
    if reading < 0:
        raise ValidationError({"reading": "A reading cannot be below zero."})
    with transaction.atomic(durable=True):
        read = _locked_open_read(read)
        if reading >= 10**read.meter.dials:
            raise ValidationError(
                {
                    "reading": f"The meter has {read.meter.dials} dials: it shows at most "
                    f"{10**read.meter.dials - 1}."
                }
            )
        was = read.reading
        codes_before = list(read.exception_codes)
        MeterRead.objects.filter(pk=read.pk).update(
            reading=reading, exception_status=ExceptionStatus.NONE, exception_codes=[]
        )
        validate_reads([read.pk])
        read.refresh_from_db()
        if read.exception_status == ExceptionStatus.NONE:
            read.exception_status = ExceptionStatus.CORRECTED
            read.exception_codes = codes_before
        read.note = _noted(read, f"Corrected from {was} to {reading}.", note, actor)
        read.save(update_fields=["exception_status", "exception_codes", "note"])
        validate_reads(_later_read_ids(read))
    return read


def request_re_read(read: MeterRead, *, note: str, actor: AbstractBaseUser) -> ServiceOrder:
    """Send someone to read the meter again: a re-read service order. The read is set
    aside (not billed, not measured from); the re-read, when it comes in, completes the
    order."""
    _require_worker(actor)
    with transaction.atomic(durable=True):
        read = _locked_open_read(read)
        read.exception_status = ExceptionStatus.RE_READ_REQUESTED
        read.note = _noted(read, "Re-read requested.", note, actor)
        read.save(update_fields=["exception_status", "note"])
        account = account_at(read.location_id, read.read_date)
        order = ServiceOrder.objects.create(
            location_id=read.location_id,
            account=account,
            meter_id=read.meter_id,
            kind=ServiceOrderKind.RE_READ,
            requested_by=actor,
            notes=f"Re-read meter {read.meter.serial}: the read of "
            f"{read.read_date:%Y-%m-%d} ({read.reading}) looked wrong "
            f"({', '.join(read.exception_codes)}). {note.strip()}".strip(),
        )
        validate_reads(_later_read_ids(read))
    return order


# ---------------------------------------------------------------- estimates


def apply_estimate(
    meter: Meter, *, read_date: dt.date, note: str = "", actor: AbstractBaseUser
) -> MeterRead:
    """Record an estimated read for a read that is missing: the account's average use
    per day times the days since the meter's last read. The next actual read trues it
    up, as every read is measured from the one before it."""
    _require_worker(actor)
    with transaction.atomic(durable=True):
        meter = Meter.objects.select_for_update().get(pk=meter.pk)
        if meter.status != MeterStatus.INSTALLED:
            raise ValidationError("Only an installed meter's read is estimated.")
        estimate = estimate_for(meter, read_date)
        if estimate.problem:
            raise ValidationError({"read_date": estimate.problem})
        return record_one_read(
            meter,
            read_date=read_date,
            reading=estimate.reading,
            kind=ReadKind.ESTIMATED,
            note=note.strip() or estimate.explanation,
            actor=actor,
            field_name="read_date",
        )
