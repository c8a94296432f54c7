"""After the close, in headless Chromium: the supervisor finds a receipt by its number,
records the check on it the bank returned, and reverses another receipt of the closed
session; the screens are screenshotted for a person to look at."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from cashiering.models import ReceiptReversal, ReturnedCheck
from cashiering.services.closing import CountSpec, close_and_count
from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
from tests.browser.test_foundation import log_in
from tests.cashiering.conftest import cash_in_drawers, cash_over_short, make_drawer, make_session
from tests.receivables.conftest import ar_chart, ar_fees, ar_users  # noqa: F401  (fixtures)
from tests.utility_billing.conftest import ub_users  # noqa: F401  (a fixture used here)
from tests.utility_billing.payment_helpers import billed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def after_the_bills():
    with time_machine.travel(datetime.datetime(2026, 12, 20, 10, 0), tick=True):
        yield


def test_the_supervisor_records_a_returned_check_and_reverses_a_receipt(
    page,
    live_server,
    screenshot,
    ub_users,  # noqa: F811
    ar_fees,  # noqa: F811
    after_the_bills,
):
    billing = billed(ub_users, second=True)
    cash_in_drawers()
    cash_over_short()
    session = make_session(ub_users["clerk"], make_drawer("D1"))
    a1, a2 = billing["accounts"]["A1"], billing["accounts"]["A2"]
    paid_by_check = post_receipt(
        session,
        items=[
            ItemSpec("utility-account", a1.number, D("100.00"), customer=a1.customer.name),
            ItemSpec("utility-account", a2.number, D("40.00"), customer=a2.customer.name),
        ],
        tenders=[
            TenderSpec("check", D("120.00"), check_number="5001"),
            TenderSpec("cash", D("20.00")),
        ],
        idempotency_key="browser-nsf",
        actor=ub_users["clerk"],
    )
    wrong = post_receipt(
        session,
        items=[ItemSpec("utility-account", a2.number, D("15.00"), customer=a2.customer.name)],
        tenders=[TenderSpec("cash", D("15.00"))],
        idempotency_key="browser-wrong",
        actor=ub_users["clerk"],
    )
    close_and_count(session, spec=CountSpec(), actor=ub_users["clerk"])

    log_in(page, live_server, "ub_supervisor")
    page.goto(f"{live_server.url}/cashiering/receipts/")
    page.get_by_label("Receipt number").fill(paid_by_check.display_number)
    page.get_by_label("Receipt number").press("Enter")
    expect(page.locator("#results")).not_to_contain_text(wrong.display_number)
    screenshot(page, "cashiering-receipt-list")
    page.get_by_role("link", name=paid_by_check.display_number).click()
    page.get_by_role("link", name="Returned check…").click()
    expect(page.get_by_label("Amount returned")).to_have_value("120.00")
    page.get_by_label("Amount returned").fill("120.01")
    page.get_by_label("Bank's reason").fill("NSF")
    page.get_by_role("button", name="Record the returned check").click()
    expect(page.locator("#id_amount_error")).to_contain_text("was for 120.00")
    screenshot(page, "cashiering-returned-check-form")
    page.get_by_label("Amount returned").fill("120.00")
    page.get_by_role("button", name="Record the returned check").click()
    expect(page.locator(".messages")).to_contain_text("Check 5001 is recorded as returned")
    expect(page.get_by_role("heading", name="Returned checks")).to_be_visible()
    screenshot(page, "cashiering-returned-check")
    assert ReturnedCheck.objects.get().amount == D("120.00")

    page.goto(f"{live_server.url}/cashiering/receipts/{wrong.pk}/")
    page.get_by_role("link", name="Reverse…").click()
    page.get_by_label("Why is the receipt reversed?").fill("Paid to the wrong account")
    screenshot(page, "cashiering-reverse-form")
    page.get_by_role("button", name="Reverse the receipt").dblclick()
    expect(page.locator(".messages")).to_contain_text(f"Receipt {wrong.display_number} is reversed")
    screenshot(page, "cashiering-receipt-reversed")
    assert ReceiptReversal.objects.count() == 1
    assert not page.problems
