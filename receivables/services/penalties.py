"""Penalties and interest, written: keeping the rules, and the batch that charges them.
What a batch would charge (its preview) and how a rule reads are
receivables.queries.penalties.

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
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from ledger.models import Account, AccountType
from ledger.queries.calendar import period_for_date
from ledger.services import LineSpec, post_entry
from millbrae_finance.roles import Role, has_role
from receivables.models import (
    ArSubledger,
    CitationKind,
    PenaltyAppliesTo,
    PenaltyBatch,
    PenaltyCalculation,
    PenaltyRule,
)
from receivables.queries.penalties import CHARGES_SQL, charges_params
from receivables.queries.subledger import control_account_for
from receivables.services.subledger import SOURCE_MODULE

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


# ---------------------------------------------------------------- the batch

LOCK_OPEN_ITEMS_SQL = """
SELECT count(*) FROM (
    SELECT id FROM receivables_{table}
     WHERE status = '{status}' AND balance > 0 AND {basis} <= %(day)s
     ORDER BY id
       FOR UPDATE
) AS locked
"""


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


def check_period_open(batch_date: dt.date) -> None:
    """Refuse a batch dated in a period that is closed or does not exist, by its date."""
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
        check_period_open(batch_date)
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
                charges_params(batch_date),
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
