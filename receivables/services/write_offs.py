"""Write-offs: an uncollectible balance of an invoice or a citation taken off the books.
Finance staff request one; a Finance Supervisor who did not request it approves it, and
only then is it posted (debit uncollectible accounts expense, credit AR control)."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.models import Account, AccountType
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role
from receivables.models import (
    ArKind,
    Citation,
    CitationStatus,
    Invoice,
    InvoiceStatus,
    WriteOff,
    WriteOffStatus,
)
from receivables.queries.collections import document_filter, pending_write_off_total
from receivables.queries.subledger import control_account_for, control_accounts, subledger_of
from receivables.services.subledger import post_movement

Document = Invoice | Citation
# Object codes of the chart this module posts to (the demo chart and every city chart
# built from the state controller's uniform list use them).
UNCOLLECTIBLE_OBJECT = "5720"  # Uncollectible accounts
WRITE_OFF_APPROVERS = frozenset({Role.FINANCE_SUPERVISOR})


def is_open_document(document: Document) -> bool:
    """Whether something is still owed on it: an issued invoice or an open citation."""
    if isinstance(document, Invoice):
        return document.status == InvoiceStatus.ISSUED and document.balance > 0
    return document.status == CitationStatus.OPEN and document.balance > 0


def lock_document(document: Document) -> Document:
    """Re-read the document under its row lock (the caller's transaction)."""
    return type(document).objects.select_for_update().get(pk=document.pk)


def control_fund_id(document: Document) -> int:
    """The fund of the AR control account the document's charge debited (the first
    control account of its subledger when there is no charge to read)."""
    subledger = subledger_of(document)
    if document.journal_entry_id is not None:
        fund_id = (
            document.journal_entry.lines.filter(account__control_subledger=subledger, amount__gt=0)
            .values_list("account__fund_id", flat=True)
            .first()
        )
        if fund_id is not None:
            return fund_id
    accounts = control_accounts(subledger)
    if not accounts:
        control_account_for(subledger, 0)  # raises the clear message
    return accounts[0].fund_id


def uncollectible_account(fund_id: int) -> Account:
    """The postable uncollectible accounts expense (object 5720) of a fund."""
    account = (
        Account.objects.postable()
        .filter(
            fund_id=fund_id,
            object_code__code=UNCOLLECTIBLE_OBJECT,
            account_type=AccountType.EXPENDITURE,
        )
        .select_related("fund")
        .order_by("number")
        .first()
    )
    if account is None:
        raise ValidationError(
            "The chart of accounts has no postable uncollectible accounts expense (object "
            f"code {UNCOLLECTIBLE_OBJECT}) in the fund of the receivable: the Administrator "
            "adds one (e.g. 101-1100-5720) before a write-off can be approved."
        )
    return account


def request_write_off(
    document: Document,
    *,
    amount: Decimal,
    reason: str,
    write_off_date: dt.date,
    actor: AbstractBaseUser,
) -> WriteOff:
    """Ask to write off part or all of an open document's balance; nothing posts until
    a supervisor who did not ask approves it."""
    if not has_role(actor, *FINANCE_STAFF):
        raise ValidationError("Only finance staff request write-offs.")
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Say why the balance cannot be collected."
    if amount is None or amount <= 0:
        errors["amount"] = "The amount must be more than zero."
    with transaction.atomic(durable=True):
        document = lock_document(document)
        # A double-clicked Request: the same request again returns the first one.
        repeat = WriteOff.objects.filter(
            **document_filter(document),
            status=WriteOffStatus.PENDING,
            amount=amount,
            reason=reason,
            write_off_date=write_off_date,
            prepared_by=actor,
        ).first()
        if repeat is not None and not errors:
            return repeat
        if not is_open_document(document):
            errors["document"] = (
                f"{document.number} has nothing owed on it: only an issued invoice or an "
                "open citation with a balance is written off."
            )
        elif "amount" not in errors:
            available = document.balance - pending_write_off_total(document)
            if amount > available:
                errors["amount"] = (
                    f"${amount:,.2f} is more than the ${available:,.2f} that can be written off "
                    f"(balance ${document.balance:,.2f}, less write-offs waiting for approval)."
                )
        basis = document.invoice_date if isinstance(document, Invoice) else document.issue_date
        if write_off_date < basis:
            errors["write_off_date"] = f"The date cannot be before the document's {basis}."
        elif write_off_date > timezone.localdate():
            errors["write_off_date"] = "A write-off is dated today or earlier."
        if document.referrals.filter(status__in=["referred", "collecting"]).exists():
            errors["document"] = (
                f"{document.number} is with a collection agency: recall it before writing it off."
            )
        if errors:
            raise ValidationError(errors)
        return WriteOff.objects.create(
            **document_filter(document),
            amount=amount,
            reason=reason,
            write_off_date=write_off_date,
            prepared_by=actor,
        )


def _check_approver(write_off: WriteOff, actor: AbstractBaseUser, verb: str) -> None:
    if not has_role(actor, *WRITE_OFF_APPROVERS):
        raise ValidationError(f"Only a Finance Supervisor {verb} write-offs.")
    if write_off.prepared_by_id == actor.pk:
        raise ValidationError(
            f"You requested {write_off}: another supervisor decides it (segregation of duties)."
        )


def _locked(write_off: WriteOff) -> tuple[Document, WriteOff]:
    # Documents before write-offs, in every service, so two supervisors never deadlock.
    document = lock_document(write_off.invoice or write_off.citation)
    return document, WriteOff.objects.select_for_update().get(pk=write_off.pk)


def approve_write_off(write_off: WriteOff, *, actor: AbstractBaseUser) -> WriteOff:
    """Approve and post a pending write-off: debit uncollectible accounts expense, credit
    the AR control account. Approving it again (a double-click) posts nothing more."""
    _check_approver(write_off, actor, "approves")
    with transaction.atomic(durable=True):
        document, write_off = _locked(write_off)
        if write_off.status == WriteOffStatus.APPROVED:
            return write_off
        if write_off.status != WriteOffStatus.PENDING:
            raise ValidationError(f"{write_off} was rejected: it cannot be approved.")
        # The balance may have moved since the request (a payment at the counter).
        if not is_open_document(document) or write_off.amount > document.balance:
            raise ValidationError(
                f"{document.number} now owes {document.balance:,.2f}, less than the "
                f"{write_off.amount:,.2f} of {write_off}: reject it and request a new one."
            )
        expense = uncollectible_account(control_fund_id(document))
        movement = post_movement(
            document,
            kind=ArKind.WRITE_OFF,
            offsets=[(expense, write_off.amount)],
            transaction_date=write_off.write_off_date,
            memo=f"Write-off {write_off} of {document.number}: {write_off.reason}",
            reference=str(write_off),
            idempotency_key=f"receivables-write-off-{write_off.pk}",
            actor=write_off.prepared_by,
            approved_by=actor,
        )
        write_off.status = WriteOffStatus.APPROVED
        write_off.decided_by = actor
        write_off.decided_at = timezone.now()
        write_off.journal_entry_id = movement.journal_entry_id
        write_off.save(update_fields=["status", "decided_by", "decided_at", "journal_entry"])
    return write_off


def reject_write_off(write_off: WriteOff, *, note: str, actor: AbstractBaseUser) -> WriteOff:
    """Turn down a pending write-off, saying why; nothing posts."""
    _check_approver(write_off, actor, "rejects")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why the write-off is rejected."})
    with transaction.atomic(durable=True):
        _, write_off = _locked(write_off)
        if write_off.status == WriteOffStatus.REJECTED:
            return write_off
        if write_off.status != WriteOffStatus.PENDING:
            raise ValidationError(f"{write_off} is already approved and posted.")
        write_off.status = WriteOffStatus.REJECTED
        write_off.decided_by = actor
        write_off.decided_at = timezone.now()
        write_off.decision_note = note
        write_off.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return write_off
