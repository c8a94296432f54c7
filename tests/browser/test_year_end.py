"""The year-end close in a real browser: refused mid-year, shown before it is posted after
the year, and posted once however the Post button is clicked."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from ledger.models import AccountType, Department, Fund, FundType, JournalEntry, ObjectCode
from ledger.services import LineSpec, create_account, create_fiscal_year, post_entry
from millbrae_finance.roles import Role
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def fy2027(db):
    """FY 2027 with a Water Fund year: sales 355.25, postage 40.00, and a General Fund
    year: rentals 1,200.00, salaries 950.00."""
    year = create_fiscal_year(2027)
    nondept = Department.objects.create(code="0000", name="Non-departmental")
    operations = Department.objects.create(code="4100", name="Operations")
    objects = {
        code: ObjectCode.objects.create(code=code, name=name, account_type=kind)
        for code, name, kind in [
            ("1010", "Pooled cash", AccountType.ASSET),
            ("3100", "Fund balance", AccountType.FUND_BALANCE),
            ("4411", "Water sales", AccountType.REVENUE),
            ("4710", "Facility rentals", AccountType.REVENUE),
            ("5110", "Salaries and wages", AccountType.EXPENDITURE),
            ("5210", "Postage", AccountType.EXPENDITURE),
        ]
    }
    for code, name, fund_type, nominal in [
        ("101", "General Fund", FundType.GENERAL, ("4710", "5110")),
        ("501", "Water Enterprise", FundType.ENTERPRISE, ("4411", "5210")),
    ]:
        fund = Fund.objects.create(code=code, name=name, fund_type=fund_type)
        for obj in ("1010", "3100"):
            create_account(fund=fund, department=nondept, object_code=objects[obj])
        for obj in nominal:
            create_account(fund=fund, department=operations, object_code=objects[obj])
    technician = make_user(Role.ACCOUNTING_TECHNICIAN)
    for number, (debit, credit, amount, day) in enumerate(
        [
            ("501-0000-1010", "501-4100-4411", "355.25", dt.date(2026, 8, 3)),
            ("501-4100-5210", "501-0000-1010", "40.00", dt.date(2026, 8, 20)),
            ("101-0000-1010", "101-4100-4710", "1200.00", dt.date(2026, 9, 9)),
            ("101-4100-5110", "101-0000-1010", "950.00", dt.date(2026, 10, 30)),
        ]
    ):
        post_entry(
            entry_date=day,
            lines=[LineSpec(debit, Decimal(amount)), LineSpec(credit, -Decimal(amount))],
            memo=f"Activity {number}",
            source_module="ledger",
            idempotency_key=f"browser-year-end-{number}",
            prepared_by=technician,
        )
    make_user(Role.FINANCE_SUPERVISOR)
    return year


def test_supervisor_reviews_the_year_end_close_and_posts_it_once(
    browser, page, live_server, screenshot, fy2027
):
    with time_machine.travel("2026-12-04 10:00 -08:00"):
        log_in(page, live_server, "t_supervisor")
        page.goto(f"{live_server.url}/ledger/periods/")
        expect(page.locator(".year-close").first).to_contain_text(
            "opens once the year's last period has ended, after June 30, 2027"
        )
        assert page.locator("text=Review year-end closing entries").count() == 0
        # The address typed by hand: the preview says why, and offers no Post button.
        page.goto(f"{live_server.url}/ledger/fiscal-years/{fy2027.pk}/close/")
        expect(page.locator(".problems")).to_contain_text("can be posted from July 1, 2027")
        assert page.locator("button.primary").count() == 0
        screenshot(page, "year-end-close-refused-mid-year")

    with time_machine.travel("2027-07-06 10:00 -07:00"):
        log_in(page, live_server, "t_supervisor")
        page.goto(f"{live_server.url}/ledger/periods/")
        page.click("text=Review year-end closing entries")
        page.wait_for_url(f"**/ledger/fiscal-years/{fy2027.pk}/close/")
        water = page.locator("section", has_text="501 Water Enterprise")
        expect(water.locator("tbody tr")).to_have_count(3)
        expect(water.locator("tbody tr").last).to_contain_text("501-0000-3100")
        expect(water.locator("tbody tr").last).to_contain_text("$315.25")
        expect(water.locator("tbody tr").last).to_contain_text("Result of the year")
        general = page.locator("section", has_text="101 General Fund")
        expect(general.locator("tbody tr").last).to_contain_text("$250.00")
        assert JournalEntry.objects.filter(source_document="FY2027-CLOSE").count() == 0
        screenshot(page, "year-end-close-preview")
        page.locator("button.primary", has_text="Post 2 closing entries").dblclick()
        page.wait_for_url("**/ledger/periods/")
        expect(page.locator("ul.messages")).to_contain_text("FY 2027 closed to fund balance")
        screenshot(page, "year-end-close-posted")
    assert JournalEntry.objects.filter(source_document="FY2027-CLOSE").count() == 2
