import pytest
from playwright.sync_api import expect

from millbrae_finance.models import CityClosure
from millbrae_finance.roles import Role
from tests.browser.conftest import nav_to
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/accounts/login/**")
    # Keyboard only: the username field has focus, Tab to the password, Enter submits.
    # Autofocus lands after the load event; typing before it would go nowhere.
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_clerk_logs_in_with_the_keyboard_and_sees_the_clerk_home(page, live_server, screenshot):
    make_user(Role.COUNTER_CLERK)
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "login")
    log_in(page, live_server, "t_clerk")
    assert page.locator("h1").inner_text().startswith("Good day")
    assert "Work waiting for Counter Clerk" in page.content()
    nav = page.locator("nav.mainnav").inner_text()
    assert "Home" in nav
    assert "Audit trail" not in nav
    # HTMX loaded from static/ under the strict CSP, with no console errors.
    assert page.evaluate("window.htmx && window.htmx.version") == "2.0.11"
    assert page.problems == []
    screenshot(page, "home-clerk")


def test_wrong_password_shows_a_message(page, live_server):
    make_user(Role.COUNTER_CLERK)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "t_clerk")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    errors = page.locator(".errors").inner_text()
    assert "Please enter a correct username and password" in errors


def test_auditor_filters_the_audit_trail_in_place(page, live_server, screenshot):
    make_user(Role.AUDITOR)
    CityClosure.objects.create(date="2026-12-24", name="Christmas Eve closure")
    log_in(page, live_server, "t_auditor")
    nav_to(page, "Audit trail")
    page.wait_for_url("**/audit/")
    page.select_option("#id_model", "millbrae_finance.CityClosure")
    # HTMX swaps the results on change, without a page load, and pushes the URL.
    page.wait_for_url("**/audit/?model=millbrae_finance.CityClosure**")
    results = page.locator("#results")
    assert "1 event" in results.inner_text()
    assert "Christmas Eve closure" in results.inner_text()
    assert page.problems == []
    screenshot(page, "audit-log")
    page.click("#results >> text=City closure #")
    page.wait_for_url("**/audit/millbrae_finance.CityClosure/**")
    assert "history" in page.locator("h1").inner_text()
    screenshot(page, "audit-history")


def test_focus_is_visible_on_keyboard_navigation(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_auditor_sees_filter_errors_next_to_the_field(page, live_server, screenshot):
    make_user(Role.AUDITOR)
    log_in(page, live_server, "t_auditor")
    page.goto(f"{live_server.url}/audit/")
    page.fill("#id_date_from", "2026-11-27")
    page.fill("#id_date_to", "2026-11-01")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#id_date_to_error")).to_have_text("The end date is before the start date.")
    assert page.locator("#id_date_to").get_attribute("aria-describedby") == "id_date_to_error"
    assert page.locator("nav.mainnav .subnav a[aria-current=page]").inner_text() == "Audit trail"
    screenshot(page, "audit-log-error")
    # Correcting the range clears the error.
    page.fill("#id_date_to", "2026-12-31")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#id_date_to_error")).to_be_empty()
    assert page.problems == []


def test_forbidden_page_is_styled_and_logout_confirms(page, live_server, screenshot):
    make_user(Role.COUNTER_CLERK)
    log_in(page, live_server, "t_clerk")
    response = page.goto(f"{live_server.url}/admin/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"
    screenshot(page, "forbidden")
    page.goto(f"{live_server.url}/accounts/logout/")
    assert page.locator("h1").inner_text() == "Log out?"
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/login/")
    assert "You are logged out." in page.locator(".messages").inner_text()
