"""Vendor invoices and credit memos: enter one (lines coded to expenditure accounts,
footing to the control total, duplicates warned of), approve it (which posts it), reject
it, hold and release it."""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.models import Account, AccountType, Subledger
from ledger.services import LineSpec, post_entry
from millbrae_finance.forms import EARLIEST_DATE, LATEST_DATE
from millbrae_finance.money import ZERO, to_money
from millbrae_finance.roles import has_role
from payables.access import INVOICE_APPROVERS, PAYABLES_PREPARERS
from payables.attachments import ScannedFile
from payables.models import (
    Invoice,
    InvoiceAttachment,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Vendor,
    VendorStatus,
)
from payables.queries.invoices import duplicates_of, open_period_refusal

SOURCE_MODULE = "payables"
MAX_LINES = 50
MAX_AMOUNT = Decimal("100000000")


@dataclass(frozen=True)
class LineInput:
    account: Account | None
    amount: Decimal | None
    description: str = ""


@dataclass(frozen=True)
class InvoiceInput:
    vendor: Vendor
    invoice_number: str
    invoice_date: dt.date
    received_date: dt.date
    terms_days: int
    control_total: Decimal
    kind: str = InvoiceKind.INVOICE
    due_date: dt.date | None = None  # None: invoice date plus terms
    posting_date: dt.date | None = None  # None: the invoice date
    description: str = ""
    duplicate_override: str = ""


def _header_errors(data: InvoiceInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.vendor.status == VendorStatus.INACTIVE:
        errors["vendor"] = f"{data.vendor.name} is inactive: make it active first."
    if not data.invoice_number.replace("\x00", "").strip():
        errors["invoice_number"] = "Enter the vendor's invoice number."
    for name in ("invoice_date", "received_date"):
        day = getattr(data, name)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            errors[name] = f"Enter a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}."
    if data.received_date < data.invoice_date and "received_date" not in errors:
        errors["received_date"] = "An invoice is received on or after its date."
    if data.received_date > timezone.localdate():
        errors["received_date"] = "An invoice cannot be received after today."
    if not 0 <= data.terms_days <= 180:
        errors["terms_days"] = "Terms run from 0 to 180 days."
    if data.due_date is not None and data.due_date < data.invoice_date:
        errors["due_date"] = "The due date is on or after the invoice date."
    if data.control_total is None or data.control_total <= 0:
        errors["control_total"] = "Enter the invoice's total, more than zero."
    elif data.control_total != to_money(data.control_total) or data.control_total >= MAX_AMOUNT:
        errors["control_total"] = f"{data.control_total} is not an amount to the cent."
    return errors


def footing_refusal(control_total: Decimal, lines: Sequence[LineInput]) -> str:
    """Why the lines do not foot to the control total, or "" when they do."""
    total = sum((line.amount or ZERO for line in lines), ZERO)
    if total == control_total:
        return ""
    return (
        f"The lines add up to ${total:,.2f}, not the control total of "
        f"${control_total:,.2f}: they are off by ${abs(total - control_total):,.2f}."
    )


def _built_lines(lines: Sequence[LineInput]) -> tuple[list[InvoiceLine], dict[str, str]]:
    """Unsaved lines, or errors keyed "line-<n>" (1-based) by the row at fault."""
    built: list[InvoiceLine] = []
    errors: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        key = f"line-{number}"
        account = line.account
        if account is None:
            errors[key] = "Choose an expenditure account."
        elif account.account_type != AccountType.EXPENDITURE:
            errors[key] = f"{account.number} is not an expenditure account."
        elif not (account.is_active and account.allows_posting):
            errors[key] = f"{account.number} does not accept postings."
        elif line.amount is None or line.amount <= 0:
            errors[key] = "Enter an amount more than zero."
        elif line.amount != to_money(line.amount) or line.amount >= MAX_AMOUNT:
            errors[key] = f"{line.amount} is not an amount to the cent."
        else:
            built.append(
                InvoiceLine(
                    position=number,
                    account=account,
                    description=line.description.replace("\x00", "").strip()[:200],
                    amount=line.amount,
                )
            )
    if not lines:
        errors["lines"] = "An invoice needs at least one line."
    elif len(lines) > MAX_LINES:
        errors["lines"] = f"An invoice has at most {MAX_LINES} lines."
    return built, errors


def enter_invoice(
    data: InvoiceInput,
    *,
    lines: Sequence[LineInput],
    attachment: ScannedFile | None = None,
    entry_key: str | None = None,
    actor: AbstractBaseUser,
) -> Invoice:
    """Enter a vendor's invoice or credit memo; it waits for approval. Refused, with
    nothing saved, when the lines do not foot to the control total, the posting date's
    period is closed, or it looks like one already entered and no reason is given."""
    if not has_role(actor, *PAYABLES_PREPARERS):
        raise PermissionDenied("Only finance staff enter invoices.")
    errors = _header_errors(data)
    built, line_errors = _built_lines(lines)
    errors.update(line_errors)
    posting_date = data.posting_date or data.invoice_date
    if "invoice_date" not in errors:
        refusal = open_period_refusal(posting_date)
        if refusal:
            errors["posting_date" if data.posting_date else "invoice_date"] = refusal
    total = sum((line.amount for line in built), ZERO)
    if not line_errors and "control_total" not in errors:
        refusal = footing_refusal(data.control_total, lines)
        if refusal:
            errors["control_total"] = refusal
    if errors:
        raise ValidationError(errors)
    override = data.duplicate_override.replace("\x00", "").strip()
    with transaction.atomic(durable=True):
        # One vendor's invoices are entered one at a time, so two clerks entering the same
        # invoice at once cannot both miss the other's (the duplicate check reads under it).
        vendor = Vendor.objects.select_for_update().get(pk=data.vendor.pk)
        if entry_key:
            repeat = Invoice.objects.filter(entry_key=entry_key).first()
            if repeat is not None:
                return repeat
        if not override:
            duplicates = duplicates_of(
                vendor, data.invoice_number.strip(), data.control_total, data.invoice_date
            )
            if duplicates:
                listed = "; ".join(duplicates)
                raise ValidationError(
                    {
                        "duplicate_override": f"This looks like an invoice already entered "
                        f"({listed}). If it is not a duplicate, say why to save it."
                    },
                    code="duplicate",
                )
        terms = data.terms_days
        invoice = Invoice(
            vendor=vendor,
            kind=data.kind,
            invoice_number=data.invoice_number.strip()[:40],
            invoice_date=data.invoice_date,
            received_date=data.received_date,
            posting_date=posting_date,
            terms_days=terms,
            due_date=data.due_date or data.invoice_date + dt.timedelta(days=terms),
            description=data.description.replace("\x00", "").strip()[:200],
            control_total=data.control_total,
            total=total,
            duplicate_override=override[:250],
            entry_key=entry_key or None,
            prepared_by=actor,
        )
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            # The same form raced itself (a double-click): the first one stands.
            return Invoice.objects.get(entry_key=entry_key)
        for line in built:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built)
        if attachment is not None:
            attach_file(invoice, attachment, actor=actor, _inner=True)
    return invoice


def attach_file(
    invoice: Invoice, scanned: ScannedFile, *, actor: AbstractBaseUser, _inner: bool = False
) -> InvoiceAttachment:
    """Attach (or replace) the scanned invoice."""
    if not has_role(actor, *PAYABLES_PREPARERS):
        raise PermissionDenied("Only finance staff attach invoices.")
    with transaction.atomic(durable=not _inner):
        InvoiceAttachment.objects.filter(invoice=invoice).delete()
        return InvoiceAttachment.objects.create(
            invoice=invoice,
            filename=scanned.filename[:200],
            content_type=scanned.content_type,
            size=len(scanned.content),
            sha256=hashlib.sha256(scanned.content).hexdigest(),
            content=scanned.content,
            uploaded_by=actor,
        )


def _check_decider(invoice: Invoice, actor: AbstractBaseUser) -> None:
    if not has_role(actor, *INVOICE_APPROVERS):
        raise PermissionDenied("The Finance Supervisor approves invoices.")
    if invoice.prepared_by_id == actor.pk:
        # Segregation of duties: whoever prepares a thing never approves it.
        raise ValidationError(f"You entered {invoice.number}: another supervisor must approve it.")


def ap_control_for(fund_id: int) -> Account:
    """The AP control account of the fund (e.g. 101-0000-2010)."""
    accounts = list(
        Account.objects.postable().filter(control_subledger=Subledger.AP).order_by("number")
    )
    if not accounts:
        raise ValidationError(
            "No active accounts payable control account in the chart of accounts: the "
            "Administrator marks one (e.g. 101-0000-2010) as its control account."
        )
    for account in accounts:
        if account.fund_id == fund_id:
            return account
    return accounts[0]  # the posting service adds the due-to/due-from lines


def posting_lines(invoice: Invoice) -> list[LineSpec]:
    """Each expenditure account debited, AP control of its fund credited (the other way
    round for a credit memo)."""
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_MEMO else 1
    by_fund: dict[int, Decimal] = defaultdict(Decimal)
    lines = []
    for line in invoice.lines.select_related("account"):
        memo = (line.description or invoice.invoice_number)[:100]
        lines.append(LineSpec(line.account, sign * line.amount, memo))
        by_fund[line.account.fund_id] += line.amount
    controls = [
        LineSpec(ap_control_for(fund_id), -sign * amount, f"{invoice.vendor.name}"[:100])
        for fund_id, amount in by_fund.items()
    ]
    return lines + controls


def approve_invoice(invoice: Invoice, *, actor: AbstractBaseUser) -> Invoice:
    """Approve an invoice and post it through the ledger. Approving twice (a double-click,
    a retry) posts once: the entry's key is the invoice's own."""
    _check_decider(invoice, actor)
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().select_related("vendor").get(pk=invoice.pk)
        if invoice.status in (InvoiceStatus.APPROVED, InvoiceStatus.HELD, InvoiceStatus.PAID):
            return invoice
        if invoice.status != InvoiceStatus.OPEN:
            raise ValidationError(f"{invoice.number} was rejected; it cannot be approved.")
        what = "Credit memo" if invoice.kind == InvoiceKind.CREDIT_MEMO else "Invoice"
        entry = post_entry(
            entry_date=invoice.posting_date,
            lines=posting_lines(invoice),
            memo=f"{what} {invoice.invoice_number} from {invoice.vendor.name}"[:250],
            source_module=SOURCE_MODULE,
            source_document=invoice.number,
            idempotency_key=f"payables-invoice-{invoice.pk}",
            prepared_by=invoice.prepared_by,
            approved_by=actor,
        )
        invoice.status = InvoiceStatus.APPROVED
        invoice.journal_entry = entry
        invoice.decided_by = actor
        invoice.decided_at = timezone.now()
        invoice.save(update_fields=["status", "journal_entry", "decided_by", "decided_at"])
    return invoice


def reject_invoice(invoice: Invoice, *, note: str, actor: AbstractBaseUser) -> Invoice:
    """Send an invoice back, saying why; nothing posts."""
    _check_decider(invoice, actor)
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": "Say why the invoice is rejected."})
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.REJECTED:
            return invoice
        if invoice.status != InvoiceStatus.OPEN:
            raise ValidationError(f"{invoice.number} is posted; a credit memo corrects it.")
        invoice.status = InvoiceStatus.REJECTED
        invoice.decided_by = actor
        invoice.decided_at = timezone.now()
        invoice.decision_note = note[:250]
        invoice.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return invoice


def hold_invoice(invoice: Invoice, *, reason: str, actor: AbstractBaseUser) -> Invoice:
    """Hold an approved invoice: no payment run selects it until it is released."""
    if not has_role(actor, *PAYABLES_PREPARERS):
        raise PermissionDenied("Only finance staff hold invoices.")
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the invoice is held."})
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.HELD:
            return invoice
        if invoice.status != InvoiceStatus.APPROVED or invoice.kind != InvoiceKind.INVOICE:
            raise ValidationError(
                f"{invoice.number} is {invoice.get_status_display().lower()}: only an "
                "approved invoice waiting for payment is held."
            )
        invoice.status = InvoiceStatus.HELD
        invoice.hold_reason = reason[:250]
        invoice.save(update_fields=["status", "hold_reason"])
    return invoice


def release_invoice(invoice: Invoice, *, actor: AbstractBaseUser) -> Invoice:
    """Release a held invoice: it may be paid again."""
    if not has_role(actor, *INVOICE_APPROVERS):
        raise PermissionDenied("The Finance Supervisor releases held invoices.")
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.APPROVED:
            return invoice
        if invoice.status != InvoiceStatus.HELD:
            raise ValidationError(f"{invoice.number} is not held.")
        invoice.status = InvoiceStatus.APPROVED
        invoice.hold_reason = ""
        invoice.save(update_fields=["status", "hold_reason"])
    return invoice
