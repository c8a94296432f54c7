"""The keyboard way through a page: the skip link comes first and shows when focused; the
section menus' links are not tab stops until their section is opened with its toggle."""

import pytest
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from tests.browser.test_foundation import log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement, box = el.getBoundingClientRect();
            return {
                text: el.textContent.trim(), cls: el.className,
                inMenu: !!el.closest('.mainnav .menu'), inMain: !!el.closest('main'),
                visible: box.width > 0 && box.left >= 0 && box.top >= 0,
            };
        }"""
    )


def test_the_skip_link_comes_first_and_the_menus_stay_out_of_the_tab_order(
    page, live_server, screenshot
):
    make_user(Role.ACCOUNTING_TECHNICIAN)
    log_in(page, live_server, "t_tech")
    page.goto(f"{live_server.url}/ledger/entries/")

    page.keyboard.press("Tab")
    first = focused(page)
    assert (first["cls"], first["text"], first["visible"]) == ("skip-link", "Skip to content", True)
    screenshot(page, "skip-link")

    stops = 1
    while not focused(page)["inMain"]:
        page.keyboard.press("Tab")
        stops += 1
        assert not focused(page)["inMenu"], "a closed menu's link took focus"
        assert stops < 30
    # The brand, the account links, Home, each section and its toggle, this section's
    # links: about twenty (a technician has Cashiering's section for mail batches and
    # lockbox imports, and Payables'), where every menu link used to be one too.
    assert stops <= 24

    # The skip link takes the keyboard straight to the page's content.
    page.goto(f"{live_server.url}/ledger/entries/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page)["inMain"]
    assert page.problems == []


def test_a_section_menu_opens_and_closes_from_the_keyboard(page, live_server, screenshot):
    make_user(Role.ACCOUNTING_TECHNICIAN)
    log_in(page, live_server, "t_tech")
    toggle = page.locator(".mainnav .menu-toggle").first
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".mainnav .menu").first).to_be_hidden()

    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    assert focused(page)["inMenu"]
    screenshot(page, "nav-menu-open")

    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.locator(".mainnav .menu").first).to_be_hidden()
    assert page.problems == []
