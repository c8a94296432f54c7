from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ledger.models import Account
from receivables.models import ArTransaction, Invoice, InvoiceStatus
from tests.browser.test_foundation import log_in
from tests.receivables import conftest as receivables_fixtures
from tests.receivables.conftest import make_customer, make_invoice

# The receivables fixtures, shared with this directory's tests.
ar_chart = receivables_fixtures.ar_chart
ar_fees = receivables_fixtures.ar_fees
ar_users = receivables_fixtures.ar_users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_bills_a_rental_and_cleanup_and_issues_it(
    page,
    live_server,
    screenshot,
    ar_fees,
    ar_users,
):
    customer = make_customer("Garcia, Maria", phone="650-259-2334")
    other = make_customer("Bayside Bakery LLC", kind="business", address_line1="301 Broadway")
    make_invoice(other, actor=ar_users["tech2"], amount="25.00", description="Returned check")
    misc = Account.objects.get(number="101-1100-4920")
    log_in(page, live_server, "ar_tech")
    page.hover("nav.mainnav >> text=Receivables")
    page.click("nav.mainnav .menu >> text=Invoices")
    page.wait_for_url("**/receivables/invoices/")
    expect(page.locator("#results")).to_contain_text("1 invoice")
    screenshot(page, "invoices-list")

    page.click("text=New invoice")
    page.wait_for_url("**/receivables/invoices/new/")
    # Search as you type offers the customer; the number alone is enough.
    page.fill("#id_customer", "garc")
    expect(page.locator("#customer-options option")).to_have_count(1)
    page.fill("#id_customer", customer.number)
    page.fill("#id_invoice_date", "2026-10-05")
    page.fill("#id_description", "Community center rental and cleanup")
    page.select_option("#id_lines-0-fee_code", "FACILITY-RENTAL")
    page.fill("#id_lines-0-quantity", "3")
    expect(page.locator("#line-0-amount")).to_contain_text("$255.00")
    expect(page.locator("#invoice-total")).to_contain_text("$255.00")
    page.fill("#id_lines-1-description", "Cleanup after the event")
    page.fill("#id_lines-1-amount", "40.00")
    expect(page.locator("#invoice-total")).to_contain_text("$295.00")
    page.click("button:has-text('Add a line')")
    expect(page.locator("#id_lines-3-fee_code")).to_be_visible()
    # The free line has no account yet: the service's error lands beside row 2.
    page.click("button.primary:has-text('Save draft')")
    expect(page.locator("#line-2-errors")).to_contain_text("Choose a revenue account")
    expect(page.locator("#id_lines-0-quantity")).to_have_value("3")
    screenshot(page, "invoices-form-row-error")
    assert Invoice.objects.count() == 1

    page.select_option("#id_lines-1-revenue_account", str(misc.pk))
    page.click("button.primary:has-text('Save draft')")
    expect(page.locator("h1")).to_contain_text("Draft")
    expect(page.locator("body")).to_contain_text("3 hour(s) × $85.00 = $255.00")
    page.click("button:has-text('Issue invoice')")
    expect(page.locator("h1")).to_contain_text("Open")
    expect(page.locator("body")).to_contain_text("issued: $295.00 due 2026-11-04")
    screenshot(page, "invoices-detail")
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.balance == Decimal("295.00")
    assert ArTransaction.objects.filter(invoice=invoice).count() == 1
    assert not page.problems
