"""Reads of the AR subledgers: what is open on a document, part by part, and balances
and totals as of a day, from the movements; the control accounts a movement posts to;
and what a payment key already applied. Writing movements is the subledger service's."""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, JournalLine
from millbrae_finance.money import ZERO, allocate_oldest_first
from millbrae_finance.payment_targets import CreditLine
from receivables.models import ArKind, ArSubledger, ArTransaction, Citation, Invoice

Document = Invoice | Citation


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


# ---------------------------------------------------------------- control accounts


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


# ---------------------------------------------------------------- payments applied

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
    return payment_credit_lines([(m.invoice or m.citation, -m.amount) for m in movements], receipt)


def payment_credit_lines(
    paid: Sequence[tuple[Document, Decimal]], receipt: str
) -> list[CreditLine]:
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
