"""Reads of the invoice and credit memo screens: the lists and their exports, an
invoice with its lines, movements and credits, the preview of lines being typed, and the
credit memos waiting for a lead."""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from millbrae_finance.money import ZERO
from receivables.models import (
    ApprovalStatus,
    ArKind,
    ArTransaction,
    Citation,
    CreditMemo,
    Fee,
    FeeRule,
    Invoice,
    InvoiceStatus,
)
from receivables.queries.customers import clean_search_text
from receivables.queries.fees import calculate_fee, fee_in_effect, terms_of

INVOICE_NUMBER = re.compile(r"(?:INV-?)?0*([0-9]{1,9})", re.IGNORECASE)
MEMO_NUMBER = re.compile(r"(?:CM-?)?0*([0-9]{1,9})", re.IGNORECASE)
CUSTOMER_NUMBER = re.compile(r"C0*([0-9]{1,9})", re.IGNORECASE)

# The list's status filter: an issued invoice is open while something is owed, paid after.
INVOICE_STATES = [
    ("draft", "Draft"),
    ("open", "Issued, open"),
    ("paid", "Paid"),
    ("written_off", "Written off"),
    ("void", "Void"),
]
INVOICE_SORTS = {
    "-date": ("-invoice_date", "-id"),
    "date": ("invoice_date", "id"),
    "-number": ("-id",),
    "number": ("id",),
    "customer": ("customer__name", "-invoice_date", "-id"),
    "-due": ("-due_date", "-id"),
    "due": ("due_date", "id"),
    "-balance": ("-balance", "-id"),
    "-total": ("-total", "-id"),
}

INVOICE_EXPORT_FIELDS = [
    ("number", "id"),
    ("invoice_date", "invoice_date"),
    ("due_date", "due_date"),
    ("terms_days", "terms_days"),
    ("status", "status"),
    ("customer", "customer_id"),
    ("customer_name", "customer__name"),
    ("description", "description"),
    ("total", "total"),
    ("balance", "balance"),
    ("prepared_by", "prepared_by__username"),
    ("issued_by", "issued_by__username"),
    ("issued_at", "issued_at"),
    ("journal_entry", "journal_entry_id"),
]

CREDIT_MEMO_EXPORT_FIELDS = [
    ("number", "id"),
    ("invoice", "invoice_id"),
    ("customer", "invoice__customer_id"),
    ("customer_name", "invoice__customer__name"),
    ("credit_date", "credit_date"),
    ("amount", "amount"),
    ("status", "status"),
    ("reason", "reason"),
    ("prepared_by", "prepared_by__username"),
    ("decided_by", "decided_by__username"),
    ("decided_at", "decided_at"),
    ("decision_note", "decision_note"),
    ("journal_entry", "journal_entry_id"),
]


def invoice_list(
    *,
    q: str = "",
    status: str = "",
    customer=None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    sort: str = "",
) -> QuerySet[Invoice]:
    """Invoices matching a number or customer (number or name), a state, a customer and
    an invoice date range, in the chosen order (newest first unless told)."""
    invoices = Invoice.objects.select_related("customer").with_written_off()
    text = clean_search_text(q)
    if text:
        match = Q(customer__name__icontains=text) | Q(description__icontains=text)
        number = INVOICE_NUMBER.fullmatch(text)
        if number:
            match |= Q(pk=int(number.group(1)))
        customer_number = CUSTOMER_NUMBER.fullmatch(text)
        if customer_number:
            match |= Q(customer_id=int(customer_number.group(1)))
        invoices = invoices.filter(match)
    if status == "draft":
        invoices = invoices.filter(status=InvoiceStatus.DRAFT)
    elif status == "open":
        invoices = invoices.filter(status=InvoiceStatus.ISSUED, balance__gt=0)
    elif status == "paid":
        invoices = invoices.filter(status=InvoiceStatus.ISSUED, balance=0, written_off=False)
    elif status == "written_off":
        invoices = invoices.filter(status=InvoiceStatus.ISSUED, balance=0, written_off=True)
    elif status == "void":
        invoices = invoices.filter(status=InvoiceStatus.VOID)
    if customer is not None:
        invoices = invoices.filter(customer=customer)
    if date_from is not None:
        invoices = invoices.filter(invoice_date__gte=date_from)
    if date_to is not None:
        invoices = invoices.filter(invoice_date__lte=date_to)
    return invoices.order_by(*INVOICE_SORTS.get(sort, INVOICE_SORTS["-date"]))


# The badge of each state, in the app's status colours: owed amber, settled green.
STATE_CSS = {
    "draft": "draft",
    "open": "submitted",
    "paid": "posted",
    "written_off": "closed",
    "void": "closed",
}


def invoice_state(invoice: Invoice) -> tuple[str, str]:
    """(label, css class) of an invoice's state as the list and detail show it: an
    issued invoice is open while something is owed, then paid, or written off when an
    approved write-off cleared it."""
    if invoice.status == InvoiceStatus.ISSUED and invoice.balance > 0:
        key, label = "open", "Open"
    elif invoice.status == InvoiceStatus.ISSUED and getattr(invoice, "written_off", False):
        key, label = "written_off", "Written off"  # Invoice.objects.with_written_off()
    elif invoice.status == InvoiceStatus.ISSUED:
        key, label = "paid", "Paid"
    else:
        key, label = invoice.status, invoice.get_status_display()
    return label, f"status-{STATE_CSS[key]}"


def invoice_detail(pk: int) -> Invoice:
    """One invoice with its customer, people and lines; raises Invoice.DoesNotExist."""
    return (
        Invoice.objects.select_related("customer", "prepared_by", "issued_by", "journal_entry")
        .prefetch_related("lines__revenue_account", "lines__fee")
        .with_written_off()
        .get(pk=pk)
    )


@dataclass(frozen=True)
class Movement:
    """One row of an invoice's history, with its running balance."""

    transaction: ArTransaction
    running_balance: Decimal


def invoice_movements(invoice: Invoice) -> list[Movement]:
    """Charges, payments, credits, penalties and write-offs of an invoice, oldest first,
    each with the balance after it."""
    rows = []
    running = ZERO
    for row in invoice.transactions.select_related("journal_entry").order_by(
        "transaction_date", "id"
    ):
        running += row.amount
        rows.append(Movement(row, running))
    return rows


def invoice_amounts(invoice: Invoice) -> dict[str, Decimal]:
    """What a printed invoice adds up: late penalties and interest charged since it was
    issued, and what payments, credits and write-offs took off (both positive)."""
    sums = invoice.transactions.aggregate(
        penalties=Coalesce(Sum("amount", filter=Q(kind=ArKind.PENALTY)), ZERO),
        reductions=Coalesce(Sum("amount", filter=Q(amount__lt=0)), ZERO),
    )
    return {"penalties": sums["penalties"], "paid_or_credited": -sums["reductions"]}


def invoice_credit_memos(invoice: Invoice) -> list[CreditMemo]:
    return list(invoice.credit_memos.select_related("prepared_by", "decided_by").order_by("-id"))


def credit_memo_list(*, q: str = "", status: str = "") -> QuerySet[CreditMemo]:
    """Credit memos matching a memo, invoice or customer number or a customer's name, and
    a status; newest first."""
    memos = CreditMemo.objects.select_related("invoice__customer", "prepared_by", "decided_by")
    text = clean_search_text(q)
    if text:
        match = Q(invoice__customer__name__icontains=text) | Q(reason__icontains=text)
        upper = text.upper()
        if upper.startswith("INV"):
            number = INVOICE_NUMBER.fullmatch(text)
            if number:
                match |= Q(invoice_id=int(number.group(1)))
        elif upper.startswith("C") and not upper.startswith("CM"):
            number = CUSTOMER_NUMBER.fullmatch(text)
            if number:
                match |= Q(invoice__customer_id=int(number.group(1)))
        else:
            number = MEMO_NUMBER.fullmatch(text)
            if number:
                match |= Q(pk=int(number.group(1)))
        memos = memos.filter(match)
    if status:
        memos = memos.filter(status=status)
    return memos.order_by("-created_at", "-id")


def credit_memo_detail(pk: int) -> CreditMemo:
    """One credit memo with its invoice and people; raises CreditMemo.DoesNotExist."""
    return CreditMemo.objects.select_related(
        "invoice__customer", "prepared_by", "decided_by", "journal_entry"
    ).get(pk=pk)


def credit_memos_to_approve(user: AbstractBaseUser) -> QuerySet[CreditMemo]:
    """Pending credit memos someone else prepared: what this lead may decide."""
    return (
        CreditMemo.objects.filter(status=ApprovalStatus.PENDING)
        .exclude(prepared_by_id=user.pk)
        .select_related("invoice__customer")
        .order_by("created_at", "id")
    )


def credit_memo_approval_work(user: AbstractBaseUser, limit: int = 10) -> list[tuple[str, str]]:
    """The home page's "Credit memos to approve" queue, oldest first."""
    return [
        (
            f"{memo.number} on {memo.invoice.number}, ${memo.amount:,.2f}: "
            f"{memo.invoice.customer.name}",
            reverse("receivables:credit_memo_detail", args=[memo.pk]),
        )
        for memo in credit_memos_to_approve(user)[:limit]
    ]


def fee_choices(on_date: dt.date | None = None) -> list[tuple[str, str]]:
    """(code, "CODE · per unit") of the fee codes with an approved version (in effect
    on the day when one is given), for a line's fee choice."""
    fees = Fee.objects.approved()
    if on_date is not None:
        fees = fees.in_effect_on(on_date)
    rows = (
        fees.order_by("code", "-effective_from")
        .distinct("code")
        .values_list("code", "rule", "unit_name")
    )
    choices = []
    for code, rule, unit in rows:
        # Short labels keep the line rows on one screen; the code says what it is.
        needs = {
            FeeRule.PER_UNIT: f" · per {unit}",
            FeeRule.TIERED: f" · per {unit}",
            FeeRule.PERCENT: " · % of a base",
        }.get(rule, "")
        choices.append((code, f"{code}{needs}"))
    return choices


@dataclass
class LinePreview:
    """What a line being typed comes to, before it is saved."""

    amount: Decimal | None = None
    steps: list[str] = field(default_factory=list)
    problem: str = ""


@dataclass
class InvoicePreview:
    lines: list[LinePreview]
    total: Decimal


def preview_lines(rows: list[dict], *, invoice_date: dt.date | None) -> InvoicePreview:
    """Each typed row's amount as the service would compute it (a fee line by the fee
    calculator on the invoice date, a free line as typed), and the total so far. Rows are
    dicts of fee_code, quantity and amount; what is not yet a number counts as nothing."""
    previews = []
    total = ZERO
    fees: dict[str, Fee | None] = {}
    for row in rows:
        code = (row.get("fee_code") or "").strip().upper()
        preview = LinePreview()
        if code:
            if invoice_date is None:
                preview.problem = "Enter the invoice date to price the fee."
            else:
                if code not in fees:
                    fees[code] = fee_in_effect(code, invoice_date)
                fee = fees[code]
                if fee is None:
                    preview.problem = f"No approved {code} in effect on {invoice_date:%Y-%m-%d}."
                else:
                    quantity = row.get("quantity")
                    try:
                        calculation = calculate_fee(terms_of(fee), units=quantity, base=quantity)
                    except (ValueError, ArithmeticError) as error:
                        preview.problem = str(error)
                    else:
                        preview.amount = calculation.amount
                        preview.steps = calculation.steps
        elif row.get("amount") is not None:
            preview.amount = row["amount"]
        if preview.amount is not None and preview.amount > 0:
            total += preview.amount
        previews.append(preview)
    return InvoicePreview(previews, total)


def receivables_document_url(reference: str) -> str | None:
    """The page of a receivables source document: "INV-000123" an invoice, "CM-000045" a
    credit memo, anything else a citation by its number when the citation screens exist."""
    reference = (reference or "").strip()
    for prefix, url_name in (
        ("INV-", "receivables:invoice_detail"),
        ("CM-", "receivables:credit_memo_detail"),
    ):
        if reference.startswith(prefix):
            number = reference.removeprefix(prefix)
            if not (number.isascii() and number.isdigit()):
                return None
            return reverse(url_name, args=[int(number)])
    if not reference:
        return None
    citation_pk = Citation.objects.filter(number=reference).values_list("pk", flat=True).first()
    if citation_pk is None:
        return None
    # The citation screens are another area's: link to them only once they exist.
    for args in ([reference], [citation_pk]):
        try:
            return reverse("receivables:citation_detail", args=args)
        except NoReverseMatch:
            continue
    return None
