import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode
from ledger.services import LineSpec, create_account, create_fiscal_year, post_entry
from ledger.services.chart_import import IMPORT_COLUMNS
from millbrae_finance.roles import Role
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_chart() -> None:
    general = Fund.objects.create(code="101", name="General Fund", fund_type=FundType.GENERAL)
    water = Fund.objects.create(code="501", name="Water Fund", fund_type=FundType.ENTERPRISE)
    nondept = Department.objects.create(code="0000", name="Non-departmental")
    Department.objects.create(code="4100", name="Water Operations")
    objects = [
        ObjectCode.objects.create(code=code, name=name, account_type=kind)
        for code, name, kind in [
            ("1010", "Pooled cash", AccountType.ASSET),
            ("4411", "Water sales", AccountType.REVENUE),
        ]
    ]
    for fund in (general, water):
        create_account(fund=fund, department=nondept, object_code=objects[0])


def test_admin_opens_an_account_and_finds_it_with_the_search_box(
    page, live_server, screenshot, small_chart
):
    make_user(Role.ADMINISTRATOR)
    log_in(page, live_server, "t_admin")
    nav_to(page, "Accounts")
    page.wait_for_url("**/ledger/accounts/")
    expect(page.locator("#results")).to_contain_text("2 accounts")
    screenshot(page, "chart-account-list")

    page.click("text=New account")
    page.wait_for_url("**/ledger/accounts/new/")
    page.select_option("#id_fund", label="501 Water Fund")
    page.select_option("#id_department", label="4100 Water Operations")
    page.select_option("#id_object_code", label="4411 Water sales")
    # HTMX shows the number, type and normal balance the segments make.
    identity = page.locator("#identity")
    expect(identity).to_contain_text("501-4100-4411")
    expect(identity).to_contain_text("Revenue")
    expect(identity).to_contain_text("Credit")
    page.fill("#id_name", "Water sales, metered")
    screenshot(page, "chart-account-form")
    page.click("button:has-text('Open account')")
    page.wait_for_url("**/ledger/accounts/")
    expect(page.locator(".messages")).to_contain_text("Account 501-4100-4411")
    assert Account.objects.get(number="501-4100-4411").name == "Water sales, metered"

    # Search as you type: the results swap in place and the URL follows.
    page.locator("#id_q").press_sequentially("metered", delay=30)
    page.wait_for_url(re.compile(r".*\?.*q=metered"))
    results = page.locator("#results")
    expect(results).to_contain_text("1 account")
    expect(results).to_contain_text("501-4100-4411")
    expect(results).not_to_contain_text("101-0000-1010")
    assert page.problems == []
    screenshot(page, "chart-account-search")

    page.click("#results >> text=501-4100-4411")
    page.wait_for_url("**/ledger/accounts/*/")
    screenshot(page, "chart-account-edit")

    page.click(".crumbs >> text=Chart of accounts")
    page.click(".subnav >> text=Funds")
    page.wait_for_url("**/ledger/funds/")
    expect(page.locator("table.data")).to_contain_text("Water Fund")
    screenshot(page, "chart-fund-list")
    page.click("text=New fund")
    page.fill("#id_code", "60")
    page.click("button:has-text('Add fund')")
    expect(page.locator(".field.invalid").first).to_contain_text("A fund code is 3 digits")
    screenshot(page, "chart-fund-form-invalid")


def test_admin_imports_a_chart_file_after_a_preview(
    page, live_server, screenshot, small_chart, tmp_path
):
    make_user(Role.ADMINISTRATOR)
    log_in(page, live_server, "t_admin")
    page.goto(f"{live_server.url}/ledger/accounts/import/")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(IMPORT_COLUMNS) + "\n"
        "601,Parking Fund,special_revenue,2100,Police,4610,Parking fines,revenue,,yes,,yes\n"
        "501,,,0000,,4411,,expenditure,,maybe,,yes\n"
    )
    page.set_input_files("#id_file", str(bad))
    page.click("button:has-text('Check the file')")
    expect(page.locator(".problems")).to_contain_text("Nothing was imported")
    expect(page.locator(".problems")).to_contain_text("allows_posting 'maybe' is not yes or no.")
    screenshot(page, "chart-import-errors")

    good = tmp_path / "good.csv"
    good.write_text(
        ",".join(IMPORT_COLUMNS) + "\n"
        "601,Parking Fund,special_revenue,2100,Police,4610,Parking fines,revenue,,yes,,yes\n"
        '601,Parking Fund,special_revenue,0000,,1010,,,"Parking: cash, ""pooled""",yes,,yes\n'
    )
    page.set_input_files("#id_file", str(good))
    page.click("button:has-text('Check the file')")
    expect(page.locator("#preview")).to_contain_text("1 fund created")
    screenshot(page, "chart-import-preview")
    assert not Fund.objects.filter(code="601").exists()
    # The previewed text goes back in a hidden field, quotes and line breaks intact.
    page.click("button:has-text('Import these changes')")
    page.wait_for_url("**/ledger/accounts/")
    expect(page.locator(".messages")).to_contain_text("Chart imported")
    assert Account.objects.get(number="601-0000-1010").name == 'Parking: cash, "pooled"'
    assert Account.objects.filter(number="601-2100-4610").exists()
    assert page.problems == []


def test_an_account_with_postings_shows_its_number_fixed(
    page, live_server, screenshot, small_chart
):
    admin = make_user(Role.ADMINISTRATOR)
    cash = Account.objects.get(number="101-0000-1010")
    sales = create_account(
        fund=cash.fund, department=cash.department, object_code=ObjectCode.objects.get(code="4411")
    )
    create_fiscal_year(2027)
    post_entry(
        entry_date=dt.date(2026, 11, 15),
        lines=[LineSpec(cash, Decimal("25.00")), LineSpec(sales, Decimal("-25.00"))],
        memo="Counter sale",
        source_module="test",
        idempotency_key="browser-chart-1",
        prepared_by=admin,
    )
    log_in(page, live_server, "t_admin")
    page.goto(f"{live_server.url}/ledger/accounts/{cash.pk}/")
    expect(page.locator(".notice")).to_contain_text("Its number is its identity")
    for select in ("#id_fund", "#id_department", "#id_object_code"):
        expect(page.locator(select)).to_be_disabled()
    page.fill("#id_name", "Pooled cash and investments")
    screenshot(page, "chart-account-edit-locked")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/ledger/accounts/")
    cash.refresh_from_db()
    assert (cash.number, cash.name) == ("101-0000-1010", "Pooled cash and investments")
    assert page.problems == []
