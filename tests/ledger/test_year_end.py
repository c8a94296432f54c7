import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from ledger.models import Account, AccountType, FiscalPeriod, Fund, JournalEntry, ObjectCode
from ledger.queries.reports import balance_sheet, revenue_expenditure_statement, trial_balance
from ledger.services import close_period, create_account, create_fiscal_year
from ledger.services.year_end import close_fiscal_year, year_end_plan
from tests.ledger.conftest import post

pytestmark = pytest.mark.django_db
D = Decimal

# The day the issue saw FY 2027 closed mid-year, and the first day it may be.
MID_YEAR = "2026-12-04 10:00 -08:00"
AFTER_YEAR_END = "2027-07-06 10:00 -07:00"


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


@pytest.fixture
def after_year_end():
    with time_machine.travel(AFTER_YEAR_END, tick=False):
        yield


def period(year: int, number: int) -> FiscalPeriod:
    return FiscalPeriod.objects.get(fiscal_year__year=year, number=number)


def closing_entries():
    return JournalEntry.objects.filter(source_document="FY2027-CLOSE")


def test_close_moves_the_years_result_into_fund_balance(closable, supervisor, after_year_end):
    entries = close_fiscal_year(closable, actor=supervisor, idempotency_key="k1")
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
    # The same key again returns the first entry; a new key finds nothing left to close.
    assert close_fiscal_year(closable, actor=supervisor, idempotency_key="k1") == [entry]
    assert close_fiscal_year(closable, actor=supervisor, idempotency_key="k2") == []
    assert closing_entries().count() == 1


def test_close_needs_an_open_adjustment_period_and_a_fund_balance_account(
    chart, activity, supervisor, after_year_end
):
    with pytest.raises(ValidationError, match="No active fund balance account 501-0000-3100"):
        close_fiscal_year(activity, actor=supervisor, idempotency_key="k1")
    close_period(
        FiscalPeriod.objects.get(fiscal_year=activity, number=13), actor=supervisor, reason="Done"
    )
    with pytest.raises(ValidationError, match="reopen it"):
        close_fiscal_year(activity, actor=supervisor, idempotency_key="k2")


@pytest.mark.parametrize(
    "moment",
    [MID_YEAR, "2027-06-30 23:59 -07:00"],
    ids=["mid-year", "last-evening-of-june"],
)
def test_close_is_refused_before_the_years_last_period_ends(closable, supervisor, moment):
    with time_machine.travel(moment, tick=False), pytest.raises(ValidationError) as refused:
        close_fiscal_year(closable, actor=supervisor, idempotency_key="k1")
    assert refused.value.messages == [
        "FY 2027 runs to June 30, 2027: its closing entries can be posted from July 1, 2027, "
        "once its last period has ended."
    ]
    assert not closing_entries().exists()


def test_close_opens_on_the_first_day_after_the_year_in_the_citys_time_zone(closable, supervisor):
    # 06:30 UTC on July 1 is still June 30 in Millbrae (23:30 PDT).
    with time_machine.travel("2027-07-01 06:30 +00:00", tick=False):
        assert year_end_plan(closable).problems
    with time_machine.travel("2027-07-01 00:05 -07:00", tick=False):
        assert year_end_plan(closable).problems == []
        assert len(close_fiscal_year(closable, actor=supervisor, idempotency_key="k1")) == 1


def test_close_refuses_lines_other_than_the_ones_shown(closable, supervisor, technician):
    with time_machine.travel(AFTER_YEAR_END, tick=False):
        shown = year_end_plan(closable).digest
        # A late adjustment lands in period 13 between the preview and the confirmation.
        post(
            technician,
            [("501-1100-5210", "10.00"), ("501-0000-1010", "-10.00")],
            "late",
            dt.date(2027, 6, 30),
        )
        with pytest.raises(ValidationError, match="changed since these closing entries"):
            close_fiscal_year(
                closable, actor=supervisor, idempotency_key="k1", expected_digest=shown
            )
        assert not closing_entries().exists()


# ---------------------------------------------------------------- screens


def test_periods_page_offers_the_close_only_after_the_year_has_ended(client, closable, supervisor):
    preview_url = reverse("ledger:fiscal_year_close", args=[closable.pk])
    with time_machine.travel(MID_YEAR, tick=False):
        client.force_login(supervisor)
        page = client.get(reverse("ledger:period_list")).content.decode()
    assert preview_url not in page
    assert "opens once the year's last period has ended, after June 30, 2027" in page
    with time_machine.travel(AFTER_YEAR_END, tick=False):
        client.force_login(supervisor)
        page = client.get(reverse("ledger:period_list")).content.decode()
    assert f'href="{preview_url}"' in page
    assert "Review year-end closing entries" in page


def test_mid_year_preview_says_why_and_a_forged_confirmation_posts_nothing(
    client, closable, supervisor
):
    url = reverse("ledger:fiscal_year_close", args=[closable.pk])
    with time_machine.travel(MID_YEAR, tick=False):
        client.force_login(supervisor)
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200
        assert "its closing entries can be posted from July 1, 2027" in page
        assert "Post 1 closing entry" not in page
        digest = year_end_plan(closable).digest
        response = client.post(url, {"idempotency_key": "forged", "digest": digest})
    assert response.status_code == 200
    assert "its closing entries can be posted from July 1, 2027" in response.content.decode()
    assert not closing_entries().exists()


def test_preview_shows_the_lines_and_the_confirmation_posts_them_once(
    client, closable, supervisor, after_year_end
):
    client.force_login(supervisor)
    url = reverse("ledger:fiscal_year_close", args=[closable.pk])
    response = client.get(url)
    assert response.status_code == 200
    # The preview posts nothing.
    assert not closing_entries().exists()
    plan = response.context["plan"]
    assert [
        (line.account.number, line.debit, line.credit, line.memo)
        for closing in plan.funds
        for line in closing.lines
    ] == [
        ("501-1100-4411", D("355.25"), None, "Year-end close"),
        ("501-1100-5210", None, D("40.00"), "Year-end close"),
        ("501-0000-3100", None, D("315.25"), "Result of the year"),
    ]
    page = response.content.decode()
    for text in (
        "Year-end close of FY 2027",
        "501 Water Fund",
        "501-1100-4411",
        "$355.25",
        "501-1100-5210",
        "$40.00",
        "501-0000-3100",
        "Result of the year",
        "dated 2027-06-30 in period 13",
        "Post 1 closing entry",
    ):
        assert text in page, text
    form = response.context["form"]
    data = {name: form[name].value() for name in ("idempotency_key", "digest")}
    # A double-click: the same confirmation twice posts one entry and says so twice.
    first = client.post(url, data, follow=True)
    entry = closing_entries().get()
    assert f"FY 2027 closed to fund balance: JE {entry.number}." in first.content.decode()
    second = client.post(url, data, follow=True)
    assert f"FY 2027 closed to fund balance: JE {entry.number}." in second.content.decode()
    assert closing_entries().count() == 1
    assert entry.prepared_by == supervisor
    assert sorted(entry.lines.values_list("account__number", "amount")) == [
        ("501-0000-3100", D("-315.25")),
        ("501-1100-4411", D("355.25")),
        ("501-1100-5210", D("-40.00")),
    ]
    # Afterwards the preview has nothing left to post.
    response = client.get(url)
    assert "Nothing to close" in response.content.decode()
    assert not response.context["plan"].can_post


def test_only_the_supervisor_sees_or_confirms_the_close(
    client, closable, technician, after_year_end
):
    client.force_login(technician)
    url = reverse("ledger:fiscal_year_close", args=[closable.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"idempotency_key": "k", "digest": "0" * 64}).status_code == 403
    assert not closing_entries().exists()


def test_periods_page_offers_no_close_for_a_year_whose_adjustment_period_is_closed(
    client, closable, supervisor
):
    preview_url = reverse("ledger:fiscal_year_close", args=[closable.pk])
    with time_machine.travel(AFTER_YEAR_END, tick=False):
        close_period(
            FiscalPeriod.objects.get(fiscal_year=closable, number=13),
            actor=supervisor,
            reason="Year closed",
        )
        client.force_login(supervisor)
        page = client.get(reverse("ledger:period_list")).content.decode()
    assert preview_url not in page
    assert "Closed: its adjustment period is closed" in page
