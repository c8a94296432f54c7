"""Credit memos: a credit against an issued invoice (billed in error, service not
rendered, a courtesy credit). Finance staff prepare one; a Senior Accounting Technician
or the Finance Supervisor who did not prepare it approves it, which posts it: revenue is
debited back in proportion to the invoice's lines and AR control credited."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ledger.models import Account
from millbrae_finance.money import ZERO, allocate_oldest_first, split_by_weights, to_money
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role
from receivables.models import (
    ApprovalStatus,
    ArKind,
    CreditMemo,
    Invoice,
    InvoiceStatus,
)
from receivables.queries.subledger import open_parts
from receivables.services.subledger import post_movement

# Lead duties (DESIGN.md): approving what a technician prepared.
CREDIT_MEMO_APPROVERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
MAX_REASON_CHARS = 2000


def pending_credits(invoice: Invoice, *, excluding: CreditMemo | None = None) -> Decimal:
    """What the invoice's credit memos still waiting for approval add up to."""
    memos = invoice.credit_memos.filter(status=ApprovalStatus.PENDING)
    if excluding is not None:
        memos = memos.exclude(pk=excluding.pk)
    return memos.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def creditable_amount(invoice: Invoice) -> Decimal:
    """The most a new credit memo may be for: the balance less the pending credit memos."""
    return max(invoice.balance - pending_credits(invoice), ZERO)


def prepare_credit_memo(
    invoice: Invoice,
    *,
    amount: Decimal,
    reason: str,
    credit_date: dt.date,
    actor: AbstractBaseUser,
) -> CreditMemo:
    """Prepare a credit memo against an issued invoice; nothing posts until a lead who
    did not prepare it approves it."""
    if not has_role(actor, *FINANCE_STAFF):
        raise PermissionDenied("Only finance staff prepare credit memos.")
    reason = (reason or "").replace("\x00", "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Say why the invoice is credited."
    elif len(reason) > MAX_REASON_CHARS:
        errors["reason"] = f"Keep the reason under {MAX_REASON_CHARS:,} characters."
    if amount is None or amount <= 0:
        errors["amount"] = "Enter an amount more than zero."
    elif amount != to_money(amount):
        errors["amount"] = f"{amount} is not an amount to the cent."
    with transaction.atomic(durable=True):
        # The invoice's row lock orders this against payments, other credit memos and
        # approvals of the same invoice: the balance read here stays true until commit.
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.ISSUED:
            raise ValidationError(
                f"{invoice.number} is {invoice.get_status_display().lower()}: only an issued "
                "invoice is credited."
            )
        # A double-clicked Prepare (read under the invoice's lock): the same memo again
        # from the same person returns the first one instead of a second pending memo.
        repeat = invoice.credit_memos.filter(
            status=ApprovalStatus.PENDING,
            prepared_by=actor,
            amount=amount,
            reason=reason,
            credit_date=credit_date,
        ).first()
        if repeat is not None and not errors:
            return repeat
        if credit_date > timezone.localdate():
            errors["credit_date"] = "A credit memo is dated today or earlier."
        elif credit_date < invoice.invoice_date:
            errors["credit_date"] = (
                f"A credit cannot come before the invoice date, {invoice.invoice_date:%Y-%m-%d}."
            )
        if "amount" not in errors:
            room = creditable_amount(invoice)
            if amount > room:
                pending = pending_credits(invoice)
                detail = f" less ${pending:,.2f} in pending credit memos" if pending else ""
                errors["amount"] = (
                    f"${amount:,.2f} is more than can be credited: the balance is "
                    f"${invoice.balance:,.2f}{detail}, so at most ${room:,.2f}."
                )
        if errors:
            raise ValidationError(errors)
        return CreditMemo.objects.create(
            invoice=invoice,
            amount=amount,
            reason=reason,
            credit_date=credit_date,
            prepared_by=actor,
        )


def _check_decider(memo: CreditMemo, actor: AbstractBaseUser) -> None:
    if not has_role(actor, *CREDIT_MEMO_APPROVERS):
        raise PermissionDenied(
            "A Senior Accounting Technician or the Finance Supervisor decides credit memos."
        )
    if memo.prepared_by_id == actor.pk:
        # Segregation of duties: whoever prepares a thing never approves it.
        raise ValidationError(
            f"You prepared {memo.number}: another lead or the supervisor must decide it."
        )


def credit_offsets(invoice: Invoice, amount: Decimal) -> list[tuple[Account, Decimal]]:
    """The revenue accounts a credit reverses. What is still open on the invoice is worked
    out part by part, as payments are applied (oldest charge first: the lines, then each
    penalty in the order charged); the credit comes off those open parts in the same
    order. The lines' part is split over their revenue accounts in proportion to the line
    amounts by largest remainder, so the parts add up to the cent; a penalty's part goes
    back to its rule's revenue account."""
    lines = list(invoice.lines.select_related("revenue_account").order_by("position"))
    if not lines:
        raise ValidationError(f"{invoice.number} has no lines to credit.")
    parts = open_parts(invoice)
    open_amounts = [max(part.remaining, ZERO) for part in parts]
    credited, left = allocate_oldest_first(amount, open_amounts)
    if left > 0:
        raise ValidationError(
            {"amount": f"{amount:,.2f} is more than is open on {invoice.number}."}
        )
    by_account: dict[int, Decimal] = defaultdict(Decimal)
    accounts: dict[int, Account] = {}
    for open_part, part in zip(parts, credited, strict=True):
        if part <= 0:
            continue
        account = open_part.account
        if account is None:
            for line, share in zip(
                lines, split_by_weights(part, [line.amount for line in lines]), strict=True
            ):
                accounts[line.revenue_account_id] = line.revenue_account
                by_account[line.revenue_account_id] += share
        else:
            accounts[account.pk] = account
            by_account[account.pk] += part
    return [(accounts[pk], total) for pk, total in by_account.items() if total > 0]


def approve_credit_memo(memo: CreditMemo, *, actor: AbstractBaseUser) -> CreditMemo:
    """Approve and post a pending credit memo: debit each revenue account back, credit AR
    control, lower the invoice's balance. Approving twice (a double-click, a retry) posts
    once: the entry's key is the memo's own."""
    _check_decider(memo, actor)
    with transaction.atomic(durable=True):
        # Locks in one order everywhere: the invoice, then its credit memo.
        invoice = Invoice.objects.select_for_update().get(pk=memo.invoice_id)
        memo = CreditMemo.objects.select_for_update().get(pk=memo.pk)
        if memo.status == ApprovalStatus.APPROVED:
            return memo
        if memo.status != ApprovalStatus.PENDING:
            raise ValidationError(f"{memo.number} was rejected; it cannot be approved.")
        if memo.amount > invoice.balance:
            # A payment or another credit came in since it was prepared.
            raise ValidationError(
                {
                    "amount": f"{memo.amount:,.2f} is now more than the balance of "
                    f"{invoice.number}, {invoice.balance:,.2f}: reject it and prepare "
                    "a new one."
                }
            )
        movement = post_movement(
            invoice,
            kind=ArKind.CREDIT,
            offsets=credit_offsets(invoice, memo.amount),
            transaction_date=memo.credit_date,
            memo=f"Credit memo {memo.number} on {invoice.number}: {memo.reason}",
            reference=memo.number,
            idempotency_key=f"receivables-credit-memo-{memo.pk}",
            actor=memo.prepared_by,
            approved_by=actor,
        )
        memo.status = ApprovalStatus.APPROVED
        memo.journal_entry_id = movement.journal_entry_id
        memo.decided_by = actor
        memo.decided_at = timezone.now()
        memo.save(update_fields=["status", "journal_entry", "decided_by", "decided_at"])
    return memo


def reject_credit_memo(memo: CreditMemo, *, note: str, actor: AbstractBaseUser) -> CreditMemo:
    """Reject a pending credit memo, saying why; nothing posts."""
    _check_decider(memo, actor)
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": "Say why the credit memo is rejected."})
    with transaction.atomic(durable=True):
        memo = CreditMemo.objects.select_for_update().get(pk=memo.pk)
        if memo.status == ApprovalStatus.REJECTED:
            return memo
        if memo.status != ApprovalStatus.PENDING:
            raise ValidationError(f"{memo.number} is approved and posted; it stands.")
        memo.status = ApprovalStatus.REJECTED
        memo.decided_by = actor
        memo.decided_at = timezone.now()
        memo.decision_note = note[:MAX_REASON_CHARS]
        memo.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return memo
