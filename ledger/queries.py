"""Reads the ledger's screens and reports need. Balances come from AccountBalance, kept
at posting time, so no report here scans journal lines."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce

from ledger.models import Account, AccountBalance, FiscalPeriod, Fund
from millbrae_finance.money import ZERO


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    beginning: Decimal
    debits: Decimal
    credits: Decimal

    @property
    def ending(self) -> Decimal:
        return self.beginning + self.debits - self.credits


@dataclass(frozen=True)
class TrialBalance:
    first: FiscalPeriod
    last: FiscalPeriod
    fund: Fund | None
    rows: list[TrialBalanceRow]
    beginning: Decimal
    debits: Decimal
    credits: Decimal
    ending: Decimal


def periods_in_order():
    """Every fiscal period, oldest first, for choosing a range."""
    return FiscalPeriod.objects.select_related("fiscal_year").order_by(
        "fiscal_year__year", "number"
    )


def trial_balance(
    *, first: FiscalPeriod, last: FiscalPeriod, fund: Fund | None = None
) -> TrialBalance:
    """Beginning balance (all activity before the range), debits and credits in the range,
    and ending balance, for each account with activity. The totals always sum to zero.

    Year-end closing of revenue and expenditure into fund balance is not posted yet, so
    their beginning balances include prior years."""
    in_range = Q(balances__period__fiscal_year__year__gt=first.fiscal_year.year) | Q(
        balances__period__fiscal_year=first.fiscal_year, balances__period__number__gte=first.number
    )
    in_range &= Q(balances__period__fiscal_year__year__lt=last.fiscal_year.year) | Q(
        balances__period__fiscal_year=last.fiscal_year, balances__period__number__lte=last.number
    )
    before = Q(
        balances__period__fiscal_year=first.fiscal_year, balances__period__number__lt=first.number
    )
    before |= Q(balances__period__fiscal_year__year__lt=first.fiscal_year.year)

    def net(condition: Q):
        return Coalesce(Sum("balances__debits", filter=condition), Value(ZERO)) - Coalesce(
            Sum("balances__credits", filter=condition), Value(ZERO)
        )

    accounts = Account.objects.select_related("fund", "object_code").filter(balances__isnull=False)
    if fund is not None:
        accounts = accounts.filter(fund=fund)
    accounts = (
        accounts.annotate(
            beginning=net(before),
            debits=Coalesce(Sum("balances__debits", filter=in_range), Value(ZERO)),
            credits=Coalesce(Sum("balances__credits", filter=in_range), Value(ZERO)),
        )
        .filter(~Q(beginning=0) | ~Q(debits=0) | ~Q(credits=0))
        .order_by("number")
    )
    rows = [TrialBalanceRow(a, a.beginning, a.debits, a.credits) for a in accounts]
    beginning = sum((r.beginning for r in rows), ZERO)
    debits = sum((r.debits for r in rows), ZERO)
    credits = sum((r.credits for r in rows), ZERO)
    return TrialBalance(
        first, last, fund, rows, beginning, debits, credits, beginning + debits - credits
    )


def kept_balance_totals() -> dict[str, Decimal]:
    """Debits and credits of all kept balances, for a check that they match."""
    return AccountBalance.objects.aggregate(
        debits=Coalesce(Sum("debits"), Value(ZERO)), credits=Coalesce(Sum("credits"), Value(ZERO))
    )
