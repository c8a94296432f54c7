"""Reads of the penalty screens: rules, past batches and what a batch charged, and what
a batch on a day would charge (its preview, and the charges the batch itself writes)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from millbrae_finance.money import ZERO
from receivables.models import (
    HEARING_HOLDS,
    ArTransaction,
    PenaltyAppliesTo,
    PenaltyBatch,
    PenaltyCalculation,
    PenaltyRule,
)

# (header, lookup) pairs, as millbrae_finance.csv_export takes them.
RULE_EXPORT_FIELDS = [
    ("code", "code"),
    ("name", "name"),
    ("applies_to", "applies_to"),
    ("citation_kind", "citation_kind"),
    ("days_after", "days_after"),
    ("calculation", "calculation"),
    ("amount", "amount"),
    ("rate_percent", "rate"),
    ("repeat_every_days", "repeat_every_days"),
    ("max_occurrences", "max_occurrences"),
    ("revenue_account", "revenue_account__number"),
    ("effective_from", "effective_from"),
    ("effective_to", "effective_to"),
    ("is_active", "is_active"),
]

BATCH_EXPORT_FIELDS = [
    ("batch", "id"),
    ("batch_date", "batch_date"),
    ("run_by", "run_by__username"),
    ("run_at", "run_at"),
    ("items_charged", "items_charged"),
    ("total", "total"),
    ("journal_entry", "journal_entry_id"),
]

CHARGE_EXPORT_HEADER = [
    "Document",
    "Customer or plate",
    "Rule",
    "Occurrence",
    "Amount",
    "Memo",
    "Date",
    "Reference",
]


def penalty_rule_list(*, q: str = "", applies_to: str = "", status: str = "") -> QuerySet:
    """Penalty rules matching the filters, in the order the batch reads them."""
    rules = PenaltyRule.objects.select_related("revenue_account")
    if q:
        rules = rules.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if applies_to:
        rules = rules.filter(applies_to=applies_to)
    if status == "":
        rules = rules.filter(is_active=True)
    elif status == "inactive":
        rules = rules.filter(is_active=False)
    return rules.order_by("applies_to", "days_after", "code")


def penalty_rule_detail(pk: int) -> PenaltyRule:
    return PenaltyRule.objects.select_related("revenue_account").get(pk=pk)


def penalty_batch_list() -> QuerySet:
    """Past penalty batches, latest first."""
    return PenaltyBatch.objects.select_related("run_by", "journal_entry").order_by(
        "-batch_date", "-id"
    )


def penalty_batch_detail(pk: int) -> PenaltyBatch:
    return PenaltyBatch.objects.select_related("run_by", "journal_entry").get(pk=pk)


def penalty_batch_charges(batch: PenaltyBatch) -> QuerySet:
    """What a batch charged, by document."""
    return (
        ArTransaction.objects.filter(penalty_batch=batch)
        .select_related("rule", "invoice", "citation", "customer")
        .order_by("citation__number", "invoice_id", "rule__code", "occurrence", "id")
    )


def charge_who(charge: ArTransaction) -> str:
    """The customer, or the plate (or respondent) of a citation nobody is known for."""
    if charge.customer_id:
        return charge.customer.name
    citation = charge.citation
    if citation is not None and citation.plate:
        return f"{citation.plate} {citation.plate_state}".strip()
    return citation.respondent_name if citation is not None else ""


def charge_rows(charges: QuerySet):
    """A batch's charges as CSV rows."""
    for charge in charges.iterator(chunk_size=2000):
        yield [
            charge.document_number,
            charge_who(charge),
            charge.rule.code,
            charge.occurrence,
            charge.amount,
            charge.memo,
            charge.transaction_date,
            charge.reference,
        ]


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


# ---------------------------------------------------------------- the batch's preview

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


def charges_params(day: dt.date) -> dict:
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
                    charges_params(self.day),
                )
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[PreviewRow]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Preview rows are read by slices.")
        start = index.start or 0
        params = {**charges_params(self.day), "offset": start}
        sql = PREVIEW_ROWS_SQL + " OFFSET %(offset)s"
        if index.stop is not None:
            params["limit"] = max(0, index.stop - start)
            sql += " LIMIT %(limit)s"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [_preview_row(row) for row in cursor.fetchall()]

    def __iter__(self) -> Iterator[PreviewRow]:
        with connection.cursor() as cursor:
            cursor.execute(PREVIEW_ROWS_SQL, charges_params(self.day))
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
        cursor.execute(PREVIEW_TOTALS_SQL, charges_params(batch_date))
        totals = [RuleTotal(*row) for row in cursor.fetchall()]
    return PenaltyPreview(batch_date=batch_date, rows=PreviewRows(batch_date), totals=totals)
