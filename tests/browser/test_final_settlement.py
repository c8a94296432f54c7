"""Move-out through the screens: a technician closes a tenant's account whose last day the
posted run already billed, and settles it from the Deposits tab (the deposit applied to
the balance, the rest referred to collection). The run's approver may not settle it."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from ledger.models import Subledger
from tests.browser.test_foundation import log_in
from tests.receivables.conftest import revenue_account
from tests.utility_billing.conftest import ub_users  # noqa: F401 (a fixture)
from tests.utility_billing.payment_helpers import billed, pay
from utility_billing.models import AccountStatus, UtilityCollectionReferral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_moves_a_tenant_out_and_settles_the_account(
    page,
    live_server,
    screenshot,
    ub_users,  # noqa: F811 (the fixture imported above)
):
    billing = billed(ub_users)  # run 1 posted: A1 owes 144.80 for 10/06 to 11/05
    a1 = billing["accounts"]["A1"]
    a1.deposit_required = Decimal("100.00")
    a1.save()
    deposits = revenue_account("501-0000-2210")
    deposits.control_subledger = Subledger.DEPOSITS
    deposits.save()
    pay(
        a1.number,
        "50.00",
        key="browser-deposit",
        actor=ub_users["clerk"],
        on=datetime.date(2026, 11, 15),
        kind="utility-deposit",
    )
    account_url = f"{live_server.url}/utility/accounts/{a1.pk}/"
    with time_machine.travel(datetime.datetime(2026, 12, 15, 10, 0), tick=True):
        log_in(page, live_server, "ub_tech")
        page.goto(account_url)
        page.get_by_role("link", name="Move out (close)").click()
        # Bad input first: the form says what is wrong and nothing changes.
        page.get_by_role("button", name="Close the account").click()
        expect(page.get_by_text("This field is required.")).to_be_visible()
        page.get_by_label("Move-out date").fill("2020-01-01")
        page.get_by_role("button", name="Close the account").click()
        expect(page.get_by_text("The account started 2025-07-01")).to_be_visible()
        page.get_by_label("Move-out date").fill("2026-11-05")
        page.get_by_role("button", name="Close the account").click()
        expect(page.locator("h1 .badge")).to_have_text("Closed (final bill due)")
        page.get_by_role("link", name="Deposits", exact=True).click()
        card = page.get_by_role("region", name="Settle now")
        expect(card).to_contain_text("$94.80")
        screenshot(page, "utility-settle-now")
        card.get_by_role("button", name="Settle now").click()
        expect(page.get_by_text(f"Account {a1.number} settled: final billed.")).to_be_visible()
        expect(page.locator("h1 .badge")).to_have_text("Final billed")
        expect(page.get_by_text("$94.80 on 2026-12-15 (Referred to collection)")).to_be_visible()
        expect(page.get_by_role("heading", name="Settle now")).to_have_count(0)
        screenshot(page, "utility-settled")
    a1.refresh_from_db()
    assert a1.status == AccountStatus.FINAL_BILLED
    assert UtilityCollectionReferral.objects.get(account=a1).amount == Decimal("94.80")
    assert not page.problems
