"""Miscellaneous invoices: prepare a draft with lines from the fee schedule or free lines
on allowed revenue accounts, then issue it, which posts AR control against revenue."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ledger.models import Account, AccountType
from millbrae_finance.forms import EARLIEST_DATE, LATEST_DATE
from millbrae_finance.money import ZERO, to_money
from receivables.models import (
    ArKind,
    Customer,
    Fee,
    FeeRule,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from receivables.queries.fees import calculate_fee, fee_in_effect, terms_of
from receivables.services.subledger import post_movement

MAX_LINES = 20
# No line of a city's miscellaneous invoice comes near this; more is a typo.
MAX_LINE = Decimal("1000000")


@dataclass(frozen=True)
class LineInput:
    """A line as a person asks for it: a fee code (with units or a base when its rule
    needs them), or a free line with its description, revenue account and amount."""

    fee_code: str = ""
    description: str = ""
    revenue_account: Account | None = None
    units: Decimal | None = None
    base: Decimal | None = None
    amount: Decimal | None = None


def allowed_free_line_accounts() -> "list[Account]":
    """Revenue accounts a free line may bill to: those the approved fee schedule bills
    to, so a misc invoice never lands on utility, tax or grant revenue."""
    ids = Fee.objects.approved().values("revenue_account_id")
    return list(
        Account.objects.postable()
        .filter(pk__in=ids, account_type=AccountType.REVENUE)
        .order_by("number")
    )


def _built_lines(
    lines: Sequence[LineInput], *, invoice_date: dt.date
) -> tuple[list[InvoiceLine], dict[str, str]]:
    """Unsaved invoice lines, or errors keyed "line-<n>" (1-based) by the row at fault."""
    built: list[InvoiceLine] = []
    errors: dict[str, str] = {}
    allowed = {account.pk for account in allowed_free_line_accounts()}
    for number, line in enumerate(lines, start=1):
        key = f"line-{number}"
        if line.fee_code:
            fee = fee_in_effect(line.fee_code, invoice_date)
            if fee is None:
                errors[key] = (
                    f"No approved fee {line.fee_code.upper()} is in effect on "
                    f"{invoice_date:%Y-%m-%d}."
                )
                continue
            needs = "base" if fee.rule == FeeRule.PERCENT else "units"
            given = line.base if needs == "base" else line.units
            if fee.rule != FeeRule.FLAT and given is not None and given <= 0:
                what = "base amount" if needs == "base" else f"number of {fee.unit_name}s"
                errors[key] = f"Enter the {what} for {fee.code}, more than zero."
                continue
            try:
                calculation = calculate_fee(terms_of(fee), units=line.units, base=line.base)
            except ValueError as error:
                errors[key] = str(error)
                continue
            if calculation.amount >= MAX_LINE:
                errors[key] = f"{fee.code} comes to {calculation.amount:,.2f}: check the units."
                continue
            if calculation.amount <= 0:
                errors[key] = f"{fee.code} comes to {calculation.amount:,.2f}: nothing to bill."
                continue
            uses_units = fee.rule in (FeeRule.PER_UNIT, FeeRule.TIERED)
            built.append(
                InvoiceLine(
                    position=number,
                    fee=fee,
                    description=(line.description or fee.description)[:200],
                    revenue_account=fee.revenue_account,
                    units=line.units if uses_units else None,
                    base=line.base if fee.rule == FeeRule.PERCENT else None,
                    amount=calculation.amount,
                    calculation="\n".join(calculation.steps),
                )
            )
        else:
            if not line.description.strip():
                errors[key] = "Describe the charge, or choose a fee."
            elif line.revenue_account is None or line.revenue_account.pk not in allowed:
                errors[key] = "Choose a revenue account the fee schedule bills to."
            elif line.amount is None or line.amount <= 0:
                errors[key] = "Enter an amount more than zero."
            elif line.amount != to_money(line.amount) or line.amount >= MAX_LINE:
                errors[key] = f"{line.amount} is not an amount to the cent under $1,000,000."
            else:
                built.append(
                    InvoiceLine(
                        position=number,
                        description=line.description.strip()[:200],
                        revenue_account=line.revenue_account,
                        amount=line.amount,
                    )
                )
    if not lines:
        errors["lines"] = "An invoice needs at least one line."
    elif len(lines) > MAX_LINES:
        errors["lines"] = f"An invoice has at most {MAX_LINES} lines."
    return built, errors


def _check_header(
    customer: Customer, *, invoice_date: dt.date, terms_days: int, description: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not EARLIEST_DATE <= invoice_date <= LATEST_DATE:
        errors["invoice_date"] = f"Enter a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}."
    if customer.merged_into_id is not None or not customer.is_active:
        errors["customer"] = f"{customer.number} is not an active customer."
    if not description.strip():
        errors["description"] = "Say what the invoice is for."
    if terms_days < 0 or terms_days > 365:
        errors["terms_days"] = "Terms run from 0 to 365 days."
    return errors


def create_invoice(
    customer: Customer,
    *,
    invoice_date: dt.date,
    terms_days: int,
    description: str,
    lines: Sequence[LineInput],
    notes: str = "",
    actor: AbstractBaseUser,
) -> Invoice:
    """Prepare a draft invoice; nothing is owed until it is issued."""
    errors = _check_header(
        customer, invoice_date=invoice_date, terms_days=terms_days, description=description
    )
    built, line_errors = _built_lines(lines, invoice_date=invoice_date)
    errors.update(line_errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.create(
            customer=customer,
            invoice_date=invoice_date,
            terms_days=terms_days,
            due_date=invoice_date + dt.timedelta(days=terms_days),
            description=description.strip(),
            notes=notes,
            total=sum((line.amount for line in built), ZERO),
            prepared_by=actor,
        )
        for line in built:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built)
    return invoice


def update_invoice(
    invoice: Invoice,
    *,
    customer: Customer,
    invoice_date: dt.date,
    terms_days: int,
    description: str,
    lines: Sequence[LineInput],
    notes: str = "",
    actor: AbstractBaseUser,
) -> Invoice:
    """Change a draft: its header and all its lines. An issued invoice does not change; a
    credit memo corrects it."""
    errors = _check_header(
        customer, invoice_date=invoice_date, terms_days=terms_days, description=description
    )
    built, line_errors = _built_lines(lines, invoice_date=invoice_date)
    errors.update(line_errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.DRAFT:
            raise ValidationError(f"{invoice.number} is {invoice.get_status_display().lower()}.")
        invoice.customer = customer
        invoice.invoice_date = invoice_date
        invoice.terms_days = terms_days
        invoice.due_date = invoice_date + dt.timedelta(days=terms_days)
        invoice.description = description.strip()
        invoice.notes = notes
        invoice.total = sum((line.amount for line in built), ZERO)
        invoice.prepared_by = actor
        invoice.save()
        invoice.lines.all().delete()
        for line in built:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built)
    return invoice


def issue_invoice(invoice: Invoice, *, actor: AbstractBaseUser) -> Invoice:
    """Issue a draft: it is owed from now, and AR control is debited against each line's
    revenue account in one entry dated the invoice date. Issuing twice (a double-click,
    a retry) issues once: the entry's key is the invoice's own."""
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.ISSUED:
            return invoice
        if invoice.status != InvoiceStatus.DRAFT:
            raise ValidationError(f"{invoice.number} is void and cannot be issued.")
        offsets: dict[int, tuple[Account, Decimal]] = {}
        for line in invoice.lines.select_related("revenue_account"):
            account, amount = offsets.get(line.revenue_account_id, (line.revenue_account, ZERO))
            offsets[line.revenue_account_id] = (account, amount + line.amount)
        total = invoice.lines.aggregate(total=Sum("amount"))["total"] or ZERO
        if total <= 0:
            raise ValidationError("An invoice needs at least one line before it is issued.")
        movement = post_movement(
            invoice,
            kind=ArKind.CHARGE,
            offsets=list(offsets.values()),
            transaction_date=invoice.invoice_date,
            memo=f"Invoice {invoice.number} to {invoice.customer.number}: {invoice.description}",
            reference=invoice.number,
            idempotency_key=f"receivables-invoice-{invoice.pk}",
            actor=actor,
        )
        invoice.status = InvoiceStatus.ISSUED
        invoice.total = total
        invoice.issued_by = actor
        invoice.issued_at = timezone.now()
        invoice.journal_entry_id = movement.journal_entry_id
        invoice.save(update_fields=["status", "total", "issued_by", "issued_at", "journal_entry"])
    return invoice


def void_draft_invoice(invoice: Invoice, *, actor: AbstractBaseUser) -> Invoice:
    """Discard a draft that was never issued; it stays in the list, void."""
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.DRAFT:
            raise ValidationError(
                f"{invoice.number} is {invoice.get_status_display().lower()}: only a draft "
                "is voided; an issued invoice is corrected by a credit memo."
            )
        invoice.status = InvoiceStatus.VOID
        invoice.save(update_fields=["status"])
    return invoice
