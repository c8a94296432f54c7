"""The misc AR and fines AR subledgers: how a movement of an invoice or a citation is
written, and posted to the general ledger in the same transaction.

Every movement is an ArTransaction row (signed: positive raises what is owed) and a
change to its document's running balance; all but payments also post a journal entry
here through the ledger's posting service: the AR control account of the subledger
against the revenue (or expense) accounts named. A payment's entry is the cashier's: the
payment-target registry hands back credit lines, and cashiering posts them with the cash.

Every movement names its cause, unique in the database: a posting's idempotency key, or
a payment's key and the document it paid. So a retried posting or payment, however many
requests race to make it, moves the subledger once. Control accounts, and what a payment
key already applied, are read in receivables.queries.subledger.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import ZERO, allocate_oldest_first
from millbrae_finance.payment_targets import CreditLine
from receivables.models import ArKind, ArTransaction, Citation, Invoice
from receivables.queries.subledger import (
    Document,
    applied_payment,
    control_account_for,
    payment_cause,
    payment_credit_lines,
    repeated_payment,
    subledger_of,
)

# Kinds that raise what is owed; every other kind lowers it.
RAISING = frozenset({ArKind.CHARGE, ArKind.PENALTY, ArKind.PAYMENT_VOID})
SOURCE_MODULE = "receivables"


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
    return payment_credit_lines(paid, receipt)


def reverse_payment(
    payment_key: str,
    *,
    void_date: dt.date,
    receipt: str,
    actor: AbstractBaseUser,
    journal_entry,
    same_target: Callable[[ArTransaction], bool],
) -> None:
    """Undo a payment voided at the counter: a movement opposite each one the payment
    made (on the same document), the documents' balances raised again, each naming the
    void's entry. Its cause is "void:" and the payment movement's cause, unique, so a
    repeat writes nothing."""
    paid = [m for m in applied_payment(payment_key) if same_target(m)]
    if not paid:
        raise ValidationError({"reference": f"No payment {payment_key} to void."})
    # The documents locked in one order (table, then id), as a payment locks them.
    for model, field in ((Invoice, "invoice_id"), (Citation, "citation_id")):
        ids = sorted({getattr(m, field) for m in paid if getattr(m, field)})
        if ids:
            list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if ArTransaction.objects.filter(cause__in=[f"void:{m.cause}" for m in paid]).exists():
        return
    for movement in paid:
        document = movement.invoice or movement.citation
        ArTransaction.objects.create(
            subledger=movement.subledger,
            kind=ArKind.PAYMENT_VOID,
            invoice=movement.invoice,
            citation=movement.citation,
            customer_id=movement.customer_id,
            transaction_date=void_date,
            amount=-movement.amount,
            memo=f"Void of receipt {receipt}"[:250],
            reference=receipt[:40],
            cause=f"void:{movement.cause}",
            journal_entry=journal_entry,
            created_by=actor,
        )
        type(document).objects.filter(pk=document.pk).update(balance=F("balance") - movement.amount)


def move_documents(*, duplicate, survivor, actor: AbstractBaseUser) -> int:
    """On a customer merge: the duplicate's invoices, citations and their movements go to
    the survivor (the merge registry calls this inside the merge's transaction)."""
    moved = Invoice.objects.filter(customer=duplicate).update(customer=survivor)
    moved += Citation.objects.filter(customer=duplicate).update(customer=survivor)
    ArTransaction.objects.filter(customer=duplicate).update(customer=survivor)
    return moved
