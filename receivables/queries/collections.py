"""Reads of the collections screens: write-offs, referral candidates, referrals and the
agency's referral file."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, LPad, NullIf

from millbrae_finance.money import ZERO
from receivables.models import (
    ACTIVE_STATUSES,
    HEARING_HOLDS,
    ArKind,
    ArTransaction,
    Citation,
    CollectionReferral,
    Invoice,
    WriteOff,
    WriteOffStatus,
)
from receivables.queries.dunning import customers_promised_time

Document = Invoice | Citation
INVOICE_NUMBER = re.compile(r"INV-?0*([0-9]{1,9})", re.IGNORECASE)
WRITE_OFF_NUMBER = re.compile(r"(?:WO-?)?0*([0-9]{1,9})", re.IGNORECASE)


def find_document(text: str) -> Document | None:
    """An invoice by its number ("INV-000123", "inv123") or a citation by its number."""
    text = text.replace("\x00", "").strip()
    match = INVOICE_NUMBER.fullmatch(text)
    if match:
        return Invoice.objects.select_related("customer").filter(pk=int(match.group(1))).first()
    return Citation.objects.select_related("customer").filter(number=text.upper()).first()


def debtor_name(document: Document) -> str:
    """Who owes it: the customer, else a citation's respondent or plate."""
    if document.customer_id:
        return document.customer.name
    if document.respondent_name:
        return document.respondent_name
    return f"Registered owner of plate {document.plate} ({document.plate_state})"


@dataclass(frozen=True)
class DocumentSummary:
    document: Document
    kind: str
    debtor: str
    balance: Decimal
    pending: Decimal
    available: Decimal


def document_summary(document: Document) -> DocumentSummary:
    """What the write-off form shows beside the document: balance and what is left."""
    pending = pending_write_off_total(document)
    return DocumentSummary(
        document=document,
        kind="Invoice" if isinstance(document, Invoice) else "Citation",
        debtor=debtor_name(document),
        balance=document.balance,
        pending=pending,
        available=max(document.balance - pending, ZERO),
    )


# ---------------------------------------------------------------- write-offs

WRITE_OFF_SORTS = {
    "": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "amount": ("-amount", "-id"),
    "date": ("-write_off_date", "-id"),
}
WRITE_OFF_EXPORT_FIELDS = [
    ("Write-off", "number"),
    ("Document", "document_number"),
    ("Debtor", "debtor"),
    ("Amount", "amount"),
    ("Write-off date", "write_off_date"),
    ("Status", "status"),
    ("Reason", "reason"),
    ("Requested by", "prepared_by__username"),
    ("Decided by", "decided_by__username"),
    ("Decided at", "decided_at"),
    ("Decision note", "decision_note"),
    ("Journal entry", "journal_entry_id"),
]


def _number(prefix: str, field: str = "pk"):
    return Concat(Value(prefix), LPad(Cast(field, CharField()), 6, Value("0")))


def _with_document_columns(rows: QuerySet) -> QuerySet:
    """Number the rows' documents and name their debtors in SQL, for lists and CSV."""
    return rows.annotate(
        # Concat reads a missing invoice as "", so choose by which document it names.
        document_number=Case(
            When(invoice__isnull=False, then=_number("INV-", "invoice_id")),
            default=F("citation__number"),
            output_field=CharField(),
        ),
        debtor=Coalesce(
            NullIf(F("invoice__customer__name"), Value("")),
            NullIf(F("citation__customer__name"), Value("")),
            NullIf(F("citation__respondent_name"), Value("")),
            Concat(Value("Plate "), F("citation__plate")),
        ),
    )


def _by_document(rows: QuerySet, *, kind: str, q: str) -> QuerySet:
    """Rows of one document type, and those a search names: an invoice number, a
    citation number, the debtor's name, or the row's own number."""
    if kind == "invoice":
        rows = rows.filter(invoice__isnull=False)
    elif kind == "citation":
        rows = rows.filter(citation__isnull=False)
    q = q.strip()
    if not q:
        return rows
    match = INVOICE_NUMBER.fullmatch(q)
    if match:
        return rows.filter(invoice_id=int(match.group(1)))
    return rows.filter(Q(citation__number__iexact=q) | Q(debtor__icontains=q) | Q(number__iexact=q))


def write_off_list(*, status: str = "", kind: str = "", q: str = "", sort: str = "") -> QuerySet:
    """Write-offs, newest first, filtered by status, document type and document number."""
    rows = _with_document_columns(WriteOff.objects.all()).annotate(number=_number("WO-"))
    if status:
        rows = rows.filter(status=status)
    rows = _by_document(rows, kind=kind, q=q)
    return rows.select_related("prepared_by", "decided_by").order_by(*WRITE_OFF_SORTS[sort])


def write_off_detail(pk: int) -> WriteOff:
    return WriteOff.objects.select_related(
        "invoice__customer", "citation__customer", "prepared_by", "decided_by", "journal_entry"
    ).get(pk=pk)


def write_offs_awaiting(user: AbstractBaseUser) -> QuerySet:
    """Pending write-offs this supervisor may decide: all but their own requests."""
    return (
        _with_document_columns(WriteOff.objects.filter(status=WriteOffStatus.PENDING))
        .exclude(prepared_by=user)
        .order_by("created_at", "id")
    )


def write_off_approval_work(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """Work queue: write-offs waiting for this supervisor, oldest first."""
    from django.urls import reverse

    return [
        (
            f"WO-{row.pk:06d} {row.document_number}, {row.debtor}: ${row.amount:,.2f}",
            reverse("receivables:write_off_detail", args=[row.pk]),
        )
        for row in write_offs_awaiting(user)[:10]
    ]


# ---------------------------------------------------------------- referral candidates


def _no_active_referral(field: str) -> Exists:
    return ~Exists(
        CollectionReferral.objects.filter(**{field: OuterRef("pk")}, status__in=ACTIVE_STATUSES)
    )


def _no_pending_write_off(field: str) -> Exists:
    return ~Exists(
        WriteOff.objects.filter(**{field: OuterRef("pk")}, status=WriteOffStatus.PENDING)
    )


def referral_candidates(*, as_of: dt.date, days: int, kind: str = "") -> QuerySet:
    """Open items more than `days` past their basis date (an invoice's due date, a
    citation's issue date) on `as_of`, not with an agency already and not under appeal:
    one row per item (doc_kind, doc_id, number, debtor, basis_date, balance), oldest first."""
    cutoff = as_of - dt.timedelta(days=days)
    columns = ("doc_kind", "doc_id", "number", "debtor", "basis_date", "balance")
    # Not those a write-off waits on, nor customers a final notice gave until a later day.
    promised = list(customers_promised_time(as_of))
    invoices = (
        Invoice.objects.open()
        .filter(due_date__lt=cutoff)
        .filter(_no_active_referral("invoice"), _no_pending_write_off("invoice"))
        .exclude(customer_id__in=promised)
        .annotate(
            doc_kind=Value("invoice", output_field=CharField()),
            doc_id=F("pk"),
            number=_number("INV-"),
            debtor=Concat(F("customer__name"), Value(""), output_field=CharField()),
            basis_date=Cast("due_date", DateField()),
        )
        .values_list(*columns)
    )
    citations = (
        Citation.objects.open()
        .filter(issue_date__lt=cutoff)
        .exclude(hearing_status__in=HEARING_HOLDS)
        .filter(_no_active_referral("citation"), _no_pending_write_off("citation"))
        .exclude(customer_id__in=promised)
        .annotate(
            doc_kind=Value("citation", output_field=CharField()),
            doc_id=F("pk"),
            debtor=Coalesce(
                NullIf(F("customer__name"), Value("")),
                NullIf(F("respondent_name"), Value("")),
                Concat(Value("Plate "), F("plate"), Value(" "), F("plate_state")),
                output_field=CharField(),
            ),
            basis_date=Cast("issue_date", DateField()),
        )
        .values_list(*columns)
    )
    if kind == "invoice":
        return invoices.order_by("basis_date", "number")
    if kind == "citation":
        return citations.order_by("basis_date", "number")
    return invoices.union(citations, all=True).order_by("basis_date", "number")


@dataclass(frozen=True)
class CandidateRow:
    key: str  # "invoice:12": the checkbox's value
    kind: str
    number: str
    debtor: str
    basis_date: dt.date
    days_past: int
    balance: Decimal
    ticked: bool


def candidate_rows(rows, *, as_of: dt.date, ticked: set[str]) -> list[CandidateRow]:
    """A page of candidates as the screen shows them."""
    return [
        CandidateRow(
            key=f"{kind}:{pk}",
            kind="Invoice" if kind == "invoice" else "Citation",
            number=number,
            debtor=debtor,
            basis_date=basis,
            days_past=(as_of - basis).days,
            balance=balance,
            ticked=f"{kind}:{pk}" in ticked,
        )
        for kind, pk, number, debtor, basis, balance in rows
    ]


def candidate_documents(keys: list[tuple[str, int]]) -> list[Document]:
    """The documents named by (kind, id) pairs, as the refer service takes them."""
    invoice_ids = [pk for kind, pk in keys if kind == "invoice"]
    citation_ids = [pk for kind, pk in keys if kind == "citation"]
    return [
        *Invoice.objects.filter(pk__in=invoice_ids).order_by("pk"),
        *Citation.objects.filter(pk__in=citation_ids).order_by("pk"),
    ]


# ---------------------------------------------------------------- referrals

REFERRAL_SORTS = {
    "": ("-referred_on", "-id"),
    "oldest": ("referred_on", "id"),
    "amount": ("-amount_referred", "-id"),
    "status_date": ("-status_date", "-id"),
}
REFERRAL_EXPORT_FIELDS = [
    ("Referral", "number"),
    ("Document", "document_number"),
    ("Debtor", "debtor"),
    ("Agency", "agency"),
    ("Referred on", "referred_on"),
    ("Amount referred", "amount_referred"),
    ("Status", "status"),
    ("Status date", "status_date"),
    ("Collected", "amount_collected"),
    ("Agency fees", "agency_fees"),
    ("Referred by", "referred_by__username"),
]


def referral_list(
    *,
    status: str = "",
    agency: str = "",
    referred_on: dt.date | None = None,
    kind: str = "",
    q: str = "",
    sort: str = "",
) -> QuerySet:
    """Referrals, newest first, filtered by status, agency, date, document type or number."""
    rows = _with_document_columns(CollectionReferral.objects.all()).annotate(number=_number("REF-"))
    if status == "active":
        rows = rows.filter(status__in=ACTIVE_STATUSES)
    elif status:
        rows = rows.filter(status=status)
    if agency:
        rows = rows.filter(agency__iexact=agency.strip())
    if referred_on:
        rows = rows.filter(referred_on=referred_on)
    rows = _by_document(rows, kind=kind, q=q)
    return rows.select_related("referred_by").order_by(*REFERRAL_SORTS[sort])


def referral_batches() -> QuerySet:
    """Referral files: one per agency and referral date, with count and total."""
    return (
        CollectionReferral.objects.values("referred_on", "agency")
        .annotate(items=Count("id"), total=Coalesce(Sum("amount_referred"), ZERO))
        .order_by("-referred_on", "agency")
    )


def agency_names() -> list[str]:
    return list(
        CollectionReferral.objects.order_by("agency").values_list("agency", flat=True).distinct()
    )


REFERRAL_FILE_HEADER = [
    "referral_id",
    "document_number",
    "document_type",
    "debtor_name",
    "mailing_address",
    "phone",
    "email",
    "original_amount",
    "balance_referred",
    "basis_date",
    "last_payment_date",
]


def _last_payment(field: str) -> Subquery:
    return Subquery(
        ArTransaction.objects.filter(
            **{field: OuterRef(field)},
            kind=ArKind.PAYMENT,
            # As of the referral, so the file reads the same whenever it is downloaded.
            transaction_date__lte=OuterRef("referred_on"),
        )
        .values(field)
        .annotate(last=Max("transaction_date"))
        .values("last")[:1]
    )


def _address(customer) -> str:
    if customer is None:
        return ""
    city_line = " ".join(
        part
        for part in (
            f"{customer.city}," if customer.city else "",
            customer.state,
            customer.postal_code,
        )
        if part
    )
    parts = [
        customer.care_of and f"c/o {customer.care_of}",
        customer.address_line1,
        customer.address_line2,
        city_line,
    ]
    return ", ".join(part for part in parts if part)


def referral_file_rows(*, referred_on: dt.date, agency: str) -> list[list]:
    """The file the agency receives for one referral date: a row per referral."""
    referrals = (
        CollectionReferral.objects.filter(referred_on=referred_on, agency=agency)
        .select_related("invoice__customer", "citation__customer")
        .annotate(
            last_invoice_payment=_last_payment("invoice"),
            last_citation_payment=_last_payment("citation"),
        )
        .order_by("id")
    )
    rows = []
    for referral in referrals:
        document = referral.invoice or referral.citation
        customer = document.customer
        if referral.invoice_id:
            kind, original, basis = "invoice", document.total, document.due_date
            last = referral.last_invoice_payment
        else:
            kind, original, basis = "citation", document.fine_amount, document.issue_date
            last = referral.last_citation_payment
        rows.append(
            [
                str(referral),
                document.number,
                kind,
                debtor_name(document),
                _address(customer),
                customer.phone if customer else "",
                customer.email if customer else "",
                original,
                referral.amount_referred,
                basis,
                last,
            ]
        )
    return rows


def pending_write_off_total(document: Document, *, exclude: WriteOff | None = None) -> Decimal:
    """What pending write-off requests of the document already ask for."""
    rows = WriteOff.objects.filter(status=WriteOffStatus.PENDING, **document_filter(document))
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def document_filter(document: Document) -> dict:
    """The keyword that points a write-off or referral at its document."""
    return {"invoice": document} if isinstance(document, Invoice) else {"citation": document}
