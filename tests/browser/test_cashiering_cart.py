"""The counter's cart keeps every amount typed: adding another item (by keyboard, from
the search) used to reload the cart with each item's amount due, losing what the clerk
had typed for the items already there."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.test_foundation import log_in
from tests.cashiering.conftest import cash_in_drawers, make_drawer, make_session
from tests.utility_billing.conftest import ub_users  # noqa: F401  (a fixture used here)
from tests.utility_billing.payment_helpers import billed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def after_the_bills():
    with time_machine.travel(datetime.datetime(2026, 12, 20, 10, 0), tick=True):
        yield


def _add(page, text: str, number: str) -> None:
    search = page.get_by_label("Account, customer, citation or invoice")
    search.fill(text)
    expect(page.locator("[data-counter-result]", has_text=number)).to_be_visible()
    page.locator("[data-counter-result]", has_text=number).first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label(f"Amount for {number}")).to_be_visible()


def test_adding_an_item_keeps_the_amounts_typed(
    page,
    live_server,
    screenshot,
    ub_users,  # noqa: F811
    after_the_bills,
):
    billing = billed(ub_users, second=True)
    cash_in_drawers()
    make_session(ub_users["clerk"], make_drawer("D1"))
    a1, a2 = billing["accounts"]["A1"], billing["accounts"]["A2"]

    log_in(page, live_server, "ub_clerk")
    page.goto(f"{live_server.url}/cashiering/counter/")
    _add(page, a1.number, a1.number)
    first = page.get_by_label(f"Amount for {a1.number}")
    expect(first).to_have_value("245.05")
    first.fill("12.34")  # a partial payment, typed and not yet sent anywhere

    _add(page, a2.number, a2.number)
    expect(page.get_by_label(f"Amount for {a1.number}")).to_have_value("12.34")
    second = page.get_by_label(f"Amount for {a2.number}")
    second.fill("5.00")

    _add(page, "101 Elm", a1.number)  # already in the cart: a message, nothing lost
    expect(page.get_by_label(f"Amount for {a1.number}")).to_have_value("12.34")
    expect(page.get_by_label(f"Amount for {a2.number}")).to_have_value("5.00")
    screenshot(page, "cashiering-cart-kept")
    assert not page.problems
