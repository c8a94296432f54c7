import datetime

import pytest
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from receivables.models import Fee, FeeStatus
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.conftest import make_user
from tests.receivables.conftest import make_fee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_approves_a_rate_change_and_a_clerk_calculates_it(page, live_server, screenshot):
    tech = make_user(Role.ACCOUNTING_TECHNICIAN)
    supervisor = make_user(Role.FINANCE_SUPERVISOR)
    make_user(Role.COUNTER_CLERK)
    make_fee(
        "FALSE-ALARM",
        prepared_by=tech,
        approved_by=supervisor,
        rule="tiered",
        amount=None,
        unit_name="alarm",
        tiers=(("2", "0"), ("3", "100"), (None, "250")),
    )
    make_fee(
        "FACILITY-RENTAL",
        prepared_by=tech,
        approved_by=supervisor,
        rule="per_unit",
        amount=None,
        rate="85",
        minimum="170",
        unit_name="hour",
        effective_to=datetime.date(2027, 6, 30),
    )
    draft = make_fee(
        "FACILITY-RENTAL",
        prepared_by=tech,
        rule="per_unit",
        amount=None,
        rate="92",
        minimum="184",
        unit_name="hour",
        effective_from=datetime.date(2027, 7, 1),
    )
    log_in(page, live_server, "t_supervisor")
    nav_to(page, "Fees")
    page.wait_for_url("**/receivables/fees/")
    expect(page.locator("#results")).to_contain_text("3 fee versions")
    screenshot(page, "fees-list")

    page.goto(f"{live_server.url}/receivables/fees/{draft.pk}/")
    screenshot(page, "fees-detail-draft")
    page.click("button:has-text('Approve')")
    expect(page.locator("body")).to_contain_text("approved: it takes effect")
    draft.refresh_from_db()
    assert draft.status == FeeStatus.APPROVED

    page.goto(f"{live_server.url}/receivables/fees/new/")
    page.click("button:has-text('Save draft')")
    screenshot(page, "fees-form-errors")
    # A violation code's fine is a flat amount: refused beside "Violation of" otherwise.
    page.fill("#id_code", "PKG-DOUBLE")
    page.fill("#id_description", "Parking: double parked")
    page.select_option("#id_revenue_account", index=1)
    page.select_option("#id_violation_kind", "parking")
    page.select_option("#id_rule", "per_unit")
    page.fill("#id_rate", "10")
    page.fill("#id_effective_from", "2026-07-01")
    page.click("button:has-text('Save draft')")
    expect(page.locator("#id_violation_kind_error")).to_contain_text("flat amount")
    screenshot(page, "fees-form-violation")
    page.select_option("#id_rule", "flat")
    page.fill("#id_amount", "70.00")
    page.click("button:has-text('Save draft')")
    expect(page.locator("body")).to_contain_text(
        "Parking citations: the fine of this violation code"
    )
    screenshot(page, "fees-detail-violation")

    page.context.clear_cookies()
    log_in(page, live_server, "t_clerk")
    page.goto(f"{live_server.url}/receivables/fees/calculator/")
    page.select_option("#id_code", "FALSE-ALARM")
    page.fill("#id_units", "4")
    page.click("button:has-text('Calculate')")
    expect(page.locator(".fee-result")).to_contain_text("$350.00")
    screenshot(page, "fees-calculator")
    page.select_option("#id_code", "FACILITY-RENTAL")
    page.fill("#id_on_date", "2027-07-01")
    page.fill("#id_units", "")
    page.click("button:has-text('Calculate')")
    expect(page.locator("#id_units_error")).to_contain_text("enter it")
    screenshot(page, "fees-calculator-error")
    assert Fee.objects.count() == 4  # the three versions and the PKG-DOUBLE draft
    assert not page.problems
