"""Every state change of the ledger. `post_entry` is the only code that writes journal
entries and lines; every module posts through it. Account balances follow from the lines:
a trigger on the lines keeps them (ledger/migrations/sql/0007_period_status_guarded.sql),
and the app's database role may only read them."""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import (
    ADJUSTMENT_PERIOD,
    Account,
    FiscalPeriod,
    Fund,
    JournalEntry,
    PeriodStatus,
)
from millbrae_finance.money import CENT, MAX_DIGITS

# Interfund lines: an entry that crosses funds is balanced within each fund by a line to
# the fund's "due from other funds" (an asset, for a fund owed money) or "due to other
# funds" (a liability, for a fund that owes), in the fund's non-departmental department.
INTERFUND_DEPARTMENT = "0000"
DUE_FROM_OBJECT = "1310"
DUE_TO_OBJECT = "2110"


@dataclass(frozen=True)
class LineSpec:
    """One line asked for: an account (or its number), a signed amount, a memo."""

    account: Account | str
    amount: Decimal
    memo: str = ""


# ---------------------------------------------------------------- posting

# post_entry writes with plain SQL, two statements a posting (the entry, its lines), the
# way a bare INSERT would: through the ORM (create, bulk_create, a savepoint, a read of the
# key and one of the period) the service ran at a quarter of that rate (measured).
# ON CONFLICT DO NOTHING on the key makes a racing repeat wait for the first posting and
# then insert nothing, so no savepoint is needed to recover from a duplicate key.
INSERT_ENTRY = """
    INSERT INTO ledger_journalentry (
        entry_date, period_id, source_module, source_document, memo, prepared_by_id,
        approved_by_id, posted_at, idempotency_key, fingerprint, reverses_id)
    SELECT %s, p.id, %s, %s, %s, %s, %s, %s, %s, %s, %s
      FROM ledger_fiscalperiod p
     WHERE {period} AND p.status = %s
     ORDER BY p.id
     LIMIT 1
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, period_id
"""
PERIOD_BY_ID = "p.id = %s"
PERIOD_BY_DATE = "p.start_date <= %s AND p.end_date >= %s AND p.number < %s"
INSERT_LINES = (
    "INSERT INTO ledger_journalline (entry_id, account_id, fund_id, amount, memo) VALUES "
)


def post_entry(
    *,
    entry_date: dt.date,
    lines: Sequence[LineSpec],
    memo: str,
    source_module: str,
    idempotency_key: str,
    prepared_by: AbstractBaseUser,
    approved_by: AbstractBaseUser | None = None,
    source_document: str = "",
    period: FiscalPeriod | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post a balanced journal entry (its lines update the account balances), atomically.

    Runs inside the caller's transaction when there is one, so a module's document and its
    entry commit or fail together. Posting the same idempotency key again returns the
    first entry and writes nothing; the same key with different lines is refused.
    Lines that cross funds get due-to/due-from lines so that each fund balances.
    """
    if not idempotency_key:
        raise ValueError("Every posting needs an idempotency key.")
    resolved = _resolve_lines(lines)
    fingerprint = _fingerprint(entry_date, resolved, reverses)
    if period is not None and not period.is_open:
        existing = _posted_with_key(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        raise ValidationError({"entry_date": f"{period} is closed to posting."})
    resolved = resolved + _interfund_lines(resolved)
    if period is None:
        where, where_params = PERIOD_BY_DATE, [entry_date, entry_date, ADJUSTMENT_PERIOD]
    else:
        where, where_params = PERIOD_BY_ID, [period.pk]
    posted_at = timezone.now()
    entry_params = [
        entry_date,
        source_module,
        source_document,
        memo,
        prepared_by.pk,
        approved_by.pk if approved_by is not None else None,
        posted_at,
        idempotency_key,
        fingerprint,
        reverses.pk if reverses is not None else None,
        *where_params,
        PeriodStatus.OPEN.value,
    ]
    line_params: list[object] = []
    # No savepoint: an error in here aborts the caller's transaction anyway, and the
    # ValidationErrors a caller may catch are raised outside this block.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(INSERT_ENTRY.format(period=where), entry_params)
        row = cursor.fetchone()
        if row is not None:
            entry_id, period_id = row
            for account, amount, line_memo in resolved:
                line_params += [entry_id, account.pk, account.fund_id, amount, line_memo]
            cursor.execute(
                INSERT_LINES + ", ".join(["(%s, %s, %s, %s, %s)"] * len(resolved)), line_params
            )
    if row is None:
        # Nothing inserted: the key was posted before (now, or by a racing request that
        # committed while this one waited on the key), or no open period takes the date.
        existing = _posted_with_key(idempotency_key, fingerprint)
        if existing is not None:
            return existing
        if period is None:
            _open_period_id(entry_date)  # raises the reason
        raise ValidationError({"entry_date": f"{period or entry_date} is closed to posting."})
    entry = JournalEntry(
        id=entry_id,
        entry_date=entry_date,
        period_id=period_id,
        source_module=source_module,
        source_document=source_document,
        memo=memo,
        prepared_by=prepared_by,
        approved_by=approved_by,
        posted_at=posted_at,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        reverses=reverses,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def _posted_with_key(idempotency_key: str, fingerprint: str) -> JournalEntry | None:
    """The entry already posted with this key, or None; refused if its lines differ."""
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    return _same_or_refuse(existing, fingerprint)


def _open_period_id(day: dt.date) -> int:
    """The open monthly period a date falls in; a clear error if none or closed. (The
    database checks again, under a lock, when the entry is written.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.status, y.year, p.number FROM ledger_fiscalperiod p"
            " JOIN ledger_fiscalyear y ON y.id = p.fiscal_year_id"
            " WHERE p.start_date <= %s AND p.end_date >= %s AND p.number < %s",
            [day, day, ADJUSTMENT_PERIOD],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError({"entry_date": f"No fiscal period covers {day:%Y-%m-%d}."})
    period_id, status, year, number = row
    if status != PeriodStatus.OPEN:
        raise ValidationError({"entry_date": f"FY {year} P{number:02d} is closed to posting."})
    return period_id


@dataclass(frozen=True)
class EntrySpec:
    """One entry of a batch: what post_entry takes for a single one."""

    entry_date: dt.date
    lines: Sequence[LineSpec]
    memo: str
    idempotency_key: str
    source_document: str = ""


# A batch writes its entries in one statement and their lines in one COPY, whatever its
# size; the database's own checks (each entry's period, each line's account, the balances
# trigger once for the COPY, each entry's balance at commit) apply as to a single posting.
INSERT_ENTRIES = """
    INSERT INTO ledger_journalentry (
        entry_date, period_id, source_module, source_document, memo, prepared_by_id,
        approved_by_id, posted_at, idempotency_key, fingerprint)
    SELECT e.entry_date, e.period_id, %s, e.source_document, e.memo, %s, %s, %s,
           e.idempotency_key, e.fingerprint
      FROM unnest(%s::date[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
           WITH ORDINALITY AS e(entry_date, period_id, source_document, memo,
                                idempotency_key, fingerprint, n)
     ORDER BY e.n
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
"""
COPY_LINES = "COPY ledger_journalline (entry_id, account_id, fund_id, amount, memo) FROM STDIN"


def post_entries(
    entries: Sequence[EntrySpec],
    *,
    source_module: str,
    prepared_by: AbstractBaseUser,
    approved_by: AbstractBaseUser | None = None,
) -> list[JournalEntry]:
    """Post many balanced entries (a bill run, a penalty batch, a payment run) in a few
    set-based statements, atomically, returning one entry per spec in the same order.

    Each entry is checked as post_entry checks it, all before anything is written: one
    entry at fault refuses the whole batch with every error named by its key. Keys already
    posted return their first entries; a batch retried posts nothing new.
    """
    keys = [spec.idempotency_key for spec in entries]
    if not all(keys):
        raise ValueError("Every posting needs an idempotency key.")
    if len(set(keys)) != len(keys):
        raise ValueError("A batch names each idempotency key once.")
    if not entries:
        return []
    by_number = _accounts_by_number([spec.lines for spec in entries])
    errors: list[str] = []
    resolved_by_key: dict[str, list[tuple[Account, Decimal, str]]] = {}
    fingerprints: dict[str, str] = {}
    for spec in entries:
        try:
            resolved = _resolve_lines(spec.lines, by_number)
        except ValidationError as error:
            errors += [f"Entry {spec.idempotency_key}: {message}" for message in error.messages]
            continue
        resolved_by_key[spec.idempotency_key] = resolved
        fingerprints[spec.idempotency_key] = _fingerprint(spec.entry_date, resolved, None)
    if errors:
        raise ValidationError(errors)

    posted = _posted_with_keys(fingerprints)
    new = [spec for spec in entries if spec.idempotency_key not in posted]
    periods = _open_periods_for(sorted({spec.entry_date for spec in new}))
    interfund = _interfund_accounts(
        {fund for spec in new for fund in _unbalanced_funds(resolved_by_key[spec.idempotency_key])}
    )
    for spec in new:
        key = spec.idempotency_key
        try:
            resolved_by_key[key] = resolved_by_key[key] + _interfund_lines(
                resolved_by_key[key], interfund
            )
        except ValidationError as error:
            errors += [f"Entry {key}: {message}" for message in error.messages]
        period = periods[spec.entry_date]
        if isinstance(period, str):
            errors.append(f"Entry {key}: {period}")
    if errors:
        raise ValidationError(errors)

    if new:
        posted_at = timezone.now()
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(
                INSERT_ENTRIES,
                [
                    source_module,
                    prepared_by.pk,
                    approved_by.pk if approved_by is not None else None,
                    posted_at,
                    [spec.entry_date for spec in new],
                    [periods[spec.entry_date] for spec in new],
                    [spec.source_document for spec in new],
                    [spec.memo for spec in new],
                    [spec.idempotency_key for spec in new],
                    [fingerprints[spec.idempotency_key] for spec in new],
                ],
            )
            ids = {key: entry_id for entry_id, key in cursor.fetchall()}
            with cursor.copy(COPY_LINES) as copy:
                for spec in new:
                    entry_id = ids.get(spec.idempotency_key)
                    if entry_id is None:
                        continue  # posted by a racing batch meanwhile: checked below
                    for account, amount, line_memo in resolved_by_key[spec.idempotency_key]:
                        copy.write_row((entry_id, account.pk, account.fund_id, amount, line_memo))
            raced = {key: fingerprints[key] for key in keys if key not in posted and key not in ids}
            if raced:
                # Inside the transaction: a racing batch's entry with other lines refuses
                # this whole batch, the rows written above included.
                posted |= _posted_with_keys(raced)
        for spec in new:
            key = spec.idempotency_key
            if key in ids:
                posted[key] = _built_entry(
                    ids[key],
                    spec,
                    period_id=periods[spec.entry_date],
                    source_module=source_module,
                    # Ids, not the users: setting a relation costs more than the rest of
                    # building an entry, a hundred thousand times over.
                    prepared_by_id=prepared_by.pk,
                    approved_by_id=approved_by.pk if approved_by is not None else None,
                    posted_at=posted_at,
                    fingerprint=fingerprints[key],
                )
    return [posted[key] for key in keys]


def _posted_with_keys(fingerprints: dict[str, str]) -> dict[str, JournalEntry]:
    """The entries already posted with these keys; refused if any one's lines differ."""
    # An array, not IN (...): a batch's keys outnumber the parameters a statement may take.
    found = {
        entry.idempotency_key: entry
        for entry in JournalEntry.objects.raw(
            "SELECT * FROM ledger_journalentry WHERE idempotency_key = ANY(%s)",
            [list(fingerprints)],
        )
    }
    differ = [
        f"Entry {key}: already posted as JE {entry.number} with different lines; "
        "it was not posted again."
        for key, entry in found.items()
        if entry.fingerprint != fingerprints[key]
    ]
    if differ:
        raise ValidationError(differ)
    return found


def _open_periods_for(days: list[dt.date]) -> dict[dt.date, int | str]:
    """For each date, its open monthly period's id, or the reason it has none."""
    if not days:
        return {}
    periods = list(
        FiscalPeriod.objects.select_related("fiscal_year")
        .filter(start_date__lte=days[-1], end_date__gte=days[0], number__lt=ADJUSTMENT_PERIOD)
        .order_by("start_date")
    )
    found: dict[dt.date, int | str] = {}
    for day in days:
        period = next((p for p in periods if p.start_date <= day <= p.end_date), None)
        if period is None:
            found[day] = f"No fiscal period covers {day:%Y-%m-%d}."
        elif not period.is_open:
            found[day] = f"{period} is closed to posting."
        else:
            found[day] = period.pk
    return found


def _built_entry(entry_id: int, spec: EntrySpec, **fields: object) -> JournalEntry:
    """The JournalEntry just inserted, built from what was written rather than read back."""
    entry = JournalEntry(
        id=entry_id,
        entry_date=spec.entry_date,
        source_document=spec.source_document,
        memo=spec.memo,
        idempotency_key=spec.idempotency_key,
        **fields,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def reverse_entry(
    entry: JournalEntry,
    *,
    entry_date: dt.date,
    actor: AbstractBaseUser,
    memo: str = "",
    idempotency_key: str,
) -> JournalEntry:
    """Post the mirror image of an entry into the (open) period of `entry_date`, linked
    both ways: entry.reversed_by and reversal.reverses."""
    if entry.reverses_id is not None:
        raise ValidationError("This entry is itself a reversal; post a new entry instead.")
    if entry_date < entry.entry_date:
        # A reversal dated before its entry would show a balance that never existed.
        when = f"{entry.entry_date:%Y-%m-%d}"
        raise ValidationError(
            {"entry_date": f"A reversal cannot be dated before the entry ({when})."}
        )
    already = JournalEntry.objects.filter(reverses=entry).first()
    if already is not None and already.idempotency_key != idempotency_key:
        raise ValidationError(f"{entry} was already reversed by {already}.")
    lines = [
        LineSpec(account=line.account, amount=-line.amount, memo=line.memo)
        # Interfund lines too: mirroring every line reverses each account exactly.
        for line in entry.lines.select_related("account").order_by("id")
    ]
    return post_entry(
        entry_date=entry_date,
        lines=lines,
        memo=memo or f"Reversal of JE {entry.number}: {entry.memo}"[:250],
        source_module=entry.source_module,
        source_document=entry.source_document,
        idempotency_key=idempotency_key,
        prepared_by=actor,
        approved_by=actor,
        reverses=entry,
    )


def _resolve_lines(
    lines: Sequence[LineSpec], by_number: dict[str, Account] | None = None
) -> list[tuple[Account, Decimal, str]]:
    errors = []
    if by_number is None:
        by_number = _accounts_by_number([lines])
    resolved = []
    for index, line in enumerate(lines, start=1):
        account = by_number.get(line.account) if isinstance(line.account, str) else line.account
        amount = line.amount
        if account is None:
            errors.append(f"Line {index}: no account {line.account}.")
            continue
        if not account.is_active or not account.allows_posting:
            errors.append(f"Line {index}: account {account.number} does not accept postings.")
        if not isinstance(amount, Decimal):
            errors.append(f"Line {index}: the amount must be a Decimal.")
            continue
        if amount == 0:
            errors.append(f"Line {index}: the amount is zero.")
        elif (
            amount != amount.quantize(CENT)
            or len(amount.quantize(CENT).as_tuple().digits) > MAX_DIGITS
        ):
            errors.append(f"Line {index}: {amount} is not an amount to the cent.")
        resolved.append((account, amount, line.memo))
    if len(lines) < 2:
        errors.append("An entry needs at least two lines.")
    total = sum((amount for _, amount, _ in resolved), Decimal("0.00"))
    if not errors and total != 0:
        errors.append(f"Debits and credits differ by {total}.")
    if errors:
        raise ValidationError(errors)
    return resolved


def _accounts_by_number(line_sets: Sequence[Sequence[LineSpec]]) -> dict[str, Account]:
    numbers = {
        line.account for lines in line_sets for line in lines if isinstance(line.account, str)
    }
    # Callers that pass Account objects (most modules) skip the lookup altogether.
    return {a.number: a for a in Account.objects.filter(number__in=numbers)} if numbers else {}


def _unbalanced_funds(resolved: list[tuple[Account, Decimal, str]]) -> dict[int, Decimal]:
    by_fund: dict[int, Decimal] = defaultdict(Decimal)
    for account, amount, _ in resolved:
        by_fund[account.fund_id] += amount
    return {fund_id: total for fund_id, total in by_fund.items() if total != 0}


def _interfund_accounts(fund_ids: set[int]) -> dict[tuple[int, str], Account]:
    """Each fund's active due-to and due-from accounts, by (fund id, object code)."""
    if not fund_ids:
        return {}
    return {
        (a.fund_id, a.object_code.code): a
        for a in Account.objects.select_related("object_code", "fund").filter(
            fund_id__in=fund_ids,
            department__code=INTERFUND_DEPARTMENT,
            object_code__code__in=[DUE_TO_OBJECT, DUE_FROM_OBJECT],
            is_active=True,
        )
    }


def _interfund_lines(
    resolved: list[tuple[Account, Decimal, str]],
    accounts: dict[tuple[int, str], Account] | None = None,
) -> list[tuple[Account, Decimal, str]]:
    unbalanced = _unbalanced_funds(resolved)
    if not unbalanced:
        return []
    wanted = {
        (fund_id, DUE_TO_OBJECT if total > 0 else DUE_FROM_OBJECT): -total
        for fund_id, total in unbalanced.items()
    }
    if accounts is None:
        accounts = _interfund_accounts(set(unbalanced))
    lines, missing = [], []
    for (fund_id, object_code), amount in sorted(wanted.items()):
        account = accounts.get((fund_id, object_code))
        if account is None:
            fund = Fund.objects.get(pk=fund_id)
            kind = "due to" if object_code == DUE_TO_OBJECT else "due from"
            missing.append(
                f"Fund {fund.code} has no active '{kind} other funds' account "
                f"({fund.code}-{INTERFUND_DEPARTMENT}-{object_code})."
            )
            continue
        lines.append((account, amount, "Interfund"))
    if missing:
        raise ValidationError(missing)
    return lines


def _fingerprint(entry_date: dt.date, resolved, reverses: JournalEntry | None) -> str:
    parts = [entry_date.isoformat(), str(reverses.pk if reverses else "")]
    parts += sorted(f"{account.pk}:{amount}" for account, amount, _ in resolved)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _same_or_refuse(existing: JournalEntry, fingerprint: str) -> JournalEntry:
    if existing.fingerprint != fingerprint:
        raise ValidationError(
            f"This posting was already made as JE {existing.number} with different lines; "
            "it was not posted again."
        )
    return existing
