"""The utility account page in a browser: tabs switch by HTMX (the URL follows, Back
works), keyboard only; a leak adjustment prepared by a technician shows its arithmetic."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_foundation import log_in
from tests.utility_billing.conftest import ub_users  # noqa: F401 (a fixture)
from tests.utility_billing.test_adjustments import billed  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_account_tabs_switch_in_place(page, live_server, screenshot, billed):  # noqa: F811
    account = billed["accounts"]["A2"]
    log_in(page, live_server, billed["tech"].username)
    page.goto(f"{live_server.url}/utility/accounts/{account.pk}/")
    expect(page.locator("h1")).to_contain_text(account.number)
    screenshot(page, "utility-account-summary")
    tabs = page.get_by_role("navigation", name="Account sections")
    tabs.get_by_role("link", name="Reads").click()
    page.wait_for_url("**?tab=reads")
    expect(page.locator("svg.chart")).to_be_visible()
    expect(tabs.get_by_role("link", name="Reads")).to_have_attribute("aria-current", "page")
    screenshot(page, "utility-account-reads")
    # Keyboard: focus the Bills tab and press Enter.
    tabs.get_by_role("link", name="Bills").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**?tab=bills")
    expect(page.locator("#account-panel")).to_contain_text("336.50")
    # The swap keeps the keyboard where it was: on the tab just chosen.
    expect(tabs.get_by_role("link", name="Bills")).to_be_focused()
    screenshot(page, "utility-account-bills")
    page.go_back()
    page.wait_for_url("**?tab=reads")
    expect(page.locator("svg.chart")).to_be_visible()
    tabs.get_by_role("link", name="Adjustments").click()
    page.get_by_role("link", name="Leak adjustment").click()
    page.get_by_label("Bill with the leak").select_option(str(billed["november"].pk))
    page.get_by_label("Repaired on").fill("2026-11-12")
    page.get_by_label("Proof of repair").fill("Ace Plumbing invoice 4411")
    page.get_by_label("Reason").fill("Broken irrigation line, repaired.")
    screenshot(page, "utility-leak-form")
    page.get_by_role("button", name="Prepare leak adjustment").click()
    expect(page.locator(".arithmetic")).to_contain_text("50% of $130.25 = $65.13")
    screenshot(page, "utility-leak-detail")
    assert not page.problems
