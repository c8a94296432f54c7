import datetime

import pytest
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.conftest import make_user
from tests.receivables.conftest import revenue_account
from tests.utility_billing.conftest import (
    WATER_FIXED,
    WATER_REVENUE,
    WATER_TIERS,
    make_schedule,
    make_version,
)
from utility_billing.models import ChargeKind, RateVersion, RateVersionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_prepares_rates_a_senior_approves_and_a_clerk_calculates(
    page, live_server, screenshot
):
    tech = make_user(Role.ACCOUNTING_TECHNICIAN)
    senior = make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)
    make_user(Role.COUNTER_CLERK)
    water = make_schedule("W-SFR", name="Water, single-family")
    make_version(water, WATER_FIXED + WATER_TIERS, prepared_by=senior, approved_by=tech)
    sewer = make_schedule("S-SFR", service_kind="sewer", name="Sewer, single-family")
    make_version(
        sewer,
        [
            {"kind": ChargeKind.FIXED_BY_METER_SIZE, "rate": "20.00"},
            {
                "kind": ChargeKind.VOLUMETRIC_UNIFORM,
                "rate": "4.10",
                "capped_by_winter_average": True,
            },
        ],
        prepared_by=senior,
        approved_by=tech,
    )
    revenue_account(WATER_REVENUE)

    # The technician starts new water rates from the ones in force and raises tier 3.
    log_in(page, live_server, "t_tech")
    nav_to(page, "Rates")
    page.wait_for_url("**/utility/rates/")
    page.click("a:has-text('W-SFR')")
    page.click("a:has-text('Prepare new rates')")
    page.fill("#id_effective_from", "2026-03-01")
    page.fill("#id_authority", "Resolution 26-07")
    rows = page.locator("#charge-lines tbody tr")
    expect(rows).to_have_count(7)  # six lines and a blank row
    tier3 = rows.nth(5)
    tier3.locator("input[name$='-rate']").fill("9.10")
    # A gap: tier 3 from 21 is refused beside its row, and nothing is saved.
    tier3.locator("input[name$='-tier_from']").fill("21")
    page.click("button.primary:has-text('Save draft')")
    expect(page.locator("#charge-lines")).to_contain_text("Gap: no tier covers 20 to 21 HCF.")
    screenshot(page, "utility-rate-version-form-gap")
    page.locator("#charge-lines tbody tr").nth(5).locator("input[name$='-tier_from']").fill("20")
    page.click("button:has-text('Add a line')")
    expect(page.locator("#charge-lines tbody tr")).to_have_count(8)
    page.click("button.primary:has-text('Save draft')")
    expect(page.locator("body")).to_contain_text("Draft rates saved")
    expect(page.locator("body")).to_contain_text("You prepared these rates")
    draft = RateVersion.objects.get(status=RateVersionStatus.DRAFT)
    assert draft.charges.count() == 6

    page.context.clear_cookies()
    log_in(page, live_server, "t_senior")
    page.goto(f"{live_server.url}/utility/rates/versions/{draft.pk}/")
    screenshot(page, "utility-rate-version-draft")
    page.click("button:has-text('Approve')")
    expect(page.locator("body")).to_contain_text("Rates approved")
    screenshot(page, "utility-rate-version-approved")
    draft.refresh_from_db()
    assert draft.status == RateVersionStatus.APPROVED
    assert water.versions.get(pk__lt=draft.pk).effective_to == datetime.date(2026, 2, 28)

    # The clerk works out a bill across the rate change.
    page.context.clear_cookies()
    log_in(page, live_server, "t_clerk")
    nav_to(page, "Bill calculator")
    page.wait_for_url("**/utility/calculator/")
    page.select_option("#id_service_class", "single_family")
    page.select_option("#id_meter_size", "5/8")
    page.fill("#id_start", "2026-02-15")
    page.fill("#id_end", "2026-03-16")
    page.fill("#id_consumption", "27")
    page.fill("#id_winter_average", "8")
    page.click("button:has-text('Calculate')")
    expect(page.locator(".bill-result")).to_contain_text("(14 of 30 days)")
    expect(page.locator(".bill-result")).to_contain_text("capped at winter average")
    screenshot(page, "utility-bill-calculator")
    page.fill("#id_end", "2026-02-01")
    page.click("button:has-text('Calculate')")
    expect(page.locator("#id_end_error")).to_contain_text("cannot end before it starts")
    screenshot(page, "utility-bill-calculator-error")
    assert not page.problems
