"""Reads of vendor invoices: lists, one invoice, duplicates, the approval queue."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.urls import reverse

from ledger.models import ADJUSTMENT_PERIOD, Account, AccountType, FiscalPeriod, PeriodStatus
from millbrae_finance.templatetags.millbrae import money
from payables.models import Invoice, InvoiceStatus, Vendor

ACCOUNT_MATCHES = 20
WORK_ITEMS = 20


def open_period_refusal(day: dt.date) -> str:
    """Why nothing can be booked on `day` (no period, or a closed one), or "" if it can."""
    period = (
        FiscalPeriod.objects.filter(start_date__lte=day, end_date__gte=day)
        .exclude(number=ADJUSTMENT_PERIOD)
        .select_related("fiscal_year")
        .first()
    )
    if period is None:
        return f"No fiscal period covers {day:%Y-%m-%d}."
    if period.status != PeriodStatus.OPEN:
        return f"{period} is closed: {day:%m/%d/%Y} cannot be booked; use a date in an open period."
    return ""


def duplicates_of(
    vendor: Vendor, invoice_number: str, amount: Decimal, invoice_date: dt.date
) -> list[str]:
    """Invoices of the vendor already entered with the same number, or the same amount
    and date (a rejected one does not count), described for the warning."""
    found = (
        Invoice.objects.filter(vendor=vendor)
        .exclude(status=InvoiceStatus.REJECTED)
        .filter(
            Q(invoice_number__iexact=invoice_number)
            | Q(control_total=amount, invoice_date=invoice_date)
        )
        .order_by("id")[:5]
    )
    return [
        f"{invoice.number}: invoice {invoice.invoice_number} of {invoice.invoice_date:%m/%d/%Y}"
        f" for {money(invoice.total)}"
        for invoice in found
    ]


def expenditure_accounts() -> QuerySet[Account]:
    return Account.objects.postable().filter(account_type=AccountType.EXPENDITURE)


def expenditure_account_matches(text: str, *, limit: int = ACCOUNT_MATCHES) -> list[Account]:
    """Expenditure accounts whose number or name contains every word typed."""
    words = text.replace("\x00", "").split()[:5]
    if not words:
        return []
    accounts = expenditure_accounts()
    for word in words:
        accounts = accounts.filter(Q(number__contains=word) | Q(name__icontains=word))
    return list(accounts.order_by("number")[:limit])


def invoice_list(
    *, text: str = "", status: str = "", vendor: Vendor | None = None
) -> QuerySet[Invoice]:
    """Invoices, newest first, filtered by vendor name or invoice number and status."""
    invoices = Invoice.objects.select_related("vendor").order_by("-invoice_date", "-id")
    if vendor is not None:
        invoices = invoices.filter(vendor=vendor)
    if status:
        invoices = invoices.filter(status=status)
    for word in text.replace("\x00", "").split()[:5]:
        invoices = invoices.filter(
            Q(vendor__name__icontains=word) | Q(invoice_number__icontains=word)
        )
    return invoices


def invoice_for_page(pk: int) -> Invoice:
    return (
        Invoice.objects.select_related(
            "vendor", "prepared_by", "decided_by", "journal_entry", "attachment"
        )
        .prefetch_related("lines__account")
        .get(pk=pk)
    )


def invoice_approval_work(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """Invoices others entered, waiting for this supervisor's approval, oldest first."""
    invoices = (
        Invoice.objects.awaiting_approval()
        .exclude(prepared_by=user)
        .select_related("vendor")
        .order_by("received_date", "id")[:WORK_ITEMS]
    )
    return [
        (
            f"{invoice.number} · {invoice.vendor.name} · {invoice.invoice_number} · "
            f"{money(invoice.total)}",
            reverse("payables:invoice_detail", args=[invoice.pk]),
        )
        for invoice in invoices
    ]


def payables_document_url(reference: str) -> str | None:
    """The page of a payables source document: "AP-000123" or "VCM-000045"."""
    reference = (reference or "").strip()
    for prefix in ("AP-", "VCM-"):
        if reference.startswith(prefix):
            number = reference.removeprefix(prefix)
            if number.isascii() and number.isdigit():
                return reverse("payables:invoice_detail", args=[int(number)])
    return None
