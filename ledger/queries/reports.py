"""Reads the ledger's screens and reports need. Balances come from AccountBalance, kept
at posting time, so no report here scans journal lines."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum, Value
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

    @property
    def caption(self) -> str:
        return f"{self.first} through {self.last} · {self.fund or 'All funds'}"


def _from_period(path: str, period: FiscalPeriod) -> Q:
    """`path` (e.g. "balances__period") is the period given or a later one."""
    return Q(**{f"{path}__fiscal_year__year__gt": period.fiscal_year.year}) | Q(
        **{f"{path}__fiscal_year": period.fiscal_year, f"{path}__number__gte": period.number}
    )


def _through_period(path: str, period: FiscalPeriod) -> Q:
    """`path` is the period given or an earlier one."""
    return Q(**{f"{path}__fiscal_year__year__lt": period.fiscal_year.year}) | Q(
        **{f"{path}__fiscal_year": period.fiscal_year, f"{path}__number__lte": period.number}
    )


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
    in_range = _from_period("balances__period", first) & _through_period("balances__period", last)
    before = ~_from_period("balances__period", first)

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


def fiscal_years_with_periods():
    """Fiscal years, newest first, each with its periods and who last changed them."""
    from django.db.models import Prefetch

    from ledger.models import FiscalYear

    periods = FiscalPeriod.objects.select_related("status_changed_by").order_by("number")
    return FiscalYear.objects.order_by("-year").prefetch_related(
        Prefetch("periods", queryset=periods)
    )


# ---------------------------------------------------------------- account inquiry


@dataclass(frozen=True)
class AccountActivity:
    account: Account
    first: FiscalPeriod
    last: FiscalPeriod
    beginning: Decimal
    debits: Decimal
    credits: Decimal
    ending: Decimal
    lines: QuerySet  # JournalLine rows with .running (balance after the line), oldest first

    @property
    def caption(self) -> str:
        return f"{self.first} through {self.last}"


def _period_key(period: FiscalPeriod) -> tuple[int, int]:
    return (period.fiscal_year.year, period.number)


def account_activity(
    account: Account, *, first: FiscalPeriod, last: FiscalPeriod
) -> AccountActivity:
    """An account's lines in a period range with a running balance (debit positive), the
    beginning balance from the kept balances, and the totals."""
    from django.db.models import F, Window

    from ledger.models import JournalLine

    kept = AccountBalance.objects.filter(account=account).select_related("period__fiscal_year")
    beginning = debits = credits = ZERO
    for balance in kept:
        key = _period_key(balance.period)
        if key < _period_key(first):
            beginning += balance.debits - balance.credits
        elif key <= _period_key(last):
            debits += balance.debits
            credits += balance.credits
    in_range = _from_period("entry__period", first) & _through_period("entry__period", last)
    order = [F("entry__entry_date").asc(), F("entry_id").asc(), F("id").asc()]
    # The running balance is a window over the whole range, computed before any page is
    # cut from it, so page 3 still carries the balance of pages 1 and 2.
    lines = (
        JournalLine.objects.filter(in_range, account=account)
        .select_related("entry", "entry__period__fiscal_year")
        .annotate(running=Value(beginning) + Window(Sum("amount"), order_by=order))
        .order_by(*order)
    )
    return AccountActivity(
        account, first, last, beginning, debits, credits, beginning + debits - credits, lines
    )


# ---------------------------------------------------------------- financial statements


@dataclass(frozen=True)
class StatementLine:
    account: Account
    amount: Decimal  # shown with the account's normal sign: revenue and liabilities positive


@dataclass(frozen=True)
class StatementSection:
    title: str
    lines: list[StatementLine]
    total: Decimal


def _signed_totals(
    accounts, condition: Q, less: dict[int, Decimal] | None = None
) -> list[StatementLine]:
    """Each account's net over the balances `condition` selects, less any amounts given by
    account id, in the account's normal sign; accounts that come to zero are left out."""
    from ledger.models import NormalBalance

    less = less or {}
    rows = accounts.annotate(
        net=Coalesce(Sum("balances__debits", filter=condition), Value(ZERO))
        - Coalesce(Sum("balances__credits", filter=condition), Value(ZERO))
    ).order_by("number")
    lines = []
    for account in rows:
        net = account.net - less.get(account.pk, ZERO)
        if net:
            sign = 1 if account.normal_balance == NormalBalance.DEBIT else -1
            lines.append(StatementLine(account, sign * net))
    return lines


def _section(title: str, lines: list[StatementLine]) -> StatementSection:
    return StatementSection(title, lines, sum((line.amount for line in lines), ZERO))


@dataclass(frozen=True)
class BalanceSheet:
    fund: Fund | None  # None: all funds together
    as_of: FiscalPeriod
    assets: StatementSection
    liabilities: StatementSection
    fund_balance: StatementSection
    net_change: Decimal  # revenues less expenditures to date, not yet closed to fund balance
    total_liabilities_and_fund_balance: Decimal

    @property
    def caption(self) -> str:
        fund = self.fund or "All funds"
        return f"{fund} · as of {self.as_of.end_date:%B %-d, %Y} ({self.as_of})"

    @property
    def total_fund_balance(self) -> Decimal:
        return self.fund_balance.total + self.net_change


def balance_sheet(*, fund: Fund | None = None, as_of: FiscalPeriod) -> BalanceSheet:
    """Assets, liabilities and fund balance of one fund (or of all funds together) at the
    end of a period. Revenues less expenditures to date appear as the change in fund
    balance, so the sheet balances before the year-end closing entries exist."""
    from ledger.models import AccountType

    through = _through_period("balances__period", as_of)
    accounts = _accounts_of(fund)
    assets = _section(
        "Assets", _signed_totals(accounts.filter(account_type=AccountType.ASSET), through)
    )
    liabilities = _section(
        "Liabilities", _signed_totals(accounts.filter(account_type=AccountType.LIABILITY), through)
    )
    fund_balance = _section(
        "Fund balance",
        _signed_totals(accounts.filter(account_type=AccountType.FUND_BALANCE), through),
    )
    revenues = _signed_totals(accounts.filter(account_type=AccountType.REVENUE), through)
    expenditures = _signed_totals(accounts.filter(account_type=AccountType.EXPENDITURE), through)
    net_change = sum((r.amount for r in revenues), ZERO) - sum(
        (e.amount for e in expenditures), ZERO
    )
    return BalanceSheet(
        fund,
        as_of,
        assets,
        liabilities,
        fund_balance,
        net_change,
        liabilities.total + fund_balance.total + net_change,
    )


@dataclass(frozen=True)
class RevenueExpenditureStatement:
    fund: Fund | None  # None: all funds together
    first: FiscalPeriod
    last: FiscalPeriod
    revenues: StatementSection
    expenditures: StatementSection
    net_change: Decimal

    @property
    def caption(self) -> str:
        return f"{self.fund or 'All funds'} · {self.first} through {self.last}"


def _accounts_of(fund: Fund | None) -> QuerySet[Account]:
    """A fund's accounts, or every fund's when no fund is given."""
    return Account.objects.all() if fund is None else Account.objects.filter(fund=fund)


def _closing_amounts(
    fund: Fund | None, first: FiscalPeriod, last: FiscalPeriod
) -> dict[int, Decimal]:
    """What year-end closing entries in a period range posted to each of a fund's accounts
    (closing entries are in period 13, so only a range that reaches a period 13 has any)."""
    from ledger.models import ADJUSTMENT_PERIOD, JournalLine

    lines = (
        JournalLine.objects.all()
        if fund is None
        else JournalLine.objects.filter(account__fund=fund)
    )
    rows = (
        lines.filter(
            entry__source_module="ledger",
            entry__source_document__endswith="-CLOSE",
            entry__period__number=ADJUSTMENT_PERIOD,
            entry__period__fiscal_year__year__gte=first.fiscal_year.year,
            entry__period__fiscal_year__year__lte=last.fiscal_year.year,
        )
        .exclude(
            entry__period__fiscal_year__year=last.fiscal_year.year,
            entry__period__number__gt=last.number,
        )
        .values("account_id")
        .annotate(total=Sum("amount"))
    )
    return {row["account_id"]: row["total"] for row in rows}


def revenue_expenditure_statement(
    *, fund: Fund | None = None, first: FiscalPeriod, last: FiscalPeriod
) -> RevenueExpenditureStatement:
    """Revenues and expenditures of one fund (or of all funds together) over a period
    range, and the difference."""
    from ledger.models import AccountType

    in_range = _from_period("balances__period", first) & _through_period("balances__period", last)
    accounts = _accounts_of(fund)
    # The year-end closing entries zero these accounts in period 13; the statement shows
    # the year's activity, so they are taken back out.
    closing = _closing_amounts(fund, first, last)
    revenues = _section(
        "Revenues",
        _signed_totals(accounts.filter(account_type=AccountType.REVENUE), in_range, closing),
    )
    expenditures = _section(
        "Expenditures",
        _signed_totals(accounts.filter(account_type=AccountType.EXPENDITURE), in_range, closing),
    )
    return RevenueExpenditureStatement(
        fund, first, last, revenues, expenditures, revenues.total - expenditures.total
    )
