"""The subledger reconciliation registry: control accounts must equal their subledgers.

Each module that keeps a subledger (utility AR, misc AR, fines AR, AP, deposits) registers
a function giving the subledger's total at a date, from its AppConfig.ready(). The ledger
imports no module: the registry is how it learns their totals.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, AccountBalance, JournalLine, NormalBalance, Subledger
from millbrae_finance.money import ZERO

SubledgerTotal = Callable[[dt.date], Decimal]


@dataclass(frozen=True)
class RegisteredSubledger:
    subledger: Subledger
    module: str
    total_at: SubledgerTotal


_registry: dict[Subledger, RegisteredSubledger] = {}


def register_subledger(subledger: Subledger, *, module: str, total_at: SubledgerTotal) -> None:
    """Register (or replace) the function giving a subledger's total at a date, in the
    control account's normal-balance sign (a receivable positive, a payable positive)."""
    _registry[Subledger(subledger)] = RegisteredSubledger(Subledger(subledger), module, total_at)


def registered_subledger(subledger: Subledger) -> RegisteredSubledger | None:
    return _registry.get(Subledger(subledger))


def unregister_subledger(subledger: Subledger) -> None:
    _registry.pop(Subledger(subledger), None)


@dataclass(frozen=True)
class ReconciliationRow:
    subledger: Subledger
    accounts: list[Account]
    gl_balance: Decimal
    module: str | None
    subledger_total: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.subledger_total is None:
            return None
        return self.gl_balance - self.subledger_total

    @property
    def reconciles(self) -> bool | None:
        return None if self.difference is None else self.difference == 0


def control_balance(accounts: list[Account], as_of: dt.date) -> Decimal:
    """The control accounts' balance at the end of a day, in their normal-balance sign:
    kept balances of the periods that ended by then, plus the lines of the period the day
    falls in, so no more than one period of lines is read."""
    if not accounts:
        return ZERO
    ids = [account.pk for account in accounts]
    whole = AccountBalance.objects.filter(account_id__in=ids, period__end_date__lte=as_of)
    # The adjustment period shares June 30 with June; its end date counts like June's.
    net = whole.aggregate(total=Coalesce(Sum("debits"), ZERO) - Coalesce(Sum("credits"), ZERO))[
        "total"
    ]
    partial = JournalLine.objects.filter(
        Q(entry__period__start_date__lte=as_of, entry__period__end_date__gt=as_of),
        account_id__in=ids,
        entry__entry_date__lte=as_of,
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    net += partial
    debit_normal = accounts[0].normal_balance == NormalBalance.DEBIT
    return net if debit_normal else -net


def reconciliation(as_of: dt.date) -> list[ReconciliationRow]:
    """For every subledger: its control accounts' GL balance, the subledger's total and the
    difference, at the end of a day."""
    controls: dict[str, list[Account]] = {}
    for account in Account.objects.exclude(control_subledger="").order_by("number"):
        controls.setdefault(account.control_subledger, []).append(account)
    rows = []
    for subledger in Subledger:
        accounts = controls.get(subledger.value, [])
        registered = _registry.get(subledger)
        rows.append(
            ReconciliationRow(
                subledger=subledger,
                accounts=accounts,
                gl_balance=control_balance(accounts, as_of),
                module=registered.module if registered else None,
                subledger_total=registered.total_at(as_of) if registered else None,
            )
        )
    return rows
