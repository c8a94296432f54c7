"""Reads of the utility AR subledger: what an account owes, and the subledger's total as
of a day (the reconciliation registry compares it with the utility AR control accounts)."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from millbrae_finance.money import ZERO
from utility_billing.models import UtilityAccount, UtilityTransaction


def subledger_total(as_of: dt.date) -> Decimal:
    """What the utility AR subledger says is owed at the end of a day: the sum of its
    movements, every fund together (as the control accounts are reconciled)."""
    return UtilityTransaction.objects.filter(transaction_date__lte=as_of).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]


def account_balance(account: UtilityAccount, as_of: dt.date | None = None) -> Decimal:
    """What an account owes (negative: a credit), from its movements."""
    movements = account.transactions.all()
    if as_of is not None:
        movements = movements.filter(transaction_date__lte=as_of)
    return movements.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
