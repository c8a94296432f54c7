"""Year-end close: each fund's revenues and expenditures of the year are closed into its
fund balance by entries in the adjustment period, so the next year starts with nominal
accounts at zero and fund balance carrying the year's result."""

from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from ledger.models import (
    ADJUSTMENT_PERIOD,
    Account,
    AccountBalance,
    AccountType,
    FiscalPeriod,
    FiscalYear,
    JournalEntry,
)
from ledger.services.posting import INTERFUND_DEPARTMENT, LineSpec, post_entry

FUND_BALANCE_OBJECT = "3100"
NOMINAL_TYPES = (AccountType.REVENUE, AccountType.EXPENDITURE)


def closing_document(fiscal_year: FiscalYear) -> str:
    """The source document every closing entry of a fiscal year carries."""
    return f"FY{fiscal_year.year}-CLOSE"


def close_fiscal_year(fiscal_year: FiscalYear, *, actor: AbstractBaseUser) -> list[JournalEntry]:
    """Post, for each fund with a result, an entry dated June 30 in period 13 that zeroes
    its revenue and expenditure accounts against its fund balance account. Running it
    again posts only what later adjustments left open (usually nothing)."""
    with transaction.atomic(durable=True):
        adjustments = FiscalPeriod.objects.select_for_update().get(
            fiscal_year=fiscal_year, number=ADJUSTMENT_PERIOD
        )
        if not adjustments.is_open:
            raise ValidationError(
                f"{adjustments} is closed; reopen it to post the year-end closing entries."
            )
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
        by_fund: dict[int, list[tuple[Account, Decimal]]] = defaultdict(list)
        for account_id, net in net_by_account.items():
            account = accounts[account_id]
            by_fund[account.fund_id].append((account, net))
        fund_balances = {
            account.fund_id: account
            for account in Account.objects.filter(
                fund_id__in=by_fund,
                department__code=INTERFUND_DEPARTMENT,
                object_code__code=FUND_BALANCE_OBJECT,
                is_active=True,
            )
        }
        missing = [
            f"{nets[0][0].fund.code}-{INTERFUND_DEPARTMENT}-{FUND_BALANCE_OBJECT}"
            for fund_id, nets in by_fund.items()
            if fund_id not in fund_balances
        ]
        if missing:
            raise ValidationError(
                [f"No active fund balance account {number} to close into." for number in missing]
            )
        already = JournalEntry.objects.filter(
            source_module="ledger", source_document=closing_document(fiscal_year)
        ).count()
        entries = []
        for fund_id, nets in sorted(by_fund.items(), key=lambda item: item[1][0][0].fund.code):
            fund = nets[0][0].fund
            lines = [LineSpec(account, -net, "Year-end close") for account, net in nets]
            result = sum((net for _, net in nets), Decimal("0.00"))
            if result:
                lines.append(LineSpec(fund_balances[fund_id], result, "Result of the year"))
            entries.append(
                post_entry(
                    entry_date=fiscal_year.end_date,
                    period=adjustments,
                    lines=lines,
                    memo=f"Year-end close FY {fiscal_year.year}: {fund.name} to fund balance",
                    source_module="ledger",
                    source_document=closing_document(fiscal_year),
                    idempotency_key=(
                        f"year-end-close-{fiscal_year.year}-{fund.code}-{already + len(entries)}"
                    ),
                    prepared_by=actor,
                    approved_by=actor,
                )
            )
    return entries
