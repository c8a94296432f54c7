"""A posted run's print file in a browser: a file in parts, each downloaded from the run's
page by the auditor."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_foundation import log_in
from tests.utility_billing.billing_helpers import make_billing_cycle
from tests.utility_billing.conftest import ub_users  # noqa: F401 (a fixture)
from tests.utility_billing.test_bill_pdfs import posted_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_print_file_in_parts_downloads_from_the_run_page(
    page,
    live_server,
    screenshot,
    ub_users,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr("utility_billing.services.bill_prints.CHUNK_BILLS", 1)
    monkeypatch.setattr("utility_billing.services.bill_prints.PART_BILLS", 2)
    run = posted_run(make_billing_cycle(ub_users), ub_users)

    log_in(page, live_server, ub_users["auditor"].username)
    page.goto(f"{live_server.url}/utility/bill-runs/{run.pk}/")
    section = page.get_by_role("region", name="Print file for the mail vendor")
    expect(section).to_contain_text("4 bills in account-number order, in 2 files.")
    table = section.get_by_role("table", name="Files of the print file")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(
        section.page.get_by_role("link", name="Print file: 4 bills in 2 files (4 pages)")
    ).to_be_visible()
    screenshot(page, "bill-run-print-parts")
    with page.expect_download() as caught:
        table.get_by_role("link", name="Part 2 (PDF)").click()
    download = caught.value
    assert download.suggested_filename == f"bill-run-{run.reference}-print-part-2.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"
