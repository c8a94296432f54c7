"""Mail batches and lockbox files: many payments by check posted at once, all or nothing,
through the payment targets' batch path (millbrae_finance.payment_targets: a type with
`supports_payment_batches` checks the whole batch, writes it with one COPY, oldest bill
first, once per batch key).

A batch posts in one durable transaction: the batch row is locked (a double-click or a
retry waits here, then finds it posted and returns it), its checks must agree with the
control total and count, every row is checked (each bad row named, nothing posted), the
target applies the payments under the batch's key, and one journal entry debits the
cash account with the total and credits each receivable the target returns (the posting
service adds the due-to/due-from lines between funds). The batch's key is unique in the
database, and so are the keys of its movements and its entry: a batch posts once.

Where the money is (see cashiering.models.batches): a mail batch's checks are in the
office, in cash in drawers until the deposit (item 8) moves them to the bank, as the
counter's receipts are; a lockbox file's money was deposited by the bank, so its entry
debits pooled cash in the bank.

"No checks" customers (flagged after returned checks): a mail row paying such an account
is refused beside the row, as the counter refuses the check (send the check back, ask
for another way to pay). A lockbox row is not: the bank has already deposited the money,
and refusing the file would leave every other payment in it unapplied; the row is posted
and the account keeps its flag.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cashiering.models import BatchKind, BatchStatus, PaymentBatch, PaymentBatchItem
from cashiering.services.receipts import CASH_IN_DRAWERS, NO_CHECKS_WARNING
from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import CENT, ZERO
from millbrae_finance.payment_targets import (
    BatchPayment,
    payment_target_type,
    supports_payment_batches,
)
from millbrae_finance.roles import Role, has_role

# What a batch pays: utility accounts, the registered type with the batch path. The
# registry is asked by key, so cashiering still knows no module behind it.
BATCH_TARGET = "utility-account"
# Lockbox and online payments are in the bank already: pooled cash.
CASH_IN_BANK = "101-0000-1010"
# Who keys checks received by mail (clerks take payments by mail, technicians too), and
# who imports the bank's files (a back-office task).
BATCH_KEYERS = frozenset(
    {Role.COUNTER_CLERK, Role.ACCOUNTING_TECHNICIAN, Role.SENIOR_ACCOUNTING_TECHNICIAN}
)
LOCKBOX_IMPORTERS = frozenset({Role.ACCOUNTING_TECHNICIAN, Role.SENIOR_ACCOUNTING_TECHNICIAN})
MAX_ROWS = 5_000
MAX_CHECK_NUMBER = 30
_PAYMENT_NUMBER = re.compile(r"^Payment (\d+): (.*)$", re.DOTALL)


@dataclass(frozen=True)
class BatchRow:
    """One check as keyed: the account, the amount, the check's number."""

    account_number: str
    amount: Decimal
    check_number: str = ""
    payer_name: str = ""
    paid_on: object = None  # a date (lockbox rows)
    file_line: int | None = None


def row_key(line: int) -> str:
    """The error key of a row of a batch (from 1), as the counter's "item-<n>"."""
    return f"row-{line}"


def _require(actor: AbstractBaseUser, roles: frozenset) -> None:
    if not has_role(actor, *roles):
        raise PermissionDenied("Your role may not do this with payment batches.")


def check_amount(amount: Decimal | None) -> str | None:
    """Why an amount cannot be a check's, or None."""
    if amount is None:
        return "Enter the amount."
    if amount <= 0:
        return "The amount must be more than zero."
    if amount != amount.quantize(CENT):
        return f"{amount} is not an amount to the cent."
    if amount >= Decimal("1000000000"):
        return "The amount is too large."
    return None


def _check_control(control_total: Decimal | None, control_count: int | None) -> None:
    errors = {}
    if control_total is not None and (problem := check_amount(control_total)):
        errors["control_total"] = problem
    if control_count is not None and control_count < 1:
        errors["control_count"] = "A batch holds at least one check."
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------- mail batches


def create_mail_batch(
    *,
    batch_date,
    control_total: Decimal,
    control_count: int,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> PaymentBatch:
    """Open a mail batch with the envelopes' control figures. The form's one-time key
    makes a double-clicked Create one batch."""
    _require(actor, BATCH_KEYERS)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 60:
        raise ValidationError("The form has no key: reload it.")
    if control_total is None or control_count is None:
        raise ValidationError("Enter the control total and the number of checks.")
    _check_control(control_total, control_count)
    if batch_date > timezone.localdate():
        raise ValidationError({"batch_date": "The checks cannot be received in the future."})
    try:
        with transaction.atomic(durable=True):
            batch, _ = PaymentBatch.objects.get_or_create(
                idempotency_key=key,
                defaults={
                    "kind": BatchKind.MAIL,
                    "batch_date": batch_date,
                    "control_total": control_total,
                    "control_count": control_count,
                    "created_by": actor,
                },
            )
    except IntegrityError:
        batch = PaymentBatch.objects.get(idempotency_key=key)
    return batch


def save_mail_batch(
    batch: PaymentBatch,
    *,
    rows: Sequence[BatchRow],
    control_total: Decimal | None = None,
    control_count: int | None = None,
    actor: AbstractBaseUser,
) -> PaymentBatch:
    """Keep the rows keyed so far (a draft, resumed later): they replace the batch's rows.
    Rows are checked for what can be kept (an amount to the cent, more than zero, an
    account number); which account and whether it takes checks is checked at posting."""
    _require(actor, BATCH_KEYERS)
    _check_control(control_total, control_count)
    errors = {}
    for line, row in enumerate(rows, start=1):
        problems = []
        if not row.account_number.strip():
            problems.append("Enter the account number.")
        if problem := check_amount(row.amount):
            problems.append(problem)
        if len(row.check_number.strip()) > MAX_CHECK_NUMBER:
            problems.append(f"The check number is longer than {MAX_CHECK_NUMBER} characters.")
        if problems:
            errors[row_key(line)] = problems
    if len(rows) > MAX_ROWS:
        errors["rows"] = f"A batch holds at most {MAX_ROWS:,} checks: start another."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if not batch.is_editable:
            raise ValidationError(
                f"Batch {batch.display_number} is {batch.get_status_display().lower()}: "
                "it cannot change."
            )
        batch.items.all().delete()
        PaymentBatchItem.objects.bulk_create(
            PaymentBatchItem(
                batch=batch,
                line=line,
                account_number=row.account_number.strip()[:60],
                amount=row.amount,
                check_number=row.check_number.strip()[:MAX_CHECK_NUMBER],
            )
            for line, row in enumerate(rows, start=1)
        )
        if control_total is not None:
            batch.control_total = control_total
        if control_count is not None:
            batch.control_count = control_count
        _recount(batch)
        batch.save()
    return batch


def _recount(batch: PaymentBatch) -> None:
    figures = batch.items.aggregate(total=Coalesce(Sum("amount"), ZERO), count=Count("id"))
    batch.checks_total, batch.checks_count = figures["total"], figures["count"]


def post_mail_batch(batch: PaymentBatch, *, actor: AbstractBaseUser) -> PaymentBatch:
    """Post a mail batch whose checks agree with its control total and count: every
    check applied through the batch path and one entry, cash in drawers debited, or
    nothing at all with each bad row named. Posted already: returned as it is."""
    _require(actor, BATCH_KEYERS)
    with transaction.atomic(durable=True):
        return _post(batch, actor=actor, kind=BatchKind.MAIL)


# ---------------------------------------------------------------- posting


def _post(batch: PaymentBatch, *, actor: AbstractBaseUser, kind: str) -> PaymentBatch:
    # Locked first: a repeat (a double-click, a retry, the job resumed) waits here for
    # the first to commit, then finds the batch posted.
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk, kind=kind)
    if batch.status in (BatchStatus.POSTED, BatchStatus.DEPOSITED):
        return batch
    if batch.status != BatchStatus.DRAFT:
        raise ValidationError(f"Batch {batch.display_number} was refused: it cannot post.")
    items = list(batch.items.order_by("line"))
    _recount(batch)
    if not items:
        raise ValidationError("The batch has no checks.")
    _agree_with_control(batch)
    if kind == BatchKind.MAIL:
        _refuse_bad_accounts(items)
    target = payment_target_type(BATCH_TARGET)
    if not supports_payment_batches(target):
        raise ValueError(f"{target.label} takes no payment batches.")
    number = batch.display_number
    payments = [
        BatchPayment(
            reference=item.account_number, amount=item.amount, receipt=f"{number}-{item.line}"
        )
        for item in items
    ]
    try:
        credits = target.apply_payments(
            payments, as_of=batch.batch_date, batch_key=f"PB{batch.idempotency_key}", actor=actor
        )
    except ValidationError as error:
        raise ValidationError(_by_row(error, items)) from None
    if sum((c.amount for c in credits), ZERO) != -batch.checks_total:
        raise ValueError(f"Batch {number} was credited other than it was paid.")
    cash_number = CASH_IN_BANK if kind == BatchKind.LOCKBOX else CASH_IN_DRAWERS
    cash = Account.objects.filter(number=cash_number).first()
    if cash is None:
        raise ValidationError(f"The chart of accounts has no {cash_number}.")
    what = "Lockbox payments" if kind == BatchKind.LOCKBOX else "Checks received by mail"
    batch.journal_entry = post_entry(
        entry_date=batch.batch_date,
        lines=[LineSpec(cash, batch.checks_total, f"{what}, batch {number}")]
        + [LineSpec(c.account, c.amount, c.memo) for c in credits],
        memo=f"{what}, batch {number} ({batch.checks_count} checks)",
        source_module="cashiering",
        source_document=number,
        idempotency_key=f"payment-batch:{batch.idempotency_key}",
        prepared_by=actor,
    )
    batch.status = BatchStatus.POSTED
    batch.cash_account = cash
    batch.posted_by = actor
    batch.posted_at = timezone.now()
    batch.errors = []
    batch.save()
    return batch


def _agree_with_control(batch: PaymentBatch) -> None:
    errors = {}
    if batch.control_total is not None and batch.checks_total != batch.control_total:
        errors["control_total"] = (
            f"The checks add up to {batch.checks_total:,.2f}, the control total is "
            f"{batch.control_total:,.2f}: a difference of {batch.difference:,.2f}. "
            "Find the check keyed wrong, or correct the control total."
        )
    if batch.control_count is not None and batch.checks_count != batch.control_count:
        errors["control_count"] = (
            f"{batch.checks_count} checks keyed, the control count is {batch.control_count}."
        )
    if errors:
        raise ValidationError(errors)


def _refuse_bad_accounts(items: Sequence[PaymentBatchItem]) -> None:
    """Each row's account looked up through the registry (a batch of mail is tens of
    checks): no such account, or a customer who may not pay by check."""
    target = payment_target_type(BATCH_TARGET)
    errors = {}
    for item in items:
        match = account_match(item.account_number)
        if match is None:
            errors[row_key(item.line)] = f"No {target.label.lower()} {item.account_number}."
        elif NO_CHECKS_WARNING in match.warnings:
            errors[row_key(item.line)] = (
                f"{match.customer} may not pay by check: return the check and ask for "
                "another way to pay."
            )
    if errors:
        raise ValidationError(errors)


def account_match(number: str):
    """The batch target with exactly this number (TargetMatch), or None."""
    number = (number or "").replace("\x00", "").strip()
    if not number:
        return None
    matches = payment_target_type(BATCH_TARGET).find(number, limit=5)
    return next((m for m in matches if m.reference == number), None)


def _by_row(error: ValidationError, items: Sequence[PaymentBatchItem]) -> dict:
    """The batch path names each bad payment by its number in the batch ("Payment 3:
    ..."): each goes to its row. Anything else stays about the batch."""
    errors: dict[str, list[str]] = {}
    for message in error.messages:
        found = _PAYMENT_NUMBER.match(message)
        if found and 1 <= int(found[1]) <= len(items):
            errors.setdefault(row_key(int(found[1])), []).append(found[2])
        else:
            errors.setdefault("__all__", []).append(message)
    return errors


def row_errors(error: ValidationError) -> dict[int, list[str]]:
    """The rows at fault in a refused batch, by line."""
    if not hasattr(error, "error_dict"):
        return {}
    return {
        int(key.removeprefix("row-")): [m for e in found for m in e.messages]
        for key, found in error.error_dict.items()
        if key.startswith("row-")
    }
