import re

import pytest
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from receivables.models import Customer
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.conftest import make_user
from tests.receivables.conftest import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_finds_a_customer_by_street_and_first_name_and_edits_the_phone(
    page, live_server, screenshot
):
    make_customer("Garcia, Maria", address_line1="1250 Hillcrest Blvd", phone="650-259-2334")
    make_customer("Garcia, Jose", address_line1="77 Magnolia Ave", phone="650-259-1111")
    make_customer("Nguyen, Maria", address_line1="8 Murchison Dr", email="mnguyen@example.com")
    make_customer(
        "Bayside Bakery LLC", kind="business", address_line1="301 Broadway", phone="650-555-0101"
    )
    make_user(Role.ACCOUNTING_TECHNICIAN)
    log_in(page, live_server, "t_tech")
    nav_to(page, "Customers")
    page.wait_for_url("**/receivables/customers/")
    expect(page.locator("#results")).to_contain_text("4 customers")
    screenshot(page, "customers-list")

    # Search as you type: part of the street and a first name, in that order.
    page.locator("#id_q").press_sequentially("hillc maria", delay=30)
    page.wait_for_url(re.compile(r".*\?.*q=hillc(\+|%20)maria"))
    results = page.locator("#results")
    expect(results).to_contain_text("1 customer")
    expect(results).to_contain_text("Garcia, Maria")
    expect(results).not_to_contain_text("Nguyen")
    screenshot(page, "customers-search")

    page.click("#results >> text=Garcia, Maria")
    page.wait_for_url("**/receivables/customers/*/")
    expect(page.locator("h1")).to_contain_text("Garcia, Maria")
    screenshot(page, "customers-detail")

    page.click("text=Edit")
    page.wait_for_url("**/edit/")
    page.fill("#id_phone", "(650) 555 0199")
    screenshot(page, "customers-edit")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/receivables/customers/*/")
    expect(page.locator(".messages")).to_contain_text("saved")
    expect(page.locator("main")).to_contain_text("650-555-0199")
    assert page.problems == []
    screenshot(page, "customers-saved")
    customer = Customer.objects.get(name="Garcia, Maria")
    assert customer.phone_digits == "6505550199 5550199"


def test_senior_previews_and_merges_a_duplicate(page, live_server, screenshot):
    survivor = make_customer(
        "Garcia, Maria", address_line1="1250 Hillcrest Blvd", phone="650-259-2334"
    )
    duplicate = make_customer(
        "Garcia, Maria", address_line1="1250 Hillcrest Blvd", email="maria@example.com",
        notes="Check returned.", do_not_accept_checks=True,
    )  # fmt: skip
    make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)
    log_in(page, live_server, "t_senior")
    page.goto(f"{live_server.url}/receivables/customers/{duplicate.pk}/")
    page.click("text=Merge into another customer")
    page.fill("#id_survivor", survivor.number)
    page.click("button:has-text('Preview')")
    expect(page.locator("table.merge-preview")).to_contain_text("maria@example.com")
    screenshot(page, "customers-merge-preview")
    page.click(f"button:has-text('Merge {duplicate.number} into {survivor.number}')")
    page.wait_for_url(f"**/receivables/customers/{survivor.pk}/")
    expect(page.locator(".messages")).to_contain_text(f"Merged {duplicate.number}")
    expect(page.locator("h1")).to_contain_text("Do not accept checks")
    assert page.problems == []
    screenshot(page, "customers-merged")
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
