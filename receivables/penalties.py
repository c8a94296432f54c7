"""Penalties and interest: the rules as data, and the batch that charges them.

A rule charges each open item `days_after` days past its basis date (an invoice's due
date, a citation's issue date), once, or again every `repeat_every_days` days up to
`max_occurrences` times. Each (rule, item, occurrence) is charged at most once ever: the
batch skips what was charged, and unique indexes on the subledger make sure. The batch
is set-based (STYLE.md): a few SQL statements whatever the number of items, and one
journal entry for the whole run.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from ledger.models import Account, AccountType
from ledger.queries.calendar import period_for_date
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import ZERO
from millbrae_finance.roles import Role, has_role
from receivables.models import (
    HEARING_HOLDS,
    ArSubledger,
    CitationKind,
    PenaltyAppliesTo,
    PenaltyBatch,
    PenaltyCalculation,
    PenaltyRule,
)
from receivables.subledger import SOURCE_MODULE, control_account_for

# ---------------------------------------------------------------- rules

# The fields a person fills on the rule form, as the services take them.
RULE_FIELDS = (
    "code",
    "name",
    "applies_to",
    "citation_kind",
    "days_after",
    "calculation",
    "amount",
    "rate",
    "repeat_every_days",
    "max_occurrences",
    "revenue_account",
    "effective_from",
    "effective_to",
    "notes",
)
RULE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,29}")
# A flat late penalty of $10,000 or more is a typing error, not a policy.
MAX_FLAT = Decimal("10000.00")
# Interest is charged per period (a month, usually): more than 10% a period is absurd.
MAX_INTEREST_RATE = Decimal("10")
MAX_DAYS = 3650


def validate_penalty_rule(
    *,
    code: str,
    name: str,
    applies_to: str,
    citation_kind: str,
    days_after: int | None,
    calculation: str,
    amount: Decimal | None,
    rate: Decimal | None,
    repeat_every_days: int | None,
    max_occurrences: int | None,
    revenue_account: Account | None,
    effective_from: dt.date | None,
    effective_to: dt.date | None,
    notes: str,
    rule: PenaltyRule | None = None,
) -> dict:
    """The values a rule keeps (what its calculation does not use cleared), or a
    ValidationError by field."""
    errors: dict[str, str] = {}
    code = (code or "").strip().upper()
    if not RULE_CODE.fullmatch(code):
        errors["code"] = "Use capitals, digits and dashes, for example PKG-LATE-1."
    elif PenaltyRule.objects.filter(code=code).exclude(pk=rule.pk if rule else None).exists():
        errors["code"] = f"There is already a rule {code}."
    if not (name or "").strip():
        errors["name"] = "Name the rule as it prints on a statement."
    if applies_to not in PenaltyAppliesTo.values:
        errors["applies_to"] = "Choose invoices or citations."
    citation_kind = citation_kind or ""
    if citation_kind and citation_kind not in CitationKind.values:
        errors["citation_kind"] = "Choose parking, administrative, or every kind."
    elif citation_kind and applies_to == PenaltyAppliesTo.INVOICE:
        errors["citation_kind"] = "Only a citation rule names a kind of citation."
    if days_after is None or days_after < 0 or days_after > MAX_DAYS:
        errors["days_after"] = f"Enter a number of days from 0 to {MAX_DAYS}."
    if calculation not in PenaltyCalculation.values:
        errors["calculation"] = "Choose how the penalty is calculated."
    elif calculation == PenaltyCalculation.FLAT:
        rate = None
        if amount is None:
            errors["amount"] = "A flat penalty needs its amount."
        elif amount <= 0:
            errors["amount"] = "The amount must be more than zero."
        elif amount >= MAX_FLAT:
            errors["amount"] = f"${amount:,.2f} is absurd for a late penalty: under $10,000."
    else:
        amount = None
        if rate is None:
            errors["rate"] = "A percentage penalty needs its rate (10 means 10%)."
        elif rate <= 0:
            errors["rate"] = "The rate must be more than zero."
        elif rate > 100:
            errors["rate"] = "A rate is a percentage: at most 100."
        elif calculation == PenaltyCalculation.PERCENT_OF_BALANCE and rate > MAX_INTEREST_RATE:
            errors["rate"] = (
                f"{rate.normalize():f}% of the balance each time is absurd for interest: "
                f"at most {MAX_INTEREST_RATE}% a period."
            )
    if repeat_every_days is not None and not 1 <= repeat_every_days <= MAX_DAYS:
        errors["repeat_every_days"] = f"Repeat every 1 to {MAX_DAYS} days, or leave blank."
    if max_occurrences is not None:
        if repeat_every_days is None:
            errors["max_occurrences"] = "Only a repeating rule has a maximum: leave blank."
        elif not 1 <= max_occurrences <= 999:
            errors["max_occurrences"] = "Enter a maximum from 1 to 999, or leave blank."
    if revenue_account is None:
        errors["revenue_account"] = "Choose the revenue account the penalty is credited to."
    elif (
        revenue_account.account_type != AccountType.REVENUE
        or not revenue_account.is_active
        or not revenue_account.allows_posting
    ):
        errors["revenue_account"] = (
            f"{revenue_account.number} is not an active revenue account that takes postings."
        )
    if effective_from is None:
        errors["effective_from"] = "Enter the first day the rule applies."
    elif effective_to is not None and effective_to < effective_from:
        errors["effective_to"] = "The rule cannot end before it starts."
    if errors:
        raise ValidationError(errors)
    return {
        "code": code,
        "name": name.strip(),
        "applies_to": applies_to,
        "citation_kind": citation_kind,
        "days_after": days_after,
        "calculation": calculation,
        "amount": amount,
        "rate": rate,
        "repeat_every_days": repeat_every_days,
        "max_occurrences": max_occurrences,
        "revenue_account": revenue_account,
        "effective_from": effective_from,
        "effective_to": effective_to,
        "notes": (notes or "").strip(),
    }


def create_penalty_rule(*, actor: AbstractBaseUser, **values) -> PenaltyRule:
    """Add a penalty, escalation or interest rule; the next batch applies it."""
    cleaned = validate_penalty_rule(**values)
    with transaction.atomic(durable=True):
        return PenaltyRule.objects.create(**cleaned)


def update_penalty_rule(
    rule: PenaltyRule, *, is_active: bool = True, actor: AbstractBaseUser, **values
) -> PenaltyRule:
    """Change a rule, or deactivate it. What earlier batches charged stays charged; an
    occurrence already charged is never charged again, whatever the new terms."""
    cleaned = validate_penalty_rule(**values, rule=rule)
    with transaction.atomic(durable=True):
        rule = PenaltyRule.objects.select_for_update().get(pk=rule.pk)
        for field, value in cleaned.items():
            setattr(rule, field, value)
        rule.is_active = is_active
        rule.save()
    return rule


def describe_rule(rule: PenaltyRule) -> str:
    """The terms in a line: "$25.00, 21 days after issue" or "1% of the balance, 60 days
    after due, then every 30 days, at most 12 times"."""
    if rule.calculation == PenaltyCalculation.FLAT:
        what = f"${rule.amount:,.2f}"
    elif rule.calculation == PenaltyCalculation.PERCENT_OF_ORIGINAL:
        what = f"{rule.rate.normalize():f}% of the original amount"
    else:
        what = f"{rule.rate.normalize():f}% of the balance"
    basis = "issue" if rule.applies_to == PenaltyAppliesTo.CITATION else "the due date"
    text = f"{what}, {rule.days_after} days after {basis}"
    if rule.repeat_every_days:
        text += f", then every {rule.repeat_every_days} days"
        if rule.max_occurrences:
            text += f", at most {rule.max_occurrences} times"
    return text


# ---------------------------------------------------------------- the batch

# What the batch would charge on %(day)s: one row per (rule, open item, occurrence) due
# and not charged yet. Open items are those of Invoice.objects.open() (basis: the due
# date) and Citation.objects.open() not on hearing hold (basis: the issue date). The
# occurrences due are 1 once day >= basis + days_after, plus one per whole
# repeat_every_days since, capped by max_occurrences. Amounts are rounded half up to the
# cent at the charge (ROUND(numeric, 2) rounds half away from zero: half up for these
# positive amounts); a charge that rounds to nothing is left out.
CHARGES_SQL = """
WITH rules AS (
    SELECT r.id, r.applies_to, r.citation_kind, r.days_after, r.calculation, r.amount,
           r.rate, r.repeat_every_days, r.max_occurrences, r.revenue_account_id,
           a.fund_id
      FROM receivables_penaltyrule r
      JOIN ledger_account a ON a.id = r.revenue_account_id
     WHERE r.is_active
       AND r.effective_from <= %(day)s
       AND (r.effective_to IS NULL OR r.effective_to >= %(day)s)
),
-- What credit memos and reductions took off the original amount: a percentage of the
-- original is a percentage of what is owed after a hearing reduced it or a credit memo
-- corrected it (a few rows; the kind is not indexed, but they are read once a batch).
adjusted AS (
    SELECT invoice_id, citation_id, SUM(amount) AS amount
      FROM receivables_artransaction
     WHERE kind IN ('credit', 'reduction')
     GROUP BY invoice_id, citation_id
),
items AS (
    SELECT 'invoice' AS applies_to, '' AS citation_kind, i.id AS invoice_id,
           NULL::bigint AS citation_id, i.customer_id, i.due_date AS basis,
           GREATEST(i.total + COALESCE(adj.amount, 0), 0) AS original, i.balance,
           'misc_ar' AS subledger
      FROM receivables_invoice i
      LEFT JOIN adjusted adj ON adj.invoice_id = i.id
     WHERE i.status = 'issued' AND i.balance > 0
       AND i.due_date <= %(day)s
    UNION ALL
    SELECT 'citation', c.kind, NULL, c.id, c.customer_id, c.issue_date,
           GREATEST(c.fine_amount + COALESCE(adj.amount, 0), 0), c.balance, 'fines_ar'
      FROM receivables_citation c
      LEFT JOIN adjusted adj ON adj.citation_id = c.id
     WHERE c.status = 'open' AND c.balance > 0
       AND c.issue_date <= %(day)s
       AND c.hearing_status <> ALL(%(holds)s)
),
due AS (
    SELECT r.id AS rule_id, r.calculation, r.amount AS flat, r.rate,
           r.revenue_account_id, r.fund_id, it.*,
           LEAST(
               CASE WHEN r.repeat_every_days IS NULL THEN 1
                    ELSE 1 + (%(day)s - it.basis - r.days_after) / r.repeat_every_days END,
               COALESCE(r.max_occurrences, 32767)
           ) AS occurrences_due
      FROM items it
      JOIN rules r
        ON r.applies_to = it.applies_to
       AND (r.citation_kind = '' OR r.citation_kind = it.citation_kind)
     WHERE %(day)s - it.basis >= r.days_after
),
charges AS (
    SELECT d.rule_id, d.invoice_id, d.citation_id, d.customer_id, d.subledger,
           d.revenue_account_id, d.fund_id, d.basis, n.occurrence,
           CASE d.calculation
                WHEN 'flat' THEN d.flat
                WHEN 'pct_original' THEN ROUND(d.original * d.rate / 100, 2)
                ELSE ROUND(d.balance * d.rate / 100, 2)
           END::numeric(14, 2) AS amount
      FROM due d
     CROSS JOIN LATERAL generate_series(1, d.occurrences_due) AS n(occurrence)
     WHERE NOT EXISTS (
               SELECT 1 FROM receivables_artransaction t
                WHERE t.rule_id = d.rule_id AND t.invoice_id = d.invoice_id
                  AND t.occurrence = n.occurrence)
       AND NOT EXISTS (
               SELECT 1 FROM receivables_artransaction t
                WHERE t.rule_id = d.rule_id AND t.citation_id = d.citation_id
                  AND t.occurrence = n.occurrence)
)
SELECT * FROM charges WHERE amount > 0
"""


LOCK_OPEN_ITEMS_SQL = """
SELECT count(*) FROM (
    SELECT id FROM receivables_{table}
     WHERE status = '{status}' AND balance > 0 AND {basis} <= %(day)s
     ORDER BY id
       FOR UPDATE
) AS locked
"""


def _charges_params(day: dt.date) -> dict:
    return {"day": day, "holds": [str(hold) for hold in HEARING_HOLDS]}


@dataclass(frozen=True)
class PreviewRow:
    """One charge the batch would make, and why."""

    document_number: str
    who: str
    rule_code: str
    rule_name: str
    occurrence: int
    basis_date: dt.date
    days_past: int
    amount: Decimal
    why: str
    how: str
    is_citation: bool


@dataclass(frozen=True)
class RuleTotal:
    code: str
    name: str
    revenue_account: str
    items: int
    amount: Decimal


# The preview's rows: the charges with what a person reads beside them, in a stable order
# so pages do not shift.
PREVIEW_ROWS_SQL = f"""
WITH charges AS ({CHARGES_SQL})
SELECT COALESCE(ci.number, 'INV-' || lpad(ch.invoice_id::text, 6, '0')) AS document_number,
       COALESCE(cu.name,
                NULLIF(ci.plate || ' ' || ci.plate_state, ' '),
                ci.respondent_name, '') AS who,
       r.code, r.name, ch.occurrence, ch.basis, %(day)s - ch.basis AS days_past, ch.amount,
       r.days_after, r.repeat_every_days, r.calculation, r.rate, r.amount AS flat,
       COALESCE(ci.fine_amount, inv.total) AS original,
       COALESCE(ci.balance, inv.balance) AS balance,
       ch.citation_id IS NOT NULL AS is_citation
  FROM charges ch
  JOIN receivables_penaltyrule r ON r.id = ch.rule_id
  LEFT JOIN receivables_citation ci ON ci.id = ch.citation_id
  LEFT JOIN receivables_invoice inv ON inv.id = ch.invoice_id
  LEFT JOIN receivables_customer cu ON cu.id = ch.customer_id
 ORDER BY ch.basis, document_number, r.code, ch.occurrence
"""  # noqa: S608 (fragments are constants; values go as parameters)

PREVIEW_TOTALS_SQL = f"""
WITH charges AS ({CHARGES_SQL})
SELECT r.code, r.name, a.number, COUNT(*), SUM(ch.amount)
  FROM charges ch
  JOIN receivables_penaltyrule r ON r.id = ch.rule_id
  JOIN ledger_account a ON a.id = r.revenue_account_id
 GROUP BY r.code, r.name, a.number, r.applies_to, r.days_after
 ORDER BY r.applies_to, r.days_after, r.code
"""  # noqa: S608


def _preview_row(row: tuple) -> PreviewRow:
    (
        number,
        who,
        code,
        name,
        occurrence,
        basis,
        days_past,
        amount,
        days_after,
        repeat,
        calculation,
        rate,
        flat,
        original,
        balance,
        is_citation,
    ) = row
    threshold = days_after + (occurrence - 1) * (repeat or 0)
    basis_name = "issue" if is_citation else "due date"
    why = f"{threshold} days after {basis_name} {basis:%Y-%m-%d}"
    if repeat:
        why = f"Occurrence {occurrence}: {why}"
    if calculation == PenaltyCalculation.FLAT:
        how = f"${flat:,.2f} flat"
    elif calculation == PenaltyCalculation.PERCENT_OF_ORIGINAL:
        what = "fine" if is_citation else "invoice total"
        how = f"{rate.normalize():f}% of the ${original:,.2f} {what}"
    else:
        how = f"{rate.normalize():f}% of the ${balance:,.2f} balance"
    return PreviewRow(
        document_number=number,
        who=who,
        rule_code=code,
        rule_name=name,
        occurrence=occurrence,
        basis_date=basis,
        days_past=days_past,
        amount=amount,
        why=why,
        how=how,
        is_citation=is_citation,
    )


class PreviewRows:
    """The preview's rows, read a page at a time (LIMIT/OFFSET) so a screen over
    100,000 open items never loads them all; a Paginator takes it as it is."""

    def __init__(self, day: dt.date) -> None:
        self.day = day
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) FROM ({CHARGES_SQL}) AS charges",  # noqa: S608
                    _charges_params(self.day),
                )
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[PreviewRow]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Preview rows are read by slices.")
        start = index.start or 0
        params = {**_charges_params(self.day), "offset": start}
        sql = PREVIEW_ROWS_SQL + " OFFSET %(offset)s"
        if index.stop is not None:
            params["limit"] = max(0, index.stop - start)
            sql += " LIMIT %(limit)s"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [_preview_row(row) for row in cursor.fetchall()]

    def __iter__(self) -> Iterator[PreviewRow]:
        with connection.cursor() as cursor:
            cursor.execute(PREVIEW_ROWS_SQL, _charges_params(self.day))
            while rows := cursor.fetchmany(2000):
                yield from (_preview_row(row) for row in rows)


@dataclass(frozen=True)
class PenaltyPreview:
    batch_date: dt.date
    rows: PreviewRows
    totals: list[RuleTotal]

    @property
    def items(self) -> int:
        return sum(total.items for total in self.totals)

    @property
    def total(self) -> Decimal:
        return sum((total.amount for total in self.totals), ZERO)


def preview_penalty_batch(batch_date: dt.date) -> PenaltyPreview:
    """What a batch on `batch_date` would charge, to whom and why, with totals by rule;
    writes nothing."""
    with connection.cursor() as cursor:
        cursor.execute(PREVIEW_TOTALS_SQL, _charges_params(batch_date))
        totals = [RuleTotal(*row) for row in cursor.fetchall()]
    return PenaltyPreview(batch_date=batch_date, rows=PreviewRows(batch_date), totals=totals)


# A lead runs the batch: it charges every open item in the city at once.
BATCH_RUNNERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
# Two batches never run at once: the second waits, then finds the first's charges.
BATCH_LOCK = "receivables_penalty_batch"
CHARGES_TABLE = "receivables_penalty_charges"

INSERT_TRANSACTIONS_SQL = f"""
INSERT INTO receivables_artransaction (
    subledger, kind, invoice_id, citation_id, customer_id, transaction_date, amount,
    memo, reference, cause, journal_entry_id, rule_id, occurrence, penalty_batch_id,
    created_by_id, created_at)
SELECT ch.subledger, 'penalty', ch.invoice_id, ch.citation_id, ch.customer_id,
       %(day)s, ch.amount,
       left(r.name || CASE WHEN r.repeat_every_days IS NULL THEN ''
                           ELSE ' (' || ch.occurrence || ')' END, 250),
       %(reference)s,
       -- The cause: this batch's charge of a rule's occurrence on a document.
       %(reference)s::text || ':rule-' || ch.rule_id || ':'
           || CASE WHEN ch.invoice_id IS NOT NULL THEN 'invoice-' || ch.invoice_id
                   ELSE 'citation-' || ch.citation_id END
           || ':' || ch.occurrence,
       %(entry)s, ch.rule_id, ch.occurrence, %(batch)s, %(actor)s, now()
  FROM {CHARGES_TABLE} ch
  JOIN receivables_penaltyrule r ON r.id = ch.rule_id
 WHERE ch.seq > %(after)s AND ch.seq <= %(upto)s
 ORDER BY ch.seq
"""  # noqa: S608

# The charges numbered in the order they are written, so they go in slices of a few
# thousand rows (each one statement) and the job's progress moves between slices.
NUMBERED_CHARGES_SQL = f"""
SELECT row_number() OVER (
           ORDER BY c.invoice_id, c.citation_id, c.rule_id, c.occurrence) AS seq, c.*
  FROM ({CHARGES_SQL}) AS c
"""  # noqa: S608
# Rows a slice writes: large enough that the statements stay few, small enough that the
# progress bar moves every second or so at a large utility's size.
CHUNK_ROWS = 5000

ENTRY_SUMS_SQL = f"""
SELECT subledger, fund_id, revenue_account_id, SUM(amount) FROM {CHARGES_TABLE}
 GROUP BY subledger, fund_id, revenue_account_id ORDER BY subledger, revenue_account_id
"""  # noqa: S608

UPDATE_BALANCES_SQL = """
UPDATE receivables_{table} d
   SET balance = d.balance + ch.amount
  FROM (SELECT {column}, SUM(amount) AS amount FROM {charges}
         WHERE {column} IS NOT NULL GROUP BY {column}) ch
 WHERE d.id = ch.{column}
"""


def batch_reference(batch: PenaltyBatch) -> str:
    """What a clerk quotes for a batch, and the reference on each of its charges."""
    return f"PB-{batch.pk:06d}"


def _artransaction_foreign_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'receivables_artransaction'::regclass AND contype = 'f'"
            " ORDER BY conname"
        )
        return [row[0] for row in cursor.fetchall()]


def _check_foreign_keys_at_once() -> None:
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED. A multi-row INSERT into
    # an audited table (pghistory's AFTER trigger per row) with deferred keys slows down
    # worse than linearly (measured: 20,000 rows 3.8 s deferred, 0.7 s immediate), so
    # the subledger's own keys are checked per statement here. Not ALL: the ledger's
    # balance checks stay deferred to commit.
    names = ", ".join(connection.ops.quote_name(name) for name in _artransaction_foreign_keys())
    if names:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")


def _check_period_open(batch_date: dt.date) -> None:
    try:
        period = period_for_date(batch_date)
    except ValidationError as error:
        raise ValidationError({"batch_date": error.messages}) from None
    if not period.is_open:
        raise ValidationError({"batch_date": f"{period} is closed to posting."})


def _entry_lines(batch: PenaltyBatch) -> list[LineSpec]:
    """Debit each AR control account and credit each revenue account, summed."""
    with connection.cursor() as cursor:
        cursor.execute(ENTRY_SUMS_SQL)
        sums = cursor.fetchall()
    accounts = Account.objects.in_bulk({revenue for _, _, revenue, _ in sums})
    debits: dict[int, Decimal] = defaultdict(Decimal)
    credits: dict[int, Decimal] = defaultdict(Decimal)
    controls: dict[int, Account] = {}
    for subledger, fund_id, revenue_id, amount in sums:
        control = control_account_for(ArSubledger(subledger), fund_id)
        controls[control.pk] = control
        debits[control.pk] += amount
        credits[revenue_id] += amount
    memo = f"Penalty batch {batch_reference(batch)}"
    return [LineSpec(controls[pk], amount, memo) for pk, amount in debits.items()] + [
        LineSpec(accounts[pk], -amount, memo) for pk, amount in credits.items()
    ]


def run_penalty_batch(
    batch_date: dt.date,
    *,
    idempotency_key: str,
    actor: AbstractBaseUser,
    progress: Callable[[int, int | None], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> PenaltyBatch:
    """Charge every penalty due on `batch_date` and not charged yet: one subledger row
    per charge, the documents' balances, and one journal entry, in one transaction. The
    same key again returns the first batch; the same date again charges nothing twice.
    A run killed halfway leaves nothing (one transaction), so running it again with the
    same key charges exactly what a run that never stopped would have. `progress(done,
    total)` is told the charges written after each slice of `chunk_rows`."""
    if not idempotency_key:
        raise ValueError("Every penalty batch needs an idempotency key.")
    if not has_role(actor, *BATCH_RUNNERS):
        raise PermissionDenied("A lead (senior technician or supervisor) posts penalties.")
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [BATCH_LOCK])
        existing = PenaltyBatch.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        _check_period_open(batch_date)
        with connection.cursor() as cursor:
            # Lock the open items first (invoices, then citations, each in id order, as
            # the payment targets do) so a payment in flight finishes before the charges
            # are worked out: an item paid off at that moment is not charged.
            cursor.execute(
                LOCK_OPEN_ITEMS_SQL.format(table="invoice", basis="due_date", status="issued"),
                {"day": batch_date},
            )
            cursor.execute(
                LOCK_OPEN_ITEMS_SQL.format(table="citation", basis="issue_date", status="open"),
                {"day": batch_date},
            )
            # The charges are worked out once, into a temporary table: the entry is
            # posted from their sums, then the rows (append-only, so written once with
            # the entry's id) and the balances are written from the same table.
            cursor.execute(f"DROP TABLE IF EXISTS {CHARGES_TABLE}")
            cursor.execute(
                f"CREATE TEMP TABLE {CHARGES_TABLE} ON COMMIT DROP AS {NUMBERED_CHARGES_SQL}",
                _charges_params(batch_date),
            )
            cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM {CHARGES_TABLE}")  # noqa: S608
            items, total = cursor.fetchone()
        earlier = PenaltyBatch.objects.filter(batch_date=batch_date).order_by("id").first()
        if not items and earlier is not None:
            # The day was posted already (a second tab, a retried cron run with a new
            # key): nothing new to charge, and no empty batch to clutter the list.
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {CHARGES_TABLE}")
            return earlier
        batch = PenaltyBatch.objects.create(
            batch_date=batch_date, run_by=actor, idempotency_key=idempotency_key
        )
        if items:
            entry = post_entry(
                entry_date=batch_date,
                lines=_entry_lines(batch),
                memo=f"Penalties and interest charged by batch {batch_reference(batch)} "
                f"on {batch_date:%Y-%m-%d}",
                source_module=SOURCE_MODULE,
                source_document=batch_reference(batch),
                idempotency_key=f"penalty-batch-{batch.pk}",
                prepared_by=actor,
            )
            _check_foreign_keys_at_once()
            with connection.cursor() as cursor:
                for after in range(0, items, chunk_rows):
                    cursor.execute(
                        INSERT_TRANSACTIONS_SQL,
                        {
                            "day": batch_date,
                            "reference": batch_reference(batch),
                            "entry": entry.pk,
                            "batch": batch.pk,
                            "actor": actor.pk,
                            "after": after,
                            "upto": after + chunk_rows,
                        },
                    )
                    if progress is not None:
                        progress(min(after + chunk_rows, items), items)
                for table, column in (("invoice", "invoice_id"), ("citation", "citation_id")):
                    cursor.execute(
                        UPDATE_BALANCES_SQL.format(
                            table=table, column=column, charges=CHARGES_TABLE
                        )
                    )
            batch.journal_entry = entry
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {CHARGES_TABLE}")
        batch.items_charged = items
        batch.total = total
        batch.save(update_fields=["items_charged", "total", "journal_entry"])
    return batch


def start_penalty_batch(
    batch_date: dt.date,
    *,
    idempotency_key: str,
    actor: AbstractBaseUser,
    chunk_rows: int = CHUNK_ROWS,
):
    """Start the batch as a background job and return the job: what can be refused at
    once (who, a closed period) is refused here, beside the date; the same key again
    returns the same job, and runs the batch once."""
    from millbrae_finance.jobs import start_job
    from receivables.tasks import penalty_batch_job

    if not idempotency_key:
        raise ValueError("Every penalty batch needs an idempotency key.")
    if not has_role(actor, *BATCH_RUNNERS):
        raise PermissionDenied("A lead (senior technician or supervisor) posts penalties.")
    _check_period_open(batch_date)
    return start_job(
        penalty_batch_job,
        kind="penalty_batch",
        title=f"Penalty batch for {batch_date:%Y-%m-%d}",
        idempotency_key=f"penalty-batch:{idempotency_key}",
        actor=actor,
        params={
            "batch_date": batch_date.isoformat(),
            "idempotency_key": idempotency_key,
            "chunk_rows": chunk_rows,
        },
    )
