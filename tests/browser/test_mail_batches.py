"""A mail batch keyed in headless Chromium with the keyboard only: the clerk opens a batch
with its control figures, types account, Enter, amount, Enter, check number, Enter for
each check, sees each account's customer as the number is typed and the difference fall
to zero, and posts with Alt+P. A technician's lockbox import page, a refused file and a
posted one are looked at too."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from cashiering.models import BatchStatus, PaymentBatch
from tests.browser.test_foundation import log_in
from tests.cashiering.conftest import cash_in_drawers
from tests.jobs_helpers import run_queued_jobs
from tests.utility_billing.conftest import ub_users  # noqa: F401  (a fixture used here)
from tests.utility_billing.payment_helpers import billed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def after_the_bills():
    with time_machine.travel(datetime.datetime(2026, 12, 20, 10, 0), tick=True):
        yield


def test_a_clerk_keys_a_mail_batch_by_keyboard(
    page,
    live_server,
    screenshot,
    ub_users,  # noqa: F811
    after_the_bills,
):
    billing = billed(ub_users, second=True)
    cash_in_drawers()
    a1, a2 = billing["accounts"]["A1"], billing["accounts"]["A2"]

    log_in(page, live_server, "ub_clerk")
    page.goto(f"{live_server.url}/cashiering/batches/new/")
    expect(page.get_by_label("Date received")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("194.80")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    screenshot(page, "cashiering-mail-batch-new")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cashiering/batches/*/")

    expect(page.get_by_label("Account, row 1")).to_be_focused()
    page.keyboard.type(a1.number)
    expect(page.locator("td.who").first).to_contain_text(a1.customer.name)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Amount, row 1")).to_be_focused()
    page.keyboard.type("144.80")
    page.keyboard.press("Enter")
    page.keyboard.type("3001")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Account, row 2")).to_be_focused()
    page.keyboard.type(a2.number)
    expect(page.locator("td.who").nth(1)).to_contain_text(a2.customer.name)
    page.keyboard.press("Enter")
    page.keyboard.type("50")
    expect(page.locator("[data-difference]")).to_have_text("$0.00")
    page.keyboard.press("Enter")
    page.keyboard.type("3002")
    expect(page.locator("[data-total]")).to_have_text("$194.80")
    expect(page.locator("[data-count]")).to_have_text("2")
    expect(page.locator("[data-difference]")).to_have_class("balanced")
    screenshot(page, "cashiering-mail-batch-entry")
    # Alt+P posts (the button's access key); a second press finds the page gone.
    page.keyboard.press("Alt+p")
    page.wait_for_load_state("networkidle")
    screenshot(page, "cashiering-mail-batch-posted")
    expect(page.get_by_text("posted: 2 checks")).to_be_visible()
    screenshot(page, "cashiering-mail-batch-posted")
    batch = PaymentBatch.objects.get()
    assert batch.status == BatchStatus.POSTED
    assert [i.check_number for i in batch.items.all()] == ["3001", "3002"]
    assert page.problems == []

    page.goto(f"{live_server.url}/cashiering/batches/")
    screenshot(page, "cashiering-batch-list")

    # The technician's lockbox page: the layout, a refused file, a posted one.
    page.context.clear_cookies()
    log_in(page, live_server, "ub_tech")
    page.goto(f"{live_server.url}/cashiering/lockbox/")
    screenshot(page, "cashiering-lockbox-import")
    page.get_by_label("Lockbox or online-payments file (CSV)").set_input_files(
        files=[
            {
                "name": "bad.csv",
                "mimeType": "text/csv",
                "buffer": b"account_number,amount,paid_on\nZZ,0,2026-12-19\nZZ,1.005,x\n",
            }
        ]
    )
    page.get_by_role("button", name="Upload and post").press("Enter")
    expect(page.get_by_text("problems to fix: nothing was posted")).to_be_visible()
    screenshot(page, "cashiering-lockbox-refused")
    page.goto(f"{live_server.url}/cashiering/lockbox/")
    good = f"account_number,amount,paid_on\n{a2.number},25.00,2026-12-19\nTOTAL,25.00,,1\n"
    page.get_by_label("Lockbox or online-payments file (CSV)").set_input_files(
        files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    page.get_by_role("button", name="Upload and post").press("Enter")
    page.wait_for_load_state("networkidle")
    screenshot(page, "cashiering-lockbox-queued")
    expect(page.get_by_text("Waiting for a worker")).to_be_visible()
    run_queued_jobs()
    page.reload()
    expect(page.get_by_text("Already in the bank")).to_be_visible()
    screenshot(page, "cashiering-lockbox-posted")
    assert page.problems == []
