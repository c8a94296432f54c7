"""The misc AR and fines AR subledgers: how a movement of an invoice or a citation is
written, and posted to the general ledger in the same transaction.

Every movement is an ArTransaction row (signed: positive raises what is owed) and a
change to its document's running balance; all but payments also post a journal entry
here through the ledger's posting service: the AR control account of the subledger
against the revenue (or expense) accounts named. A payment's entry is the cashier's: the
payment-target registry hands back credit lines, and cashiering posts them with the cash.

Every movement names its cause, unique in the database: a posting's idempotency key, or
a payment's key and the document it paid. So a retried posting or payment, however many
requests race to make it, moves the subledger once.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

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
    The key is the movement's cause: a retry with the same key returns the first movement
    and posts nothing."""
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
    existing = ArTransaction.objects.filter(cause=idempotency_key).first()
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
        cause=idempotency_key,
        journal_entry=entry,
        created_by=actor,
    )
    type(document).objects.filter(pk=document.pk).update(balance=F("balance") + sign * total)
    document.refresh_from_db(fields=["balance"])
    return movement


# What follows "<key>:" in a payment's cause: the document it paid.
PAYMENT_CAUSE_DOCUMENT = re.compile(r"(?:invoice|citation)-[0-9]+")
# A journal entry's key is at most 100 characters; a payment's cause adds the document.
MAX_PAYMENT_KEY = 100


def payment_cause(payment_key: str, document: Document) -> str:
    """The cause of a payment's movement on one document: unique per key and document,
    so a payment spread over several documents names each once."""
    kind = "invoice" if isinstance(document, Invoice) else "citation"
    return f"{payment_key}:{kind}-{document.pk}"


def applied_payment(payment_key: str) -> list[ArTransaction]:
    """The movements the payment with this key made, in the order it made them; empty if
    no payment with this key was applied (or none has committed yet)."""
    if not payment_key or len(payment_key) > MAX_PAYMENT_KEY:
        raise ValueError(f"A payment needs a key of 1 to {MAX_PAYMENT_KEY} characters.")
    prefix = f"{payment_key}:"
    movements = (
        ArTransaction.objects.filter(kind=ArKind.PAYMENT, cause__startswith=prefix)
        .select_related("invoice", "citation")
        .order_by("id")
    )
    # A longer key may begin with this one and a colon: only "<key>:<document>" is ours.
    return [m for m in movements if PAYMENT_CAUSE_DOCUMENT.fullmatch(m.cause[len(prefix) :])]


def repeated_payment(
    payment_key: str,
    *,
    amount: Decimal,
    receipt: str,
    same_target: Callable[[ArTransaction], bool],
) -> list[CreditLine] | None:
    """If the payment with this key was applied, the credit lines it returned (a repeat
    writes nothing); None if it was not. The same key for another amount, or movements
    on documents the target does not cover, is a different payment and is refused."""
    movements = applied_payment(payment_key)
    if not movements:
        return None
    applied = -sum((m.amount for m in movements), ZERO)
    if applied != amount or not all(same_target(m) for m in movements):
        numbers = ", ".join(m.document_number for m in movements)
        raise ValidationError(
            f"Payment {payment_key} was already applied: {applied:,.2f} to {numbers}. "
            "It was not applied again."
        )
    return _credit_lines([(m.invoice or m.citation, -m.amount) for m in movements], receipt)


def apply_payment(
    documents: Sequence[Document],
    *,
    amount: Decimal,
    payment_date: dt.date,
    receipt: str,
    actor: AbstractBaseUser,
    payment_key: str,
    same_target: Callable[[ArTransaction], bool] | None = None,
) -> list[CreditLine]:
    """Apply a payment to open documents, oldest first (the caller passes them locked,
    oldest first), writing a payment movement for each one paid and returning the credit
    lines (one per control account) for the cashier's entry. More than is owed is refused:
    the clerk gives change or takes less.

    `payment_key` is the payment's idempotency key, the one the caller posts the cash
    with: applied again, the payment returns the same credit lines and writes nothing.
    `same_target` says which earlier movements a repeat may find (by default, movements
    on these documents)."""
    ids = {(type(document), document.pk) for document in documents}

    def on_these_documents(movement: ArTransaction) -> bool:
        document = movement.invoice or movement.citation
        return (type(document), document.pk) in ids

    def repeat() -> list[CreditLine] | None:
        covers = same_target or on_these_documents
        return repeated_payment(payment_key, amount=amount, receipt=receipt, same_target=covers)

    if (first := repeat()) is not None:
        return first
    owed = sum((document.balance for document in documents), ZERO)
    if amount <= 0:
        raise ValidationError({"amount": "The payment must be more than zero."})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": f"{amount} is not an amount to the cent."})
    if amount > owed:
        raise ValidationError({"amount": f"{amount:,.2f} is more than the {owed:,.2f} owed."})
    shares, _ = allocate_oldest_first(amount, [document.balance for document in documents])
    paid = [(doc, share) for doc, share in zip(documents, shares, strict=True) if share > 0]
    try:
        # A savepoint: a request that applied the same key and committed first (one that
        # did not wait on these documents' locks) makes an insert here wait on the unique
        # cause, then fail; this one then rolls back to here and answers with the first.
        with transaction.atomic():
            for document, share in paid:
                # The movement before the balance: a racing repeat waits on the cause.
                ArTransaction.objects.create(
                    subledger=subledger_of(document),
                    kind=ArKind.PAYMENT,
                    invoice=document if isinstance(document, Invoice) else None,
                    citation=document if isinstance(document, Citation) else None,
                    customer_id=_customer_id(document),
                    transaction_date=payment_date,
                    amount=-share,
                    memo=f"Payment, receipt {receipt}"[:250],
                    reference=receipt[:40],
                    cause=payment_cause(payment_key, document),
                    created_by=actor,
                )
                type(document).objects.filter(pk=document.pk).update(balance=F("balance") - share)
    except IntegrityError:
        if (first := repeat()) is None:
            raise
        return first
    return _credit_lines(paid, receipt)


def _credit_lines(paid: Sequence[tuple[Document, Decimal]], receipt: str) -> list[CreditLine]:
    """One credit line per control account: a payment credits the control account each
    document's charge debited. A repeat builds the same lines from the same movements."""
    credits: dict[int, Decimal] = defaultdict(Decimal)
    controls: dict[int, Account] = {}
    for document, share in paid:
        account = _charged_control(document) or control_account_for(subledger_of(document), 0)
        controls[account.pk] = account
        credits[account.pk] -= share
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


def move_documents(*, duplicate, survivor, actor: AbstractBaseUser) -> int:
    """On a customer merge: the duplicate's invoices, citations and their movements go to
    the survivor (the merge registry calls this inside the merge's transaction)."""
    moved = Invoice.objects.filter(customer=duplicate).update(customer=survivor)
    moved += Citation.objects.filter(customer=duplicate).update(customer=survivor)
    ArTransaction.objects.filter(customer=duplicate).update(customer=survivor)
    return moved
