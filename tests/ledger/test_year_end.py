import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ledger.models import Account, AccountType, FiscalPeriod, Fund, ObjectCode, PeriodStatus
from ledger.queries import balance_sheet, revenue_expenditure_statement, trial_balance
from ledger.services import create_account, create_fiscal_year
from ledger.services.year_end import close_fiscal_year

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def closable(chart, activity):
    """FY 2027's activity (July to September), a fund balance account for the Water Fund,
    and FY 2028 to carry it into."""
    water = Fund.objects.get(code="501")
    create_account(
        fund=water,
        department=Account.objects.get(number="501-0000-1010").department,
        object_code=ObjectCode.objects.create(
            code="3100", name="Fund balance", account_type=AccountType.FUND_BALANCE
        ),
    )
    create_fiscal_year(2028)
    return activity


def period(year: int, number: int) -> FiscalPeriod:
    return FiscalPeriod.objects.get(fiscal_year__year=year, number=number)


def test_close_moves_the_years_result_into_fund_balance(closable, supervisor):
    entries = close_fiscal_year(closable, actor=supervisor)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.period.number, entry.entry_date) == (13, dt.date(2027, 6, 30))
    lines = sorted(entry.lines.values_list("account__number", "amount"))
    # Sales 355.25 less postage 40.00: 315.25 into fund balance.
    assert lines == [
        ("501-0000-3100", D("-315.25")),
        ("501-1100-4411", D("355.25")),
        ("501-1100-5210", D("-40.00")),
    ]
    # The next year starts with revenue and expenditure at zero, fund balance carrying it.
    report = trial_balance(first=period(2028, 1), last=period(2028, 1))
    beginning = {row.account.number: row.beginning for row in report.rows}
    assert beginning == {"501-0000-1010": D("315.25"), "501-0000-3100": D("-315.25")}
    # The statement of the year still shows the year's activity, not the closing.
    water = Fund.objects.get(code="501")
    statement = revenue_expenditure_statement(
        fund=water, first=period(2027, 1), last=period(2027, 13)
    )
    assert (statement.revenues.total, statement.expenditures.total) == (D("355.25"), D("40.00"))
    sheet = balance_sheet(fund=water, as_of=period(2027, 13))
    assert (sheet.net_change, sheet.total_fund_balance, sheet.assets.total) == (
        D("0.00"),
        D("315.25"),
        D("315.25"),
    )
    # Closing again posts nothing more.
    assert close_fiscal_year(closable, actor=supervisor) == []


def test_close_needs_an_open_adjustment_period_and_a_fund_balance_account(
    chart, activity, supervisor
):
    with pytest.raises(ValidationError, match="No active fund balance account 501-0000-3100"):
        close_fiscal_year(activity, actor=supervisor)
    FiscalPeriod.objects.filter(fiscal_year=activity, number=13).update(status=PeriodStatus.CLOSED)
    with pytest.raises(ValidationError, match="reopen it"):
        close_fiscal_year(activity, actor=supervisor)


def test_supervisor_closes_the_year_from_the_periods_page(client, closable, supervisor, technician):
    client.force_login(technician)
    url = reverse("ledger:fiscal_year_close", args=[closable.pk])
    assert client.post(url).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("ledger:period_list")).content.decode()
    assert "Post year-end closing entries" in page
    response = client.post(url, follow=True)
    assert "closed to fund balance: JE" in response.content.decode()
    response = client.post(url, follow=True)
    assert "nothing left to close" in response.content.decode()
