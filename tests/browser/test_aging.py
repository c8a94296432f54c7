import datetime

import pytest
from playwright.sync_api import expect

from receivables.models import DunningNotice
from tests.browser.test_foundation import log_in
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import (  # noqa: F401 (fixtures)
    ar_chart,
    ar_fees,
    ar_users,
    make_citation,
    make_customer,
    make_invoice,
    pay,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_aging_drills_to_the_customer_panel_and_notices_are_sent(
    page,
    live_server,
    screenshot,
    ar_fees,  # noqa: F811 (the fixture imported above)
    ar_users,  # noqa: F811
):
    tech = ar_users["tech"]
    garcia = make_customer("Garcia, Maria", phone="650-259-2334")
    old = make_invoice(
        garcia,
        actor=tech,
        amount="148.00",
        invoice_date=datetime.date(2026, 6, 1),
        terms_days=30,
        description="Re-inspection",
    )
    pay(old.number, "invoice", "48.00", actor=ar_users["clerk"], day=datetime.date(2026, 8, 1))
    make_invoice(garcia, actor=tech, amount="85.00", invoice_date=datetime.date(2026, 11, 2))
    make_citation(actor=tech, customer=garcia, issue_date=datetime.date(2026, 9, 14))
    bakery = make_customer("Bayside Bakery LLC", kind="business", address_line1="301 Broadway")
    make_invoice(bakery, actor=tech, amount="1250.00", invoice_date=datetime.date(2026, 7, 15))
    make_citation(actor=tech, plate="8XYZ777", issue_date=datetime.date(2026, 10, 1))

    log_in(page, live_server, "ar_supervisor")
    page.click("nav.mainnav .section-link:has-text('Receivables')")
    page.click("nav.mainnav .subnav >> text=Aging")
    page.wait_for_url("**/receivables/aging/")
    table = page.locator("table.aging").first
    expect(table).to_contain_text("No customer — plate 8XYZ777")
    expect(table.locator("tfoot")).to_contain_text("$1,525.00")
    screenshot(page, "aging-by-customer")
    page.select_option("#id_by", "type")
    page.click("button:has-text('Show')")
    expect(page.locator("table.aging").first).to_contain_text("Citations and fines (fines AR)")
    screenshot(page, "aging-by-type")

    page.select_option("#id_by", "customer")
    page.click("button:has-text('Show')")
    page.locator("table.aging").first.get_by_text("Garcia, Maria").click()
    page.wait_for_url(f"**/receivables/customers/{garcia.pk}/")
    panel = page.locator(".receivables-panel")
    expect(panel.locator(".total-owed")).to_contain_text("$230.00")
    expect(panel).to_contain_text(old.number)
    expect(panel).to_contain_text("Statement PDF")
    screenshot(page, "aging-customer-panel")
    assert page.problems == []

    page.goto(f"{live_server.url}/receivables/notices/")
    preview = page.locator(".notice-preview")
    expect(preview).to_contain_text("Bayside Bakery LLC")
    expect(preview).to_contain_text("Garcia, Maria")
    screenshot(page, "aging-notices-preview")
    page.click("button:has-text('Send 2 notices')")
    # Sending is a background job: its page follows it, then links back to the notices.
    page.wait_for_url("**/jobs/*/")
    run_queued_jobs()
    expect(page.locator(".job-progress")).to_contain_text("2 notices recorded")
    screenshot(page, "aging-notices-job-done")
    page.click("text=2 notices recorded")
    assert DunningNotice.objects.count() == 2
    expect(page.locator(".notice-runs")).to_contain_text("Notices PDF")
    screenshot(page, "aging-notices-sent")
    assert page.problems == []
