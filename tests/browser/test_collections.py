import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from receivables.models import CollectionReferral, WriteOff, WriteOffStatus
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.receivables.conftest import (  # noqa: F401 (fixtures used by name)
    ar_chart,
    ar_fees,
    ar_users,
    make_citation,
    make_customer,
    make_invoice,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_requests_a_write_off_and_a_supervisor_approves_it(
    page,
    live_server,
    screenshot,
    ar_fees,  # noqa: F811 (fixtures imported above)
    ar_users,  # noqa: F811
):
    tech = ar_users["tech"]
    invoice = make_invoice(
        make_customer("Hillside Catering LLC", kind="business"),
        actor=tech,
        amount="148.00",
        invoice_date=datetime.date(2026, 7, 1),
    )
    make_invoice(
        make_customer("Okafor, James"),
        actor=tech,
        amount="312.50",
        invoice_date=datetime.date(2026, 6, 15),
    )
    citation = make_citation(actor=tech, issue_date=datetime.date(2026, 7, 20), plate="6TRK904")

    log_in(page, live_server, "ar_tech")
    nav_to(page, "Collections")
    page.wait_for_url("**/receivables/collections/")
    expect(page.locator("[role=status]").first).to_contain_text("3 candidates")
    screenshot(page, "collections-candidates")
    page.check(f"input[value='citation:{citation.pk}']")
    page.click("button:has-text('Refer the ticked items')")
    page.wait_for_url("**/receivables/collections/files/**")
    expect(page.locator("table.data")).to_contain_text("Peninsula Recovery Services")
    screenshot(page, "collections-files")
    referral = CollectionReferral.objects.get()

    # A month on, the agency reports: $30 collected so far, $9 of it its fee.
    page.click("nav.subnav >> text=Agency status import")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "peninsula-status.csv",
                "mimeType": "text/csv",
                "buffer": (
                    "referral_id,status,amount_collected,agency_fee,status_date\n"
                    f"{referral},collecting,30.00,9.00,{referral.referred_on}\n"
                    f"REF-999999,paid,10.00,1.00,{referral.referred_on}\n"
                ).encode(),
            }
        ],
    )
    page.click("button:has-text('Preview')")
    expect(page.locator("h2")).to_contain_text("1 row to fix: nothing was imported")
    screenshot(page, "collections-import-errors")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "peninsula-status.csv",
                "mimeType": "text/csv",
                "buffer": (
                    "referral_id,status,amount_collected,agency_fee,status_date\n"
                    f"{referral},collecting,30.00,9.00,{referral.referred_on}\n"
                ).encode(),
            }
        ],
    )
    page.click("button:has-text('Preview')")
    expect(page.locator("section.card")).to_contain_text("the City receives $21.00")
    screenshot(page, "collections-import-preview")
    page.click("button:has-text('Import 1 change')")
    expect(page.locator(".messages")).to_contain_text("1 referral changed")
    referral.refresh_from_db()
    assert referral.amount_collected == Decimal("30.00")

    page.goto(f"{live_server.url}/receivables/write-offs/new/?document={invoice.number}")
    expect(page.locator("#summary")).to_contain_text("$148.00")
    page.fill("#id_amount", "200")
    page.fill("#id_reason", "Business closed in August; the owner cannot be found.")
    page.click("button:has-text('Request write-off')")
    expect(page.locator("#id_amount_error")).to_contain_text("more than the $148.00")
    screenshot(page, "write-off-form-error")
    page.fill("#id_amount", "148.00")
    page.click("button:has-text('Request write-off')")
    expect(page.locator("h1")).to_contain_text("WO-")
    expect(page.locator("body")).not_to_contain_text("Approve and post")
    screenshot(page, "write-off-requested")
    write_off = WriteOff.objects.get()

    page.context.clear_cookies()
    log_in(page, live_server, "ar_supervisor")
    queue = page.locator("section, div").filter(has_text="Write-offs to approve").last
    expect(queue).to_contain_text(str(write_off))
    screenshot(page, "write-off-home-queue")
    page.click(f"a:has-text('{write_off}')")
    page.wait_for_url(f"**/receivables/write-offs/{write_off.pk}/")
    screenshot(page, "write-off-detail-supervisor")
    page.click("button:has-text('Approve and post')")
    expect(page.locator(".messages")).to_contain_text("approved and posted")
    screenshot(page, "write-off-approved")
    write_off.refresh_from_db()
    invoice.refresh_from_db()
    assert write_off.status == WriteOffStatus.APPROVED
    assert invoice.balance == Decimal("0.00")

    page.goto(f"{live_server.url}/receivables/write-offs/")
    screenshot(page, "write-off-list")
    page.goto(f"{live_server.url}/receivables/collections/referrals/")
    screenshot(page, "collections-referrals")
