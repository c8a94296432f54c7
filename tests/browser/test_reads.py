"""Meter reads in the browser: a technician types a route sheet with the keyboard,
imports a file (refused with every bad row, then accepted), and settles an exception."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.utility_billing.conftest import ub_users  # noqa: F401 (a fixture)
from tests.utility_billing.read_helpers import make_site, monthly_reads, read
from utility_billing.models import ExceptionStatus, MeterRead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = datetime.date


@pytest.fixture
def route(ub_users):  # noqa: F811 (the fixture imported above)
    """Three stops on route R1 with a year of reads, the last on 2025-11-02."""
    meters = []
    for stop, (serial, address) in enumerate(
        (("M-0001", "120 Magnolia Ave"), ("M-0002", "14 Hemlock Ave"), ("M-0003", "7 Laurel Ave")),
        start=1,
    ):
        meter = make_site(
            ub_users,
            serial=serial,
            parcel=f"021-101-{stop:03d}",
            account=f"10000{stop}",
            address_line1=address,
            route="R1",
            route_sequence=stop * 10,
        )
        monthly_reads(
            meter, ub_users["tech"], start=D(2025, 2, 2), months=10, per_month=10, first=10
        )
        meters.append(meter)
    return meters


def test_route_sheet_by_keyboard(page, live_server, screenshot, route):
    log_in(page, live_server, "ub_tech")
    nav_to(page, "Read entry")
    page.fill("#id_read_date", "2025-12-02")
    page.click("button:has-text('Show the sheet')")
    first = page.locator(f"#reading-{route[0].pk}")
    expect(first).to_be_focused()
    # Type down the sheet: Enter goes to the next box, never submits.
    page.keyboard.type("111")
    page.keyboard.press("Enter")
    expect(page.locator(f"#reading-{route[1].pk}")).to_be_focused()
    page.keyboard.type("12.34567")
    page.keyboard.press("Enter")
    page.keyboard.type("150")
    page.keyboard.press("Enter")
    expect(page.locator("button:has-text('Save the reads')")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("form.route-sheet .errors").first).to_contain_text("1 row to fix")
    expect(page.locator("tr.invalid")).to_contain_text("At most three decimal places.")
    screenshot(page, "reads-route-sheet-refused")
    assert not MeterRead.objects.filter(read_date=D(2025, 12, 2)).exists()
    page.fill(f"#reading-{route[1].pk}", "112")
    page.click("button:has-text('Save the reads')")
    expect(page.locator(".messages")).to_contain_text("3 reads recorded, 1 with an exception")
    screenshot(page, "reads-route-sheet-saved")


def test_import_refused_then_accepted_then_exceptions_settled(
    page, live_server, screenshot, route, tmp_path
):
    log_in(page, live_server, "ub_tech")
    nav_to(page, "Read import")
    expect(page.locator("#layout-heading")).to_be_visible()
    screenshot(page, "reads-import-page")
    bad = tmp_path / "route-r1-bad.csv"
    bad.write_text(
        "meter_serial,read_date,reading,kind,source\n"
        "M-0001,2025-12-02,111,actual,handheld\n"
        "M-0404,2025-12-02,20,actual,handheld\n"
        "M-0002,2025-12-32,112,actual,handheld\n"
        "M-0003,2025-12-02,1O5,actual,handheld\n"
    )
    page.set_input_files("#id_file", str(bad))
    page.click("button:has-text('Upload and import')")
    expect(page.locator(".problems h2")).to_contain_text("3 rows to fix: nothing was imported")
    expect(page.locator(".problems")).to_contain_text("No meter has serial number M-0404.")
    screenshot(page, "reads-import-refused")

    page.click("p.crumbs >> text=Read import")
    good = tmp_path / "route-r1.csv"
    good.write_text(
        "meter_serial,read_date,reading,kind,source\n"
        "M-0001,2025-12-02,111,actual,handheld\n"
        "M-0002,2025-12-02,112,actual,handheld\n"
        "M-0003,2025-12-02,150,actual,handheld\n"
    )
    page.set_input_files("#id_file", str(good))
    page.click("button:has-text('Upload and import')")
    expect(page.locator("h1")).to_contain_text("Imported")
    screenshot(page, "reads-import-done")
    page.click("text=Review the exceptions")
    expect(page.locator("table.read-exceptions tbody tr")).to_have_count(1)
    expect(page.locator("table.read-exceptions")).to_contain_text("High against")
    screenshot(page, "reads-exceptions")

    page.click("table.read-exceptions >> text=Review")
    expect(page.locator("#settle-heading")).to_be_visible()
    screenshot(page, "reads-exception-detail")
    page.fill("#id_accept-note", "Pool filled; customer confirmed by phone")
    page.click("button:has-text('Accept')")
    expect(page.locator(".messages")).to_contain_text("accepted")
    high = MeterRead.objects.get(meter=route[2], read_date=D(2025, 12, 2))
    assert high.exception_status == ExceptionStatus.ACCEPTED
    assert not page.problems, page.problems


def test_missing_reads_then_an_estimate(page, live_server, screenshot, route):
    read(route[0], D(2025, 12, 4), "111", route[0].reads.first().entered_by)
    log_in(page, live_server, "ub_tech")
    page.goto(
        f"{live_server.url}/utility/reads/exceptions/missing/?cycle={route[0].location.cycle_id}&read_date=2025-12-05"
    )
    expect(page.locator("#results tbody tr")).to_have_count(2)
    screenshot(page, "reads-missing")
    page.locator("#results tbody tr").first.locator("text=Estimate").click()
    expect(page.locator("#estimate-heading")).to_contain_text("2025-12-05")
    screenshot(page, "reads-estimate")
    page.click("button:has-text('Record the estimated read')")
    expect(page.locator(".messages")).to_contain_text("Estimated read of meter M-0002 recorded")
