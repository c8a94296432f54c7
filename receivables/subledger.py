"""The misc AR and fines AR subledgers: how a movement of an invoice or a citation is
written, and posted to the general ledger in the same transaction.

Every movement is an ArTransaction row (signed: positive raises what is owed) and a
change to its document's running balance; all but payments also post a journal entry
here through the ledger's posting service: the AR control account of the subledger
against the revenue (or expense) accounts named. A payment's entry is the cashier's: the
payment-target registry hands back credit lines, and cashiering posts them with the cash.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, JournalLine
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import ZERO, allocate_oldest_first
from millbrae_finance.payment_targets import CreditLine
from receivables.models import ArKind, ArSubledger, ArTransaction, Citation, Invoice

Document = Invoice | Citation
# Kinds that raise what is owed; every other kind lowers it.
RAISING = frozenset({ArKind.CHARGE, ArKind.PENALTY})
SOURCE_MODULE = "receivables"


def subledger_of(document: Document) -> ArSubledger:
    return ArSubledger.MISC_AR if isinstance(document, Invoice) else ArSubledger.FINES_AR


def document_number(document: Document) -> str:
    return document.number


def control_accounts(subledger: ArSubledger) -> list[Account]:
    """The subledger's control accounts, in number order (one per fund, usually one)."""
    return list(Account.objects.postable().filter(control_subledger=subledger).order_by("number"))


def control_account_for(subledger: ArSubledger, fund_id: int) -> Account:
    """The control account in the fund of the revenue, or the subledger's first control
    account (the posting service then adds the due-to/due-from lines)."""
    accounts = control_accounts(subledger)
    if not accounts:
        raise ValidationError(
            f"No active {subledger.label} control account in the chart of accounts: the "
            "Administrator marks one (e.g. 101-0000-1120) as its control account."
        )
    for account in accounts:
        if account.fund_id == fund_id:
            return account
    return accounts[0]


def _customer_id(document: Document) -> int | None:
    return document.customer_id


def post_movement(
    document: Document,
    *,
    kind: ArKind,
    offsets: Sequence[tuple[Account, Decimal]],
    transaction_date: dt.date,
    memo: str,
    reference: str,
    idempotency_key: str,
    actor: AbstractBaseUser,
    approved_by: AbstractBaseUser | None = None,
) -> ArTransaction:
    """Write one subledger movement of `document` and post its entry: for a charge or a
    penalty, debit AR control and credit each offset account (revenue); for a credit,
    reduction, dismissal or write-off, the other way round. Amounts in `offsets` are
    positive. Runs in the caller's transaction, which must hold the document's row lock.
    A retry with the same key returns the first movement and posts nothing."""
    if kind == ArKind.PAYMENT:
        raise ValueError("Payments are applied through apply_payment, not posted here.")
    total = sum((amount for _, amount in offsets), ZERO)
    if total <= 0 or any(amount <= 0 for _, amount in offsets):
        raise ValidationError({"amount": "The amount must be more than zero."})
    sign = 1 if kind in RAISING else -1
    subledger = subledger_of(document)
    if sign < 0 and total > document.balance:
        raise ValidationError(
            {"amount": f"{total:,.2f} is more than the balance of {document.balance:,.2f}."}
        )
    by_control: dict[int, Decimal] = defaultdict(Decimal)
    controls: dict[int, Account] = {}
    lines = []
    for account, amount in offsets:
        control = control_account_for(subledger, account.fund_id)
        controls[control.pk] = control
        by_control[control.pk] += amount
        lines.append(LineSpec(account, -sign * amount, memo[:100]))
    lines = [
        LineSpec(controls[pk], sign * amount, document.number) for pk, amount in by_control.items()
    ] + lines
    entry = post_entry(
        entry_date=transaction_date,
        lines=lines,
        memo=memo[:250],
        source_module=SOURCE_MODULE,
        source_document=reference or document.number,
        idempotency_key=idempotency_key,
        prepared_by=actor,
        approved_by=approved_by,
    )
    existing = ArTransaction.objects.filter(journal_entry=entry).first()
    if existing is not None:
        return existing
    movement = ArTransaction.objects.create(
        subledger=subledger,
        kind=kind,
        invoice=document if isinstance(document, Invoice) else None,
        citation=document if isinstance(document, Citation) else None,
        customer_id=_customer_id(document),
        transaction_date=transaction_date,
        amount=sign * total,
        memo=memo[:250],
        reference=reference,
        journal_entry=entry,
        created_by=actor,
    )
    type(document).objects.filter(pk=document.pk).update(balance=F("balance") + sign * total)
    document.refresh_from_db(fields=["balance"])
    return movement


def apply_payment(
    documents: Sequence[Document],
    *,
    amount: Decimal,
    payment_date: dt.date,
    receipt: str,
    actor: AbstractBaseUser,
) -> list[CreditLine]:
    """Apply a payment to open documents, oldest first (the caller passes them locked,
    oldest first), writing a payment movement for each one paid and returning the credit
    lines (one per control account) for the cashier's entry. More than is owed is refused:
    the clerk gives change or takes less."""
    owed = sum((document.balance for document in documents), ZERO)
    if amount <= 0:
        raise ValidationError({"amount": "The payment must be more than zero."})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": f"{amount} is not an amount to the cent."})
    if amount > owed:
        raise ValidationError({"amount": f"{amount:,.2f} is more than the {owed:,.2f} owed."})
    shares, _ = allocate_oldest_first(amount, [document.balance for document in documents])
    credits: dict[int, Decimal] = defaultdict(Decimal)
    controls: dict[int, Account] = {}
    for document, share in zip(documents, shares, strict=True):
        if share <= 0:
            continue
        subledger = subledger_of(document)
        # A payment credits the control account the charge debited.
        account = _charged_control(document) or control_account_for(subledger, 0)
        controls[account.pk] = account
        credits[account.pk] -= share
        ArTransaction.objects.create(
            subledger=subledger,
            kind=ArKind.PAYMENT,
            invoice=document if isinstance(document, Invoice) else None,
            citation=document if isinstance(document, Citation) else None,
            customer_id=_customer_id(document),
            transaction_date=payment_date,
            amount=-share,
            memo=f"Payment, receipt {receipt}"[:250],
            reference=receipt[:40],
            created_by=actor,
        )
        type(document).objects.filter(pk=document.pk).update(balance=F("balance") - share)
    return [
        CreditLine(account=controls[pk], amount=total, memo=f"Receipt {receipt}"[:100])
        for pk, total in credits.items()
    ]


def _charged_control(document: Document) -> Account | None:
    """The control account the document's charge was debited to (one query)."""
    if document.journal_entry_id is None:
        return None
    line = (
        JournalLine.objects.filter(
            entry_id=document.journal_entry_id,
            account__control_subledger=subledger_of(document),
            amount__gt=0,
        )
        .select_related("account")
        .first()
    )
    return line.account if line else None


@dataclass(frozen=True)
class OpenPart:
    """A charge of a document and what is left of it. `account` is where it was
    credited: a penalty's rule account, or None for the document's own charge (an
    invoice's lines or a citation's fine: the caller knows those accounts)."""

    label: str
    account: Account | None
    charged: Decimal
    remaining: Decimal


def open_parts(document: Document) -> list[OpenPart]:
    """The document's charge and each penalty charged, with what is left of each: a
    reduction comes off the charge; payments, credits, dismissals and write-offs come
    off the oldest charge first (the charge, then the penalties in the order charged),
    as the City applies a payment. The remainders add up to the balance."""
    movements = document.transactions.select_related("rule__revenue_account").order_by(
        "transaction_date", "id"
    )
    parts: list[list] = []  # [label, account, charged, remaining]
    charge = None
    taken_off = ZERO
    for movement in movements:
        if movement.kind == ArKind.CHARGE:
            charge = ["", None, movement.amount, movement.amount]
            parts.insert(0, charge)
        elif movement.kind == ArKind.PENALTY:
            account = movement.rule.revenue_account if movement.rule_id else None
            label = movement.rule.name if movement.rule_id else "Penalty"
            parts.append([label, account, movement.amount, movement.amount])
        elif movement.kind == ArKind.REDUCTION and charge is not None:
            charge[3] += movement.amount  # negative
        else:
            taken_off -= movement.amount
    shares, _ = allocate_oldest_first(taken_off, [max(part[3], ZERO) for part in parts])
    return [
        OpenPart(label=label, account=account, charged=charged, remaining=remaining - share)
        for (label, account, charged, remaining), share in zip(parts, shares, strict=True)
    ]


def subledger_total(subledger: ArSubledger, as_of: dt.date) -> Decimal:
    """What the subledger says is owed at the end of a day: the sum of its movements."""
    return ArTransaction.objects.filter(subledger=subledger, transaction_date__lte=as_of).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]


def balance_as_of(document: Document, as_of: dt.date) -> Decimal:
    """A document's balance at the end of a day, from its movements."""
    return document.transactions.filter(transaction_date__lte=as_of).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]


def move_documents(*, duplicate, survivor, actor: AbstractBaseUser) -> int:
    """On a customer merge: the duplicate's invoices, citations and their movements go to
    the survivor (the merge registry calls this inside the merge's transaction)."""
    moved = Invoice.objects.filter(customer=duplicate).update(customer=survivor)
    moved += Citation.objects.filter(customer=duplicate).update(customer=survivor)
    ArTransaction.objects.filter(customer=duplicate).update(customer=survivor)
    return moved
