"""Year-end close: each fund's revenues and expenditures of the year are closed into its
fund balance by entries in the adjustment period, so the next year starts with nominal
accounts at zero and fund balance carrying the year's result.

The close is shown before it is posted (`year_end_plan`, the preview a supervisor
confirms) and is refused until the year's last period has ended: closed mid-year, the
revenues and expenditures still to come would land in a year already closed."""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ledger.models import (
    ADJUSTMENT_PERIOD,
    Account,
    AccountBalance,
    AccountType,
    FiscalPeriod,
    FiscalYear,
    Fund,
    JournalEntry,
)
from ledger.services.posting import INTERFUND_DEPARTMENT, LineSpec, post_entry

FUND_BALANCE_OBJECT = "3100"
NOMINAL_TYPES = (AccountType.REVENUE, AccountType.EXPENDITURE)
CLOSING_MEMO = "Year-end close"
RESULT_MEMO = "Result of the year"
# Room for "<key prefix><caller's key>/<fund code>" in the entry's idempotency key (100).
MAX_KEY_LENGTH = 60


@dataclass(frozen=True)
class ClosingLine:
    account: Account
    amount: Decimal  # debit positive, credit negative, as posted
    memo: str

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class FundClosing:
    """One fund's closing entry: its revenue and expenditure accounts zeroed, by account
    number, then the fund balance line taking the year's result."""

    fund: Fund
    lines: list[ClosingLine]
    memo: str

    @property
    def total_debits(self) -> Decimal:
        return sum((line.debit or Decimal("0.00") for line in self.lines), Decimal("0.00"))

    @property
    def total_credits(self) -> Decimal:
        return sum((line.credit or Decimal("0.00") for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class YearEndPlan:
    """What the close of a fiscal year would post now, and why it may not (problems)."""

    fiscal_year: FiscalYear
    adjustments: FiscalPeriod
    funds: list[FundClosing]
    problems: list[str] = field(default_factory=list)

    @property
    def entry_date(self) -> dt.date:
        return self.fiscal_year.end_date

    @property
    def can_post(self) -> bool:
        return not self.problems and bool(self.funds)

    @property
    def digest(self) -> str:
        """A fingerprint of every line: the confirmation posts only the lines shown."""
        text = "\n".join(
            f"{closing.fund.code} {line.account.number} {line.amount}"
            for closing in self.funds
            for line in closing.lines
        )
        return hashlib.sha256(text.encode()).hexdigest()


def closing_document(fiscal_year: FiscalYear) -> str:
    """The source document every closing entry of a fiscal year carries."""
    return f"FY{fiscal_year.year}-CLOSE"


def year_has_ended(fiscal_year: FiscalYear, *, today: dt.date | None = None) -> bool:
    """Whether the year's last period (June) is over, in the city's time zone."""
    return (today or timezone.localdate()) > fiscal_year.end_date


def year_end_plan(fiscal_year: FiscalYear) -> YearEndPlan:
    """The closing entries, fund by fund, that `close_fiscal_year` would post now."""
    adjustments = FiscalPeriod.objects.select_related("fiscal_year").get(
        fiscal_year=fiscal_year, number=ADJUSTMENT_PERIOD
    )
    problems = []
    if not year_has_ended(fiscal_year):
        day_after = fiscal_year.end_date + dt.timedelta(days=1)
        problems.append(
            f"{fiscal_year} runs to {fiscal_year.end_date:%B} {fiscal_year.end_date.day}, "
            f"{fiscal_year.end_date.year}: its closing entries can be posted from "
            f"{day_after:%B} {day_after.day}, {day_after.year}, once its last period has ended."
        )
    if not adjustments.is_open:
        problems.append(f"{adjustments} is closed; reopen it to post the year-end closing entries.")
    open_balances = (
        AccountBalance.objects.filter(
            period__fiscal_year=fiscal_year, account__account_type__in=NOMINAL_TYPES
        )
        .values("account_id")
        .annotate(net=Sum("debits") - Sum("credits"))
        .exclude(net=0)
    )
    net_by_account = {row["account_id"]: row["net"] for row in open_balances}
    accounts = Account.objects.select_related("fund").in_bulk(list(net_by_account))
    by_fund: dict[int, list[Account]] = defaultdict(list)
    for account in sorted(accounts.values(), key=lambda account: account.number):
        by_fund[account.fund_id].append(account)
    fund_balances = {
        account.fund_id: account
        for account in Account.objects.filter(
            fund_id__in=by_fund,
            department__code=INTERFUND_DEPARTMENT,
            object_code__code=FUND_BALANCE_OBJECT,
            is_active=True,
        )
    }
    funds = []
    for fund_accounts in sorted(by_fund.values(), key=lambda accounts: accounts[0].fund.code):
        fund = fund_accounts[0].fund
        lines = [
            ClosingLine(account, -net_by_account[account.pk], CLOSING_MEMO)
            for account in fund_accounts
        ]
        result = sum((net_by_account[account.pk] for account in fund_accounts), Decimal("0.00"))
        if fund.pk not in fund_balances:
            problems.append(
                f"No active fund balance account {fund.code}-{INTERFUND_DEPARTMENT}-"
                f"{FUND_BALANCE_OBJECT} to close into."
            )
        elif result:
            lines.append(ClosingLine(fund_balances[fund.pk], result, RESULT_MEMO))
        memo = f"Year-end close FY {fiscal_year.year}: {fund.name} to fund balance"
        funds.append(FundClosing(fund=fund, lines=lines, memo=memo))
    return YearEndPlan(
        fiscal_year=fiscal_year, adjustments=adjustments, funds=funds, problems=problems
    )


def close_fiscal_year(
    fiscal_year: FiscalYear,
    *,
    actor: AbstractBaseUser,
    idempotency_key: str,
    expected_digest: str | None = None,
) -> list[JournalEntry]:
    """Post, for each fund with a result, an entry dated June 30 in period 13 that zeroes
    its revenue and expenditure accounts against its fund balance account, once the year's
    last period has ended. `expected_digest` is the preview's: if the balances moved since,
    nothing is posted. The same key again returns the first entries (a double-click);
    a new key posts only what later adjustments left open (usually nothing)."""
    if not idempotency_key or "/" in idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise ValueError("A year-end close needs a one-time key of at most 60 characters, no '/'.")
    prefix = f"year-end-close-{fiscal_year.year}/{idempotency_key}/"
    with transaction.atomic(durable=True):
        # One close of a year at a time: a second click waits here for the first to commit.
        FiscalPeriod.objects.select_for_update().get(
            fiscal_year=fiscal_year, number=ADJUSTMENT_PERIOD
        )
        posted = JournalEntry.objects.filter(idempotency_key__startswith=prefix).order_by("id")
        if posted:
            return list(posted)
        plan = year_end_plan(fiscal_year)
        if plan.problems:
            raise ValidationError(plan.problems)
        if expected_digest is not None and expected_digest != plan.digest:
            raise ValidationError(
                f"The balances of {fiscal_year} changed since these closing entries were "
                "shown; nothing was posted. Review them again."
            )
        entries = [
            post_entry(
                entry_date=plan.entry_date,
                period=plan.adjustments,
                lines=[LineSpec(line.account, line.amount, line.memo) for line in closing.lines],
                memo=closing.memo,
                source_module="ledger",
                source_document=closing_document(fiscal_year),
                idempotency_key=f"{prefix}{closing.fund.code}",
                prepared_by=actor,
                approved_by=actor,
            )
            for closing in plan.funds
        ]
    return entries
