import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from millbrae_finance.jobs import Job, JobState
from receivables.models import ArKind, ArTransaction, PenaltyBatch
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import (  # noqa: F401 (fixtures used by name)
    ar_chart,
    ar_fees,
    ar_users,
    make_citation,
    make_customer,
    make_invoice,
)
from tests.receivables.penalty_helpers import make_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_previews_the_penalty_batch_then_posts_it(
    page,
    live_server,
    screenshot,
    ar_fees,  # noqa: F811 (fixtures imported above)
    ar_users,  # noqa: F811
):
    make_rules()
    tech = ar_users["tech"]
    for number in range(101, 104):
        make_citation(actor=tech, number=f"P{number}", issue_date=datetime.date(2026, 9, 1))
    make_citation(
        actor=tech,
        number="A201",
        kind="administrative",
        code="ADMIN-CITATION",
        customer=make_customer("Bayside Bakery LLC", kind="business"),
        issue_date=datetime.date(2026, 10, 1),
    )
    make_invoice(
        make_customer(), actor=tech, amount="148.00", invoice_date=datetime.date(2026, 8, 1)
    )

    log_in(page, live_server, "ar_supervisor")
    page.goto(f"{live_server.url}/receivables/penalty-rules/")
    expect(page.locator("#results")).to_contain_text("5 rules")
    screenshot(page, "penalties-rules")
    page.click("text=INV-INTEREST")
    page.fill("#id_rate", "15")
    page.click("button:has-text('Save rule')")
    expect(page.locator("#id_rate_error")).to_contain_text("absurd")
    screenshot(page, "penalties-rule-form-error")

    page.context.clear_cookies()
    log_in(page, live_server, "ar_senior")
    nav_to(page, "Penalties")
    page.wait_for_url("**/receivables/penalty-batch/")
    page.fill("#id_batch_date", "2026-11-16")
    page.click("button:has-text('Preview')")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("21 days after issue 2026-09-01")
    expect(preview).to_contain_text("Occurrence 1: 60 days after due date 2026-08-31")
    expect(preview).to_contain_text("$206.28")  # 3 × 60 + 10 + 14.80 + 1.48
    screenshot(page, "penalties-preview")
    assert not ArTransaction.objects.filter(kind=ArKind.PENALTY).exists()

    page.click("button:has-text('Post penalties')")
    # The post starts a background job and shows its page, polling its progress.
    page.wait_for_url("**/jobs/*/")
    progress = page.locator(".job-progress")
    expect(progress).to_contain_text("Waiting for a worker")
    screenshot(page, "penalties-job-queued")
    job = Job.objects.get()
    # Halfway, as a worker reports it: the bar moves without a reload.
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, rows_done=3, rows_total=9)
    expect(progress).to_contain_text("3 of 9 rows")
    expect(page.locator("progress")).to_have_attribute("value", "33")
    screenshot(page, "penalties-job-running")
    Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED, rows_done=0, rows_total=None)
    run_queued_jobs()
    expect(progress).to_contain_text("9 charges, $206.28")
    screenshot(page, "penalties-job-done")
    page.click("text=Penalty batch PB-")
    page.wait_for_url("**/receivables/penalty-batches/*/")
    screenshot(page, "penalties-batch-detail")
    batch = PenaltyBatch.objects.get()
    assert batch.total == Decimal("206.28")
    assert batch.journal_entry is not None

    page.locator(".crumbs").get_by_role("link", name="Batches", exact=True).click()
    expect(page.locator("main")).to_contain_text(f"PB-{batch.pk:06d}")
    screenshot(page, "penalties-batch-list")
    assert page.problems == []
