"""Aging and customer statements: what is owed, and since when, as of any date.

Everything here is read from the subledger movements, never from the documents' running
balances: a document's balance at the end of day D is the sum of its ArTransaction rows
dated on or before D, so an aging "as of" last June ignores the payments of July. The
basis date a document ages from is an invoice's due date and a citation's issue date.

Aging is one SQL statement: a per-document balance (GROUP BY document, HAVING <> 0),
joined to its invoice or citation for the basis date and the customer, then summed into
CASE buckets per group, with GROUPING SETS adding the grand total in the same pass. Over
100,000 documents it is one hash aggregate, not a loop.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from millbrae_finance.money import ZERO
from receivables.models import (
    HEARING_HOLDS,
    ArKind,
    ArSubledger,
    ArTransaction,
    Citation,
    Customer,
    DunningNotice,
    Invoice,
)


class AgingBy(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    TYPE = "type", "Type"


class AgingKind(models.TextChoices):
    ALL = "all", "Invoices and citations"
    INVOICE = "invoice", "Invoices (misc AR)"
    CITATION = "citation", "Citations (fines AR)"


# (attribute, column heading): days past the basis date, as of the aging date.
BUCKETS = (
    ("current", "Current"),
    ("days_31_60", "31–60 days"),
    ("days_61_90", "61–90 days"),
    ("days_91_120", "91–120 days"),
    ("over_120", "Over 120 days"),
)
TYPE_LABELS = {
    "invoice": "Miscellaneous invoices (misc AR)",
    "citation": "Citations and fines (fines AR)",
}
NO_CUSTOMER = "No customer"


@dataclass
class AgingRow:
    """One line of the aging: a customer, a customerless plate or respondent, a type of
    receivable, or the grand total."""

    label: str
    documents: int
    current: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_91_120: Decimal
    over_120: Decimal
    total: Decimal
    customer_id: int | None = None
    number: str = ""
    kind: str = ""

    @property
    def buckets(self) -> list[Decimal]:
        return [getattr(self, name) for name, _ in BUCKETS]

    @property
    def past_due(self) -> Decimal:
        return self.total - self.current


def empty_row(label: str = "Total") -> AgingRow:
    return AgingRow(label, 0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


@dataclass
class AgingReport:
    as_of: dt.date
    by: str
    kind: str
    rows: list[AgingRow]
    total: AgingRow

    @property
    def caption(self) -> str:
        # "Invoices (misc AR) by type": the label as written, abbreviations kept.
        what = AgingKind(self.kind).label
        return f"{what} by {self.by}, as of the close of {self.as_of:%B %-d, %Y}"

    @property
    def group_heading(self) -> str:
        return "Receivable" if self.by == AgingBy.TYPE else "Customer"

    @property
    def headings(self) -> list[str]:
        return [label for _, label in BUCKETS]


def _subledgers(kind: str) -> list[str]:
    if kind == AgingKind.INVOICE:
        return [ArSubledger.MISC_AR]
    if kind == AgingKind.CITATION:
        return [ArSubledger.FINES_AR]
    return [ArSubledger.MISC_AR, ArSubledger.FINES_AR]


def _documents_sql(*, customers: bool, open_only: bool = False) -> str:
    """The open documents at %(as_of)s, one row each: kind, id, number, customer,
    basis and document dates, balance, days past the basis date, plate and respondent.
    With `customers`, only documents of the customers in %(customer_ids)s (the movement
    rows are filtered through the document indexes before they are summed)."""
    artx = ArTransaction._meta.db_table
    invoice = Invoice._meta.db_table
    citation = Citation._meta.db_table
    customer_filter = ""
    if customers:
        customer_filter = f"""
          AND (t.invoice_id IN (SELECT id FROM {invoice} WHERE customer_id = ANY(%(customer_ids)s))
               OR t.citation_id IN (SELECT id FROM {citation}
                                    WHERE customer_id = ANY(%(customer_ids)s)))"""  # noqa: S608
    # A credit balance (more paid than owed) cannot happen today, but an aging must show
    # whatever the movements say, so only exact zeros drop out.
    having = "> 0" if open_only else "<> 0"
    return f"""
        WITH balances AS (
            SELECT t.invoice_id, t.citation_id, SUM(t.amount) AS balance
            FROM {artx} t
            WHERE t.transaction_date <= %(as_of)s AND t.subledger = ANY(%(subledgers)s)
            {customer_filter}
            GROUP BY t.invoice_id, t.citation_id
            HAVING SUM(t.amount) {having}
        )
        SELECT 'invoice' AS kind, i.id, 'INV-' || lpad(i.id::text, 6, '0') AS number,
               i.customer_id, i.invoice_date AS document_date, i.due_date AS basis_date,
               b.balance, %(as_of)s::date - i.due_date AS days,
               '' AS plate, '' AS respondent, i.description
        FROM balances b JOIN {invoice} i ON i.id = b.invoice_id
        UNION ALL
        SELECT 'citation', c.id, c.number, c.customer_id, c.issue_date, c.issue_date,
               b.balance, %(as_of)s::date - c.issue_date, c.plate, c.respondent_name,
               c.hearing_status
        FROM balances b JOIN {citation} c ON c.id = b.citation_id
    """  # noqa: S608 (table names and fragments are constants; values go as parameters)


_BUCKET_SQL = """
    COUNT(*) AS documents,
    SUM(CASE WHEN d.days <= 30 THEN d.balance ELSE 0.00 END),
    SUM(CASE WHEN d.days BETWEEN 31 AND 60 THEN d.balance ELSE 0.00 END),
    SUM(CASE WHEN d.days BETWEEN 61 AND 90 THEN d.balance ELSE 0.00 END),
    SUM(CASE WHEN d.days BETWEEN 91 AND 120 THEN d.balance ELSE 0.00 END),
    SUM(CASE WHEN d.days > 120 THEN d.balance ELSE 0.00 END),
    SUM(d.balance)
"""


_NO_CUSTOMER_PLATE = "CASE WHEN d.customer_id IS NULL THEN NULLIF(d.plate, '') END"
_NO_CUSTOMER_RESPONDENT = "CASE WHEN d.customer_id IS NULL AND d.plate = '' THEN d.respondent END"


def _params(as_of: dt.date, kind: str, customer_ids: Sequence[int] | None) -> dict:
    return {
        "as_of": as_of,
        "subledgers": _subledgers(kind),
        "customer_ids": list(customer_ids or []),
    }


def aging(
    as_of: dt.date,
    *,
    by: str = AgingBy.CUSTOMER,
    kind: str = AgingKind.ALL,
    customer_ids: Sequence[int] | None = None,
) -> AgingReport:
    """The aging at the close of a day, by customer or by type, with its grand total."""
    documents = _documents_sql(customers=customer_ids is not None)
    customer_table = Customer._meta.db_table
    if by == AgingBy.TYPE:
        sql = f"""
            SELECT GROUPING(d.kind) AS is_total, d.kind, {_BUCKET_SQL}
            FROM ({documents}) d
            GROUP BY GROUPING SETS ((d.kind), ())
            ORDER BY is_total, d.kind DESC
        """  # noqa: S608
    else:
        # Documents without a customer (a plate nobody has claimed) group by plate, or by
        # the respondent's name; they sort after the customers.
        sql = f"""
            SELECT g.*, cu.name FROM (
                SELECT GROUPING(d.customer_id) AS is_total, d.customer_id,
                       {_NO_CUSTOMER_PLATE} AS plate, {_NO_CUSTOMER_RESPONDENT} AS respondent,
                       {_BUCKET_SQL}
                FROM ({documents}) d
                GROUP BY GROUPING SETS (
                    (d.customer_id, {_NO_CUSTOMER_PLATE}, {_NO_CUSTOMER_RESPONDENT}), ()
                )
            ) g LEFT JOIN {customer_table} cu ON cu.id = g.customer_id
            ORDER BY g.is_total, g.customer_id IS NULL, cu.name, g.customer_id,
                     g.plate, g.respondent
        """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(as_of, kind, customer_ids))
        fetched = cursor.fetchall()
    rows, total = [], empty_row()
    for record in fetched:
        if by == AgingBy.TYPE:
            is_total, group, *amounts = record
            row = AgingRow(TYPE_LABELS.get(group, "Total"), *amounts, kind=group or "")
        else:
            is_total, customer_id, plate, respondent, *amounts, name = record
            row = AgingRow(_group_label(customer_id, name, plate, respondent), *amounts)
            row.customer_id = customer_id
            row.number = f"C{customer_id:06d}" if customer_id else ""
        if is_total:
            row.label = "Total"
            total = row
        else:
            rows.append(row)
    return AgingReport(as_of=as_of, by=by, kind=kind, rows=rows, total=total)


def _group_label(customer_id: int | None, name: str | None, plate: str, respondent: str) -> str:
    if customer_id:
        return name or ""
    if plate:
        return f"{NO_CUSTOMER} — plate {plate}"
    if respondent:
        return f"{NO_CUSTOMER} — {respondent}"
    return NO_CUSTOMER


# ---------------------------------------------------------------- open items


@dataclass
class OpenItem:
    """A document with something owed at the date: what a panel, a statement or a notice
    lists."""

    kind: str
    pk: int
    number: str
    customer_id: int | None
    document_date: dt.date
    basis_date: dt.date
    balance: Decimal
    days_past_due: int
    plate: str
    respondent: str
    detail: str  # an invoice's description; a citation's hearing status
    url: str | None = None

    @property
    def kind_label(self) -> str:
        return "Invoice" if self.kind == "invoice" else "Citation"

    @property
    def on_hold(self) -> bool:
        return self.kind == "citation" and self.detail in HEARING_HOLDS

    @property
    def reference(self) -> dict:
        """As a notice stores it in its items."""
        return {
            "reference": self.number,
            "kind": self.kind,
            "due": f"{self.basis_date:%Y-%m-%d}",
            "days": self.days_past_due,
            "balance": f"{self.balance:.2f}",
        }


def open_items(
    as_of: dt.date,
    *,
    customer_ids: Sequence[int] | None,
    kind: str = AgingKind.ALL,
    links: bool = True,
) -> list[OpenItem]:
    """The documents of these customers (None: of everyone) with a balance owed at the
    close of the day, by customer, oldest basis date first, each with a link to its page
    where that page exists."""
    documents = _documents_sql(customers=customer_ids is not None, open_only=True)
    sql = (
        f"SELECT * FROM ({documents}) d "  # noqa: S608
        "ORDER BY d.customer_id, d.basis_date, d.kind DESC, d.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(as_of, kind, customer_ids))
        items = [OpenItem(*record) for record in cursor.fetchall()]
    if links:
        link = _document_linker()
        for item in items:
            item.url = link(item.kind, item.pk)
    return items


def _document_linker():
    """Links to invoice and citation pages, for the URL names that exist (those pages are
    built beside this one; until they are, the items show without a link)."""
    names = {"invoice": "receivables:invoice_detail", "citation": "receivables:citation_detail"}
    resolvable = {}
    for kind, name in names.items():
        try:
            reverse(name, args=[1])
        except NoReverseMatch:
            continue
        resolvable[kind] = name

    def link(kind: str, pk: int) -> str | None:
        return reverse(resolvable[kind], args=[pk]) if kind in resolvable else None

    return link


# ---------------------------------------------------------------- the customer panel


@dataclass
class ReceivablesPanel:
    as_of: dt.date
    aging: AgingRow
    items: list[OpenItem]
    notices: list[DunningNotice]

    @property
    def total_owed(self) -> Decimal:
        return self.aging.total


def customer_receivables(customer: Customer, *, as_of: dt.date) -> ReceivablesPanel:
    """What a customer owes today: the aging of its account, its open invoices and
    citations, and the last notices mailed to it (three queries)."""
    report = aging(as_of, customer_ids=[customer.pk])
    row = report.rows[0] if report.rows else empty_row(customer.name)
    notices = list(DunningNotice.objects.filter(customer=customer).order_by("-notice_date")[:5])
    return ReceivablesPanel(
        as_of=as_of,
        aging=row,
        items=open_items(as_of, customer_ids=[customer.pk]),
        notices=notices,
    )


# ---------------------------------------------------------------- statements


@dataclass
class StatementLine:
    date: dt.date
    document: str
    description: str
    charge: Decimal | None
    credit: Decimal | None
    balance: Decimal


@dataclass
class Statement:
    customer: Customer
    start: dt.date
    as_of: dt.date
    opening: Decimal
    lines: list[StatementLine]
    closing: Decimal
    charges: Decimal
    credits: Decimal
    aging: AgingRow
    items: list[OpenItem] = field(default_factory=list)

    @property
    def past_due(self) -> Decimal:
        return self.aging.past_due


def customers_with_balance(as_of: dt.date) -> list[int]:
    """The customers who owe something (or are owed) at the close of the day, by name."""
    return [row.customer_id for row in aging(as_of).rows if row.customer_id]


def statements(customer_ids: Iterable[int], *, start: dt.date, as_of: dt.date) -> list[Statement]:
    """Statements for the period `start`..`as_of`, one per customer, in name order: the
    balance brought forward, every movement with a running balance, the closing balance
    and its aging. Five queries however many customers."""
    ids = list(customer_ids)
    if not ids:
        return []
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids)}
    ages = {row.customer_id: row for row in aging(as_of, customer_ids=ids).rows}
    owner = Coalesce("invoice__customer_id", "citation__customer_id")
    of_customers = ArTransaction.objects.annotate(owner=owner).filter(owner__in=ids)
    opening = dict(
        of_customers.filter(transaction_date__lt=start)
        .values("owner")
        .annotate(total=Sum("amount"))
        .values_list("owner", "total")
    )
    movements = (
        of_customers.filter(transaction_date__gte=start, transaction_date__lte=as_of)
        .order_by("owner", "transaction_date", "id")
        .values_list(
            "owner", "transaction_date", "invoice_id", "citation__number", "kind", "memo", "amount"
        )
    )
    lines: dict[int, list] = defaultdict(list)
    for owner_id, *movement in movements:
        lines[owner_id].append(movement)
    items: dict[int, list[OpenItem]] = defaultdict(list)
    for item in open_items(as_of, customer_ids=ids):
        items[item.customer_id].append(item)
    built = [
        _statement(
            customers[pk],
            start=start,
            as_of=as_of,
            opening=opening.get(pk) or ZERO,
            movements=lines[pk],
            aging=ages.get(pk) or empty_row(customers[pk].name),
            items=items[pk],
        )
        for pk in ids
        if pk in customers
    ]
    return sorted(built, key=lambda s: (s.customer.name, s.customer.pk))


def _statement(customer, *, start, as_of, opening, movements, aging, items) -> Statement:
    running = opening
    charges = credits = ZERO
    lines = []
    for day, invoice_id, citation_number, kind, memo, amount in movements:
        running += amount
        if amount > 0:
            charges += amount
        else:
            credits -= amount
        lines.append(
            StatementLine(
                date=day,
                document=f"INV-{invoice_id:06d}" if invoice_id else citation_number,
                description=_description(kind, memo),
                charge=amount if amount > 0 else None,
                credit=-amount if amount < 0 else None,
                balance=running,
            )
        )
    return Statement(
        customer=customer,
        start=start,
        as_of=as_of,
        opening=opening,
        lines=lines,
        closing=running,
        charges=charges,
        credits=credits,
        aging=aging,
        items=items,
    )


def _description(kind: str, memo: str) -> str:
    # The charge's memo names the customer number for the ledger; the customer knows it.
    label = ArKind(kind).label
    if kind == ArKind.CHARGE and ": " in memo:
        return memo.split(": ", 1)[1]
    return memo or label
