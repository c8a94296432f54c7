from decimal import Decimal

import pytest
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from tests.browser.test_foundation import log_in
from tests.conftest import ROLE_USERNAMES, make_user
from tests.receivables.conftest import make_customer
from tests.utility_billing.conftest import make_account, make_location, make_meter, make_schedule
from utility_billing.models import AccountRole, DepositRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_moves_a_tenant_in_beside_the_owner(page, live_server, screenshot):
    tech = make_user(Role.ACCOUNTING_TECHNICIAN)
    make_schedule("W-SFR", name="Water, single-family")
    make_schedule("S-SFR", service_kind="sewer", name="Sewer, single-family")
    make_schedule("SD", service_kind="storm_drain", service_class="", name="Storm drain")
    DepositRule.objects.create(service_class="single_family", amount=Decimal("150.00"))
    location = make_location(route="R01", route_sequence=4)
    make_meter(location=location)
    make_account(
        "100001",
        location=location,
        opened_by=tech,
        role=AccountRole.OWNER,
        customer=make_customer("Owner, Olive"),
    )
    tenant = make_customer("Nguyen, An")

    log_in(page, live_server, ROLE_USERNAMES[Role.ACCOUNTING_TECHNICIAN])
    page.goto(f"{live_server.url}/utility/locations/{location.pk}/move-in/")
    page.get_by_label("Tenant").check()
    page.get_by_label("Move-in date").fill("2026-01-10")
    page.get_by_label("Customer number").fill(tenant.number)
    screenshot(page, "utility-move-in")
    page.get_by_role("button", name="Open the account").click()
    expect(page.locator("h1")).to_contain_text("Nguyen, An")
    expect(page.get_by_text("150.00 required")).to_be_visible()
    screenshot(page, "utility-account")
    page.get_by_role("link", name=location.address).first.click()
    expect(page.get_by_text("Accounts, present and past")).to_be_visible()
    screenshot(page, "utility-location")
    assert not page.problems
