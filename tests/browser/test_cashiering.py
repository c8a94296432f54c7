"""The counter in headless Chromium, by keyboard: a clerk opens a drawer, finds an account
by typing part of its street, adds it with the arrow key and Enter, pays with cash and a
check, double-clicks Post and gets one receipt; a lead approves its void on the clerk's
screen; the clerk then counts and closes the drawer by keyboard (a dollar short) and a
lead verifies it."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from cashiering.models import CashSession, Receipt
from tests.browser.test_foundation import log_in
from tests.cashiering.conftest import cash_in_drawers, cash_over_short, make_drawer
from tests.conftest import TEST_PASSWORD
from tests.utility_billing.conftest import ub_users  # noqa: F401  (a fixture used here)
from tests.utility_billing.payment_helpers import billed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def after_the_bills():
    with time_machine.travel(datetime.datetime(2026, 12, 20, 10, 0), tick=True):
        yield


def test_a_clerk_takes_a_split_payment_by_keyboard(
    page,
    live_server,
    screenshot,
    ub_users,  # noqa: F811
    after_the_bills,
):
    billing = billed(ub_users, second=True)
    cash_in_drawers()
    cash_over_short()
    make_drawer("D1")
    a1 = billing["accounts"]["A1"]

    log_in(page, live_server, "ub_clerk")
    page.goto(f"{live_server.url}/cashiering/")
    page.get_by_label("Opening float counted").fill("100.00")
    page.get_by_label("Opening float counted").press("Enter")
    page.wait_for_url("**/cashiering/counter/")

    search = page.get_by_label("Account, customer, citation or invoice")
    expect(search).to_be_focused()
    page.keyboard.type("elm")
    result = page.locator("[data-counter-result]", has_text=a1.number)
    expect(result).to_be_visible()
    screenshot(page, "cashiering-search")
    page.keyboard.press("ArrowDown")
    expect(page.locator("[data-counter-result]").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/cashiering/counter/")
    amount = page.get_by_label(f"Amount for {a1.number}")
    expect(amount).to_have_value("245.05")

    page.keyboard.press("Alt+c")
    page.get_by_label("Cash received").fill("50.00")
    page.get_by_label("Check amount").fill("200.00")
    page.get_by_label("Check number").fill("3001")
    page.get_by_label("Check number").blur()
    expect(page.locator("#totals")).to_contain_text("4.95")
    screenshot(page, "cashiering-counter")

    page.get_by_role("button", name="Post receipt").dblclick()
    expect(page.locator("h1")).to_contain_text("Receipt D1-000001")
    screenshot(page, "cashiering-receipt")
    assert Receipt.objects.count() == 1
    receipt = Receipt.objects.get()
    assert [t.kind for t in receipt.tenders.order_by("id")] == ["cash", "check"]

    # A same-day void: the lead types their own login on the clerk's screen.
    page.get_by_role("link", name="Void…").click()
    page.get_by_label("Reason").fill("Paid the wrong account")
    page.get_by_label("Approving lead's username").fill("ub_senior")
    page.get_by_label("Approving lead's password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Void the receipt").click()
    expect(page.locator(".messages")).to_contain_text("Receipt D1-000001 is void.")
    receipt.refresh_from_db()
    assert receipt.is_void

    # Close and balance: the receipt is void, so the drawer should hold the 100.00 float;
    # the clerk counts 99.00 (four twenties, a ten, a five, four ones) by keyboard.
    session = CashSession.objects.get()
    page.goto(f"{live_server.url}/cashiering/sessions/{session.pk}/")
    page.get_by_role("link", name="Count and close…").click()
    page.wait_for_url(f"**/cashiering/sessions/{session.pk}/close/")
    page.get_by_label("$100 bills").focus()
    for count in ["", "", "4", "1", "1", "", "4"]:  # $100, $50, $20, $10, $5, $2, $1
        if count:
            page.keyboard.type(count)
        page.keyboard.press("Tab")
    expect(page.locator("[data-cash-total]")).to_have_text("$99.00")
    screenshot(page, "cashiering-close")
    page.get_by_label("$1 bills").press("Enter")
    expect(page.locator(".messages")).to_contain_text("is closed, short 1.00")
    expect(page.get_by_role("heading", name="Counted against expected")).to_be_visible()
    expect(page.get_by_role("button", name="Verify the count")).to_have_count(0)
    screenshot(page, "cashiering-session-closed")

    page.context.clear_cookies()
    log_in(page, live_server, "ub_senior")
    page.goto(f"{live_server.url}/cashiering/sessions/{session.pk}/")
    page.get_by_role("button", name="Verify the count").click()
    expect(page.locator(".messages")).to_contain_text("is verified")
    screenshot(page, "cashiering-session-verified")
    session.refresh_from_db()
    assert (session.status, session.verified_by.username) == ("verified", "ub_senior")
    assert session.count.over_short == -1
    assert not page.problems
