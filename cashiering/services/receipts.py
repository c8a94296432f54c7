"""Posting a receipt: the one all-or-nothing step of the counter.

In one durable transaction: lock the drawer (its receipts are numbered without gaps, and
every post on a drawer waits its turn here), claim the receipt's idempotency key by
writing the receipt row (unique in the database), apply each item through its payment
target (each target writes its subledger movements once per key), then post one journal
entry: cash in drawers debited with the total, each item's receivable or revenue credited
with the lines its target returned. A repeat of the key (a double-click, a browser retry,
twenty requests at once) returns the first receipt and writes nothing.

Lock order: drawer, session, then whatever the targets lock (an account, documents), so
two clerks paying the same account at the same moment wait for each other and never
deadlock: each holds only their own drawer when they reach the account.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cashiering.accounts import CASH_IN_DRAWERS
from cashiering.models import (
    CashSession,
    Drawer,
    Receipt,
    ReceiptItem,
    ReceiptTender,
    SessionStatus,
    TenderKind,
)
from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import CENT, ZERO
from millbrae_finance.payment_targets import payment_target_type

# What a target's match says of a customer who may not pay by check (see the targets).
NO_CHECKS_WARNING = "Do not accept checks"
NON_CASH = (TenderKind.CHECK, TenderKind.CARD, TenderKind.MONEY_ORDER)


@dataclass(frozen=True)
class ItemSpec:
    """One thing paid: a registered target and what of the receipt goes to it."""

    kind: str
    reference: str
    amount: Decimal
    description: str = ""
    customer: str = ""


@dataclass(frozen=True)
class TenderSpec:
    kind: str
    amount: Decimal
    check_number: str = ""
    card_last_four: str = ""
    authorization_code: str = ""


@dataclass(frozen=True)
class TenderCheck:
    """The tenders weighed against a total: what is short, and the change due."""

    total: Decimal
    tendered: Decimal
    change_due: Decimal
    short: Decimal


def _is_cent(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT)


def check_items(items: Sequence[ItemSpec]) -> Decimal:
    """The receipt's total; a clear error on the row at fault."""
    if not items:
        raise ValidationError({"items": "Add something to pay."})
    errors = {}
    for line, item in enumerate(items, start=1):
        if item.amount is None or item.amount <= 0 or not _is_cent(item.amount):
            errors[f"item-{line}"] = "An amount to the cent, more than zero."
    if errors:
        raise ValidationError(errors)
    return sum((item.amount for item in items), ZERO)


def check_tenders(tenders: Sequence[TenderSpec], total: Decimal) -> TenderCheck:
    """Tenders must cover the total; only cash may exceed it (the change is given back
    from cash), so a check, card or money order is never for more than is owed."""
    errors = {}
    for row, tender in enumerate(tenders, start=1):
        key = f"tender-{row}"
        if tender.kind not in TenderKind.values:
            errors[key] = "Choose cash, check, card or money order."
        elif tender.amount is None or tender.amount <= 0 or not _is_cent(tender.amount):
            errors[key] = "An amount to the cent, more than zero."
        elif tender.kind == TenderKind.CHECK and not tender.check_number.strip():
            errors[key] = "Enter the check number."
        elif tender.kind == TenderKind.CARD and not (
            len(tender.card_last_four) == 4
            and tender.card_last_four.isascii()
            and tender.card_last_four.isdigit()
        ):
            errors[key] = "Enter the card's last four digits only, never the whole number."
        elif tender.kind == TenderKind.CARD and not tender.authorization_code.strip():
            errors[key] = "Enter the card's authorization code."
    if errors:
        raise ValidationError(errors)
    if not tenders:
        raise ValidationError({"tenders": "Enter how the customer pays."})
    tendered = sum((t.amount for t in tenders), ZERO)
    non_cash = sum((t.amount for t in tenders if t.kind in NON_CASH), ZERO)
    if non_cash > total:
        raise ValidationError(
            {
                "tenders": f"Checks, cards and money orders come to {non_cash:,.2f}, more than "
                f"the total {total:,.2f}: only cash is given change."
            }
        )
    short = max(total - tendered, ZERO)
    change = max(tendered - total, ZERO)
    cash = [t for t in tenders if t.kind == TenderKind.CASH]
    if change and cash and change >= cash[-1].amount:
        raise ValidationError(
            {"tenders": "The cash is more than is needed: none of it goes to the receipt."}
        )
    return TenderCheck(total=total, tendered=tendered, change_due=change, short=short)


def _refuse_checks_where_flagged(items: Sequence[ItemSpec], tenders: Sequence[TenderSpec]) -> None:
    """The customer's "no checks" flag (after returned checks), read through the targets'
    warnings: the refusal goes beside the check tender."""
    row = next(i for i, t in enumerate(tenders, start=1) if t.kind == TenderKind.CHECK)
    for line, item in enumerate(items, start=1):
        matches = payment_target_type(item.kind).find(item.reference, limit=5)
        for match in matches:
            if match.reference == item.reference and NO_CHECKS_WARNING in match.warnings:
                raise ValidationError(
                    {
                        f"tender-{row}": f"{match.customer} may not pay by check (item {line}): "
                        "take cash, a card or a money order."
                    }
                )


def post_receipt(
    session: CashSession,
    *,
    items: Sequence[ItemSpec],
    tenders: Sequence[TenderSpec],
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> Receipt:
    """Take a payment: one receipt, its items applied through their targets, one entry.
    Posting the same key again returns the first receipt and writes nothing."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 60:
        raise ValidationError({"idempotency_key": "The form has no posting key: reload it."})
    if (first := _receipt_with_key(key)) is not None:
        return first
    total = check_items(items)
    check = check_tenders(tenders, total)
    if check.short:
        raise ValidationError(
            {"tenders": f"The tenders are {check.short:,.2f} short of the total {total:,.2f}."}
        )
    try:
        with transaction.atomic(durable=True):
            return _post(session, items, tenders, check, key, actor)
    except IntegrityError:
        # The key claimed by a request on another drawer that committed while this one
        # waited on the unique index: answer with its receipt (this one wrote nothing).
        if (first := _receipt_with_key(key)) is not None:
            return first
        raise


def _receipt_with_key(key: str) -> Receipt | None:
    return Receipt.objects.select_related("drawer").filter(idempotency_key=key).first()


def _post(
    session: CashSession,
    items: Sequence[ItemSpec],
    tenders: Sequence[TenderSpec],
    check: TenderCheck,
    key: str,
    actor: AbstractBaseUser,
) -> Receipt:
    # The drawer first: posts on a drawer take turns here, so a repeat of the key waits
    # for the first to commit and then finds its receipt.
    drawer = Drawer.objects.select_for_update().get(pk=session.drawer_id)
    if (first := _receipt_with_key(key)) is not None:
        return first
    session = CashSession.objects.select_for_update().get(pk=session.pk)
    if session.clerk_id != actor.pk:
        raise PermissionDenied("A clerk takes payments only in their own session.")
    if session.status != SessionStatus.OPEN:
        raise ValidationError({"session": "The session is closed: open one to take payments."})
    if any(t.kind == TenderKind.CHECK for t in tenders):
        _refuse_checks_where_flagged(items, tenders)
    cash_account = Account.objects.filter(number=CASH_IN_DRAWERS).first()
    if cash_account is None:
        raise ValidationError(
            {"session": f"The chart of accounts has no {CASH_IN_DRAWERS} (cash in drawers)."}
        )
    now = timezone.now()
    today = timezone.localdate(now)
    customers = [i.customer for i in items if i.customer]
    # The key is claimed here: the unique index refuses a second receipt with it.
    receipt = Receipt.objects.create(
        session=session,
        drawer=drawer,
        number=drawer.last_receipt_number + 1,
        idempotency_key=key,
        posted_at=now,
        total=check.total,
        customer_name=(customers[0] if customers else "")[:200],
        created_by=actor,
    )
    Drawer.objects.filter(pk=drawer.pk).update(last_receipt_number=F("last_receipt_number") + 1)
    receipt.drawer = drawer
    number = receipt.display_number
    lines = [LineSpec(cash_account, check.total, f"Receipt {number}")]
    item_rows = []
    for line, item in enumerate(items, start=1):
        try:
            target = payment_target_type(item.kind)
            credits = target.apply_payment(
                item.reference,
                amount=item.amount,
                as_of=today,
                receipt=number,
                actor=actor,
                payment_key=f"{key}:{line}",
            )
        except (ValidationError, LookupError) as error:
            texts = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise ValidationError({f"item-{line}": texts}) from None
        if sum((c.amount for c in credits), ZERO) != -item.amount:
            raise ValueError(f"{item.kind} {item.reference} credited other than it was paid.")
        lines += [LineSpec(c.account, c.amount, c.memo) for c in credits]
        item_rows.append(
            ReceiptItem(
                receipt=receipt,
                line=line,
                target_kind=item.kind,
                target_reference=item.reference[:60],
                description=(item.description or f"{target.label} {item.reference}")[:250],
                customer=item.customer[:200],
                amount=item.amount,
                account=credits[0].account if credits else None,
            )
        )
    ReceiptItem.objects.bulk_create(item_rows)
    ReceiptTender.objects.bulk_create(_tender_rows(receipt, tenders, check.change_due))
    receipt.journal_entry = post_entry(
        entry_date=today,
        lines=lines,
        memo=f"Receipt {number}",
        source_module="cashiering",
        source_document=number,
        idempotency_key=f"receipt:{key}",
        prepared_by=actor,
    )
    receipt.save(update_fields=["journal_entry"])
    return receipt


def _tender_rows(
    receipt: Receipt, tenders: Sequence[TenderSpec], change_due: Decimal
) -> list[ReceiptTender]:
    rows = []
    last_cash = max((i for i, t in enumerate(tenders) if t.kind == TenderKind.CASH), default=None)
    for index, tender in enumerate(tenders):
        rows.append(
            ReceiptTender(
                receipt=receipt,
                kind=tender.kind,
                amount=tender.amount,
                # The change comes out of the cash handed over last.
                change_given=change_due if index == last_cash else ZERO,
                check_number=tender.check_number.strip()[:20],
                card_last_four=tender.card_last_four if tender.kind == TenderKind.CARD else "",
                authorization_code=tender.authorization_code.strip()[:12],
            )
        )
    return rows


def record_receipt_print(receipt: Receipt) -> int:
    """Count a print of the receipt and return which print this is: the first is the
    original, every later one a copy. One UPDATE, so two prints at once are never both
    the original."""
    with transaction.atomic(durable=True):
        Receipt.objects.filter(pk=receipt.pk).update(prints=F("prints") + 1)
        return Receipt.objects.values_list("prints", flat=True).get(pk=receipt.pk)
