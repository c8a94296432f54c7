"""Reads of the AR subledgers: what is open on a document, part by part, and balances
and totals as of a day, from the movements."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from ledger.models import Account
from millbrae_finance.money import ZERO, allocate_oldest_first
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
