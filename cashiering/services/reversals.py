"""Undoing a receipt after its session is closed: a supervisor's reversal, and a returned
(NSF) check.

Neither edits what is closed: the receipt keeps its number and its entry, the session its
count. Each writes a row of its own (ReceiptReversal, ReturnedCheck: one a receipt, one a
check, unique in the database) and posts a new entry dated the day it is recorded, which
the ledger refuses in a closed period. Lock order is the receipt's: drawer, session,
receipt, then whatever the targets lock, so a reversal never deadlocks with a post.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cashiering.models import (
    CashieringPolicy,
    CashSession,
    Drawer,
    Receipt,
    ReceiptItem,
    ReceiptReversal,
    ReceiptTender,
    ReturnedCheck,
    ReturnedCheckShare,
    SessionStatus,
    TenderKind,
)
from ledger.models import Account, JournalLine
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import CENT
from millbrae_finance.payment_targets import (
    can_charge_returned_check,
    can_reverse,
    payment_target_type,
)
from millbrae_finance.roles import Role, has_role

# Only the supervisor reverses a receipt once its drawer is closed.
REVERSERS = frozenset({Role.FINANCE_SUPERVISOR})
# A returned check: the supervisor or a lead (senior technician) records it.
CHECK_RETURNERS = frozenset({Role.FINANCE_SUPERVISOR, Role.SENIOR_ACCOUNTING_TECHNICIAN})
# Where a returned check comes out of: the bank account deposits go to, pooled cash (the
# demo chart's 101-0000-1010). By the time the bank returns a check it was deposited and
# the bank has debited the city's account with it; crediting pooled cash here is what
# the bank reconciliation then finds on the statement, to the cent. (Cash in drawers,
# 1020, no longer holds the check; a clearing account would only defer the same line.)
RETURNED_CHECKS_ACCOUNT = "101-0000-1010"


def _clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()


def _lock_receipt(receipt: Receipt) -> tuple[CashSession, Receipt]:
    # Drawer, session, receipt: the order a receipt is posted and voided in.
    Drawer.objects.select_for_update().get(pk=receipt.drawer_id)
    session = CashSession.objects.select_for_update().get(pk=receipt.session_id)
    receipt = (
        Receipt.objects.select_for_update(of=("self",))
        .select_related("drawer", "journal_entry")
        .get(pk=receipt.pk)
    )
    return session, receipt


def current_policy() -> CashieringPolicy:
    """The policy row (made by migration 0003); its defaults if someone removed it."""
    return CashieringPolicy.objects.first() or CashieringPolicy(nsf_fee_code="RETURNED-CHECK")


def reverse_receipt(receipt: Receipt, *, reason: str, actor: AbstractBaseUser) -> ReceiptReversal:
    """Reverse a receipt of a closed session (a supervisor only): every item undone
    through its target and one entry dated today reversing the receipt's entry. Once: a
    retry or a second supervisor gets the first reversal."""
    if not has_role(actor, *REVERSERS):
        raise PermissionDenied("Only the supervisor reverses a receipt after the close.")
    reason = _clean(reason)
    if not reason:
        raise ValidationError({"reason": "Say why the receipt is reversed."})
    try:
        with transaction.atomic(durable=True):
            return _reverse(receipt, reason[:200], actor)
    except IntegrityError:
        # A reversal of this receipt committed between the check and the insert.
        first = ReceiptReversal.objects.filter(receipt_id=receipt.pk).first()
        if first is None:
            raise
        return first


def _reverse(receipt: Receipt, reason: str, actor: AbstractBaseUser) -> ReceiptReversal:
    session, receipt = _lock_receipt(receipt)
    if (first := ReceiptReversal.objects.filter(receipt=receipt).first()) is not None:
        return first
    number = receipt.display_number
    if receipt.is_void:
        raise ValidationError({"reason": f"Receipt {number} is void: nothing to reverse."})
    if session.status == SessionStatus.OPEN:
        raise ValidationError(
            {
                "reason": f"Receipt {number}'s session is still open: the clerk voids it, "
                "with a lead's approval."
            }
        )
    if ReturnedCheck.objects.filter(receipt=receipt).exists():
        raise ValidationError(
            {"reason": f"A check on receipt {number} was returned: its payments are undone."}
        )
    items = list(receipt.items.order_by("line"))
    for item in items:
        if not can_reverse(payment_target_type(item.target_kind)):
            raise ValidationError(
                {"reason": f"Item {item.line} ({item.description}) cannot be reversed here."}
            )
    today = timezone.localdate()
    # Every line of the receipt's entry the other way, the cash side included: the money
    # goes back to the customer from the cash the receipt brought in (cash in drawers,
    # where it stays until a deposit moves it). The closed session's count is its own
    # row and is not touched: the drawer held what it held at the close.
    lines = [
        LineSpec(line.account, -line.amount, f"Reversal: {line.memo}"[:100])
        for line in JournalLine.objects.filter(entry=receipt.journal_entry)
        .select_related("account")
        .order_by("id")
    ]
    try:
        entry = post_entry(
            entry_date=today,
            lines=lines,
            memo=f"Reversal of receipt {number}: {reason}"[:200],
            source_module="cashiering",
            source_document=number,
            idempotency_key=f"reversal:{receipt.idempotency_key}",
            prepared_by=actor,
            reverses=receipt.journal_entry,
        )
    except ValidationError as error:  # a closed period, say
        raise ValidationError({"reason": error.messages}) from None
    for item in items:
        try:
            payment_target_type(item.target_kind).reverse_payment(
                item.target_reference,
                payment_key=f"{receipt.idempotency_key}:{item.line}",
                as_of=today,
                receipt=number,
                actor=actor,
                journal_entry=entry,
            )
        except ValidationError as error:
            raise ValidationError({"reason": error.messages}) from None
    return ReceiptReversal.objects.create(
        receipt=receipt,
        reversed_at=timezone.now(),
        reversed_by=actor,
        reason=reason,
        journal_entry=entry,
    )


def check_shares(
    items: Sequence[ReceiptItem], amount: Decimal
) -> list[tuple[ReceiptItem, Decimal]]:
    """Which items a returned check's amount comes back from: the items in the order they
    were rung up (line 1 first), each giving back all it was paid until the amount is
    used up; the last may give back part. (The office's rule: the check is taken to
    have paid the receipt from the top, the other tenders what it left. It is simple to
    explain to a customer and to re-run by hand.)"""
    shares, left = [], amount
    for item in items:
        if left <= 0:
            break
        share = min(item.amount, left)
        shares.append((item, share))
        left -= share
    return shares


def record_returned_check(
    tender: ReceiptTender,
    *,
    amount: Decimal,
    bank_reason: str,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> ReturnedCheck:
    """Record a check the bank returned (the supervisor or a lead): the payments it made
    undone, oldest item first (`check_shares`), the money taken back out of pooled cash,
    the returned-check fee charged to the payer and their checks refused for the days the
    policy says. Once: the same form again returns the first record."""
    if not has_role(actor, *CHECK_RETURNERS):
        raise PermissionDenied("The supervisor or a lead records a returned check.")
    key = _clean(idempotency_key)
    if not key or len(key) > 100:
        raise ValidationError({"idempotency_key": "The form has no posting key: reload it."})
    if (first := ReturnedCheck.objects.filter(idempotency_key=key).first()) is not None:
        return first
    bank_reason = _clean(bank_reason)
    errors = {}
    if amount is None or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = "An amount to the cent, more than zero."
    if not bank_reason:
        errors["bank_reason"] = "Say why the bank returned it (NSF, account closed...)."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic(durable=True):
            return _return_check(tender, amount, bank_reason[:200], key, actor)
    except IntegrityError:
        # The same form committed first (a double-click on another worker).
        first = ReturnedCheck.objects.filter(idempotency_key=key).first()
        if first is None:
            raise
        return first


def _return_check(
    tender: ReceiptTender, amount: Decimal, bank_reason: str, key: str, actor: AbstractBaseUser
) -> ReturnedCheck:
    session, receipt = _lock_receipt(tender.receipt)
    if (first := ReturnedCheck.objects.filter(idempotency_key=key).first()) is not None:
        return first
    tender = ReceiptTender.objects.select_for_update().get(pk=tender.pk)
    number = receipt.display_number
    if tender.kind != TenderKind.CHECK:
        raise ValidationError({"tender": f"Receipt {number} was not paid by that check."})
    earlier = ReturnedCheck.objects.filter(tender=tender).first()
    if earlier is not None:
        raise ValidationError(
            {
                "tender": f"Check {tender.check_number} was already returned "
                f"on {earlier.returned_on:%m/%d/%Y}."
            }
        )
    if receipt.is_void or receipt.is_reversed:
        raise ValidationError(
            {"tender": f"Receipt {number} is {'void' if receipt.is_void else 'reversed'}."}
        )
    if session.status == SessionStatus.OPEN:
        raise ValidationError(
            {"tender": "The check is still in the clerk's drawer: void the receipt instead."}
        )
    if amount > tender.amount:
        raise ValidationError(
            {"amount": f"Check {tender.check_number} was for {tender.amount:,.2f}: no more."}
        )
    bank = Account.objects.filter(number=RETURNED_CHECKS_ACCOUNT).first()
    if bank is None:
        raise ValidationError(
            {"tender": f"The chart of accounts has no {RETURNED_CHECKS_ACCOUNT} (pooled cash)."}
        )
    today = timezone.localdate()
    posted_on = timezone.localdate(receipt.posted_at)
    policy = current_policy()
    shares = check_shares(list(receipt.items.order_by("line")), amount)
    lines = [LineSpec(bank, -amount, f"Returned check {tender.check_number}, receipt {number}")]
    for item, share in shares:
        target = payment_target_type(item.target_kind)
        if not can_reverse(target):
            raise ValidationError(
                {"tender": f"Item {item.line} ({item.description}) cannot be undone here."}
            )
        payment_key = f"{receipt.idempotency_key}:{item.line}"
        try:
            # The item's payment again under its own key: the target writes nothing and
            # answers with the credit lines it made, which come back up here.
            credits = target.apply_payment(
                item.target_reference,
                amount=item.amount,
                as_of=posted_on,
                receipt=number,
                actor=actor,
                payment_key=payment_key,
            )
            lines += [
                LineSpec(c.account, -c.amount, f"Returned check: {c.memo}"[:100]) for c in credits
            ]
            target.reverse_payment(
                item.target_reference,
                payment_key=payment_key,
                as_of=today,
                receipt=number,
                actor=actor,
                journal_entry=None,
            )
            if share < item.amount:
                # Part of the item was paid by the other tenders: that part is paid again
                # under a key of its own, so the item gives back only the check's share.
                kept = target.apply_payment(
                    item.target_reference,
                    amount=item.amount - share,
                    as_of=today,
                    receipt=number,
                    actor=actor,
                    payment_key=f"{payment_key}:kept-{tender.pk}",
                )
                lines += [LineSpec(c.account, c.amount, c.memo) for c in kept]
        except ValidationError as error:
            raise ValidationError({"tender": error.messages}) from None
    try:
        entry = post_entry(
            entry_date=today,
            lines=lines,
            memo=f"Returned check {tender.check_number}, receipt {number}: {bank_reason}"[:200],
            source_module="cashiering",
            source_document=number,
            idempotency_key=f"returned-check:{tender.pk}",
            prepared_by=actor,
        )
    except ValidationError as error:
        raise ValidationError({"tender": error.messages}) from None
    fee_charged, until = _charge_the_payer(shares, policy, today, number, tender, actor)
    returned = ReturnedCheck.objects.create(
        tender=tender,
        receipt=receipt,
        idempotency_key=key,
        amount=amount,
        bank_reason=bank_reason,
        returned_on=today,
        recorded_at=timezone.now(),
        recorded_by=actor,
        journal_entry=entry,
        fee_charged=fee_charged[:250],
        no_checks_until=until,
    )
    ReturnedCheckShare.objects.bulk_create(
        ReturnedCheckShare(returned_check=returned, item=item, amount=share)
        for item, share in shares
    )
    return returned


def _charge_the_payer(
    shares: Sequence[tuple[ReceiptItem, Decimal]],
    policy: CashieringPolicy,
    today: dt.date,
    number: str,
    tender: ReceiptTender,
    actor: AbstractBaseUser,
) -> tuple[str, dt.date | None]:
    """The fee to the payer of the first item given back whose target has one (a fee
    paid at the counter has no payer); their checks refused through the policy's days."""
    until = today + dt.timedelta(days=policy.no_checks_days)
    for item, _share in shares:
        target = payment_target_type(item.target_kind)
        if can_charge_returned_check(target):
            try:
                charged = target.charge_returned_check(
                    item.target_reference,
                    fee_code=policy.nsf_fee_code,
                    as_of=today,
                    receipt=number,
                    check_number=tender.check_number,
                    no_checks_until=until,
                    actor=actor,
                    key=f"returned-check-fee:{tender.pk}",
                )
            except ValidationError as error:
                raise ValidationError({"tender": error.messages}) from None
            return charged, until
    return "", None
