"""Reads of the utility AR subledger: what an account owes, and the subledger's total as
of a day (the reconciliation registry compares it with the utility AR control accounts)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, Subledger
from ledger.reconciliation import control_balance
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


@dataclass(frozen=True)
class ControlRow:
    """One utility AR control account (one per fund): its general-ledger balance and the
    subledger movements that name it, at the close of a day."""

    account: Account
    gl_balance: Decimal
    subledger_total: Decimal

    @property
    def difference(self) -> Decimal:
        return self.gl_balance - self.subledger_total


def utility_ar_controls(as_of: dt.date) -> list[ControlRow]:
    """The utility AR control accounts as the chart marks them (the same ones the
    reconciliation report adds up, active or not), each beside the subledger movements
    naming it: the reconciliation fund by fund, so that errors in two funds cannot
    offset each other in the total. Two queries and one per control account."""
    controls = list(
        Account.objects.filter(control_subledger=Subledger.UTILITY_AR)
        .select_related("fund")
        .order_by("number")
    )
    totals = dict(
        UtilityTransaction.objects.filter(transaction_date__lte=as_of)
        .values("control_account")
        .annotate(total=Sum("amount"))
        .values_list("control_account", "total")
    )
    rows = [
        ControlRow(account, control_balance([account], as_of), totals.pop(account.pk, ZERO))
        for account in controls
    ]
    # Movements naming an account the chart does not mark as a control: each its own row,
    # never folded into a control's.
    strays = Account.objects.select_related("fund").in_bulk(list(totals))
    rows += [
        ControlRow(strays[pk], control_balance([strays[pk]], as_of), total)
        for pk, total in sorted(totals.items())
    ]
    return rows
