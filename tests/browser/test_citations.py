import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from receivables.models import ArKind, ArTransaction, Citation, Fee, FeeStatus
from tests.browser.test_foundation import log_in
from tests.conftest import make_user
from tests.receivables.citation_helpers import make_late_rule
from tests.receivables.conftest import AR_FEES, VIOLATION_KINDS, make_ar_chart, make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fees(tech, supervisor) -> None:
    chart = make_ar_chart()
    for code, account, rule, amount, rate, unit in AR_FEES:
        Fee.objects.create(
            code=code,
            description=code.replace("-", " ").title(),
            revenue_account=chart[account],
            rule=rule,
            amount=Decimal(amount) if amount else None,
            rate=Decimal(rate) if rate else None,
            unit_name=unit,
            violation_kind=VIOLATION_KINDS.get(code, ""),
            effective_from=datetime.date(2025, 7, 1),
            status=FeeStatus.APPROVED,
            prepared_by=tech,
            approved_by=supervisor,
            approved_at=timezone.now(),
        )


def _open_citations(page) -> None:
    # The Receivables section's menu opens on hover; Citations is one of its pages.
    page.hover("nav.mainnav .section-link:has-text('Receivables')")
    page.click("nav.mainnav .menu >> text=Citations")


def test_technician_enters_a_citation_and_a_supervisor_dismisses_it(page, live_server, screenshot):
    tech = make_user(Role.ACCOUNTING_TECHNICIAN)
    supervisor = make_user(Role.FINANCE_SUPERVISOR)
    _fees(tech, supervisor)
    # A description as long as the demo schedule's makes the longest violation choice.
    Fee.objects.filter(code="PKG-EXPIRED-METER").update(
        description="Parking: expired meter, overtime parking in a metered space downtown"
    )
    make_late_rule(days_after=21)
    make_late_rule("CIT-LATE-2", days_after=45, amount="35.00", account="101-2100-4610")
    owner = make_customer("Nguyen, Tam")
    issued = timezone.localdate() - datetime.timedelta(days=3)

    log_in(page, live_server, "t_tech")
    _open_citations(page)
    page.wait_for_url("**/receivables/citations/")
    expect(page.locator("#results")).to_contain_text("0 citations")
    page.click("text=Enter citation")
    page.wait_for_url("**/receivables/citations/new/")
    page.fill("#id_number", "P4410023")
    page.fill("#id_issue_date", issued.isoformat())
    # Only violation codes are offered, under the kind of citation they are the fine of.
    violation = page.locator("#id_violation_code")
    expect(violation.locator("optgroup[label='Parking'] option")).to_have_count(2)
    expect(violation.locator("optgroup[label='Administrative'] option")).to_have_count(1)
    expect(violation).not_to_contain_text("REINSPECTION")
    page.select_option("#id_violation_code", "ADMIN-CITATION")
    expect(page.locator("#citation-fine")).to_contain_text(
        "ADMIN-CITATION is an administrative violation, not a parking one."
    )
    # The first fieldset stays inside its card at 1280px, however long a violation reads.
    overflow = page.evaluate(
        """() => {
            const form = document.querySelector("form.citation-form");
            const fieldset = form.querySelector("fieldset");
            return fieldset.getBoundingClientRect().right - form.getBoundingClientRect().right;
        }"""
    )
    assert overflow <= 0
    screenshot(page, "citations-form")
    page.select_option("#id_violation_code", "PKG-RED-ZONE")
    # The fine on the issue date arrives as the violation is chosen.
    expect(page.locator("#citation-fine")).to_contain_text("$60.00")
    page.fill("#id_plate", "8xyz321")
    page.fill("#id_customer", "C999999")
    page.fill("#id_location", "200 block Broadway")
    page.fill("#id_officer", "Badge 112")
    page.click("button:has-text('Enter citation')")
    expect(page.locator("#id_customer_error")).to_contain_text("No customer C999999")
    screenshot(page, "citations-form-error")
    page.fill("#id_customer", owner.number)
    page.click("button:has-text('Enter citation')")
    expect(page.locator("h1")).to_contain_text("Citation P4410023")
    expect(page.locator("body")).to_contain_text("entered: $60.00 owed")
    expect(page.locator("body")).not_to_contain_text("Dismiss…")
    screenshot(page, "citations-detail")

    page.click("text=Hearing or appeal…")
    page.select_option("#id_status", "requested")
    page.fill("#id_note", "Says the curb was not painted")
    page.click("button:has-text('Record')")
    # The state badge ("Open") comes first; the hold is a badge of its own beside it.
    expect(page.locator(".badge", has_text="penalties held")).to_contain_text(
        "Review requested: penalties held"
    )

    page.context.clear_cookies()
    log_in(page, live_server, "t_supervisor")
    _open_citations(page)
    page.fill("#id_q", "8XYZ")
    expect(page.locator("#results")).to_contain_text("1 citation")
    screenshot(page, "citations-list")
    page.click("#results >> text=P4410023")
    page.click("text=Dismiss…")
    page.click("button:has-text('Dismiss citation')")
    expect(page.locator("#id_reason_error")).to_contain_text("Say why")
    page.fill("#id_reason", "Curb paint faded: Public Works confirmed")
    screenshot(page, "citations-dismiss")
    page.click("button:has-text('Dismiss citation')")
    expect(page.locator("body")).to_contain_text("Citation P4410023 dismissed.")
    screenshot(page, "citations-dismissed")

    citation = Citation.objects.get(number="P4410023")
    assert (citation.status, citation.hearing_status, citation.balance) == (
        "dismissed",
        "dismissed",
        Decimal("0.00"),
    )
    dismissal = ArTransaction.objects.get(citation=citation, kind=ArKind.DISMISSAL)
    assert dismissal.amount == Decimal("-60.00")
    assert dismissal.customer == owner
    assert not page.problems
