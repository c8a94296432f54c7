"""The meter and read screens, by role: who sees what, what each action changes, bad
input answered beside the field or row with 200, never a 500."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from millbrae_finance.jobs import Job
from tests.utility_billing.conftest import make_meter
from tests.utility_billing.read_helpers import make_site, monthly_reads, read, today  # noqa: F401
from utility_billing.models import (
    ExceptionStatus,
    MeterRead,
    MeterStatus,
    ReadImport,
    ServiceOrder,
)
from utility_billing.services import read_imports

pytestmark = pytest.mark.usefixtures("today")

D = datetime.date
READERS = ("tech", "senior", "supervisor", "auditor", "clerk")
WORKERS = ("tech", "senior")


@pytest.fixture
def site(ub_users):
    meter = make_site(ub_users, route="R1", route_sequence=10)
    monthly_reads(meter, ub_users["tech"], start=D(2025, 2, 2), months=10, per_month=10, first=10)
    return meter


@pytest.fixture
def high(site, ub_users):
    return read(site, D(2025, 12, 2), "140", ub_users["tech"])


def _login(client, user):
    client.force_login(user)
    return client


def test_meter_list_and_detail_for_every_reader(client, ub_users, site):
    for name in READERS:
        _login(client, ub_users[name])
        listing = client.get(reverse("utility_billing:meter_list"), {"q": "M-00"})
        assert listing.status_code == 200, name
        assert "M-0001" in listing.content.decode()
        page = client.get(reverse("utility_billing:meter_detail", args=[site.pk]))
        assert page.status_code == 200
        body = page.content.decode()
        assert "2025-11-02" in body
        assert ("Change for another meter" in body) == (name in WORKERS)
    _login(client, ub_users["admin"])
    assert client.get(reverse("utility_billing:meter_list")).status_code == 403


def test_meter_list_exports_csv(client, ub_users, site):
    _login(client, ub_users["auditor"])
    response = client.get(reverse("utility_billing:meter_list"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("Serial,Size,Type")
    assert "M-0001,5/8,positive_displacement" in body


def test_meter_list_query_count_is_pinned(client, ub_users, site, django_assert_max_num_queries):
    for number in range(2, 12):
        make_site(ub_users, serial=f"M-{number:04d}", parcel=f"021-300-{number:03d}", account=None)
    _login(client, ub_users["tech"])
    with django_assert_max_num_queries(9):
        assert client.get(reverse("utility_billing:meter_list")).status_code == 200


def test_create_and_install_a_meter(client, ub_users, site):
    _login(client, ub_users["tech"])
    response = client.post(
        reverse("utility_billing:meter_create"),
        {
            "serial": "M-NEW",
            "size": "5/8",
            "meter_type": "positive_displacement",
            "dials": "6",
            "multiplier": "1",
        },
    )
    new = site.__class__.objects.get(serial="M-NEW")
    assert response.status_code == 302 and new.status == MeterStatus.IN_STOCK
    other = make_site(ub_users, serial="M-X", parcel="021-555-555", account=None)
    response = client.post(
        reverse("utility_billing:meter_install", args=[new.pk]),
        {"location": "021-555-555", "install_date": "2025-06-01", "install_reading": "7"},
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.location == other.location and new.install_reading == Decimal("7")


def test_install_form_answers_bad_input_beside_the_field(client, ub_users, site):
    spare = make_meter("M-SPARE", dials=4)
    _login(client, ub_users["senior"])
    response = client.post(
        reverse("utility_billing:meter_install", args=[spare.pk]),
        {"location": "999-999-999", "install_date": "2025-06-01", "install_reading": "abc"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "No service location has parcel number 999-999-999." in body
    assert "Enter a number." in body
    response = client.post(
        reverse("utility_billing:meter_install", args=[spare.pk]),
        {"location": "021-101-010", "install_date": "2025-06-01", "install_reading": "10000"},
    )
    assert response.status_code == 200
    assert "has 4 dials" in response.content.decode()


def test_change_a_meter_from_its_page(client, ub_users, site):
    new = make_meter("M-IN")
    _login(client, ub_users["tech"])
    form = reverse("utility_billing:meter_change", args=[site.pk])
    assert client.get(form).status_code == 200
    response = client.post(
        form,
        {
            "change_date": "2025-11-20",
            "final_reading": "106",
            "new_meter": "M-IN",
            "start_reading": "0",
            "note": "Register stuck",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("utility_billing:meter_detail", args=[new.pk])
    site.refresh_from_db()
    assert site.status == MeterStatus.REMOVED
    # A removed meter's page offers no change; the form page says why.
    page = client.get(form)
    assert page.status_code == 200 and "only an installed meter is changed" in page.content.decode()


def test_meter_actions_are_for_technicians_and_seniors_only(client, ub_users, site):
    for name in ("supervisor", "auditor", "clerk", "admin"):
        _login(client, ub_users[name])
        for url_name in ("meter_create", "read_entry", "read_import"):
            assert client.get(reverse(f"utility_billing:{url_name}")).status_code == 403
        for url_name in ("meter_install", "meter_remove", "meter_change"):
            url = reverse(f"utility_billing:{url_name}", args=[site.pk])
            assert client.post(url, {}).status_code == 403


# ---------------------------------------------------------------- the route sheet


def test_route_sheet_lists_the_routes_meters_with_a_box_each(client, ub_users, site):
    make_site(
        ub_users, serial="M-0002", parcel="021-101-020", account=None, route="R1", route_sequence=5
    )
    _login(client, ub_users["tech"])
    url = reverse("utility_billing:read_entry")
    response = client.get(
        url, {"cycle": site.location.cycle_id, "route": "R1", "read_date": "2025-12-02"}
    )
    body = response.content.decode()
    assert body.index("M-0002") < body.index("M-0001")  # route order
    assert f'name="reading-{site.pk}"' in body
    assert 'class="read-box"' in body


def test_route_sheet_saves_all_or_nothing_with_messages_beside_bad_rows(client, ub_users, site):
    second = make_site(
        ub_users, serial="M-0002", parcel="021-101-020", account=None, route="R1", route_sequence=5
    )
    _login(client, ub_users["tech"])
    query = f"?cycle={site.location.cycle_id}&route=R1&read_date=2025-12-02"
    url = reverse("utility_billing:read_entry") + query
    post = {
        "cycle": site.location.cycle_id,
        "route": "R1",
        "read_date": "2025-12-02",
        f"reading-{site.pk}": "111",
        f"reading-{second.pk}": "12.34567",
    }
    refused = client.post(url, post)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "1 row to fix: nothing was recorded." in body
    assert "At most three decimal places." in body
    assert 'value="12.34567"' in body and 'value="111"' in body
    assert not MeterRead.objects.filter(read_date=D(2025, 12, 2)).exists()

    post[f"reading-{second.pk}"] = ""
    saved = client.post(url, post)
    assert saved.status_code == 302 and saved["Location"].endswith(query.lstrip("?"))
    assert MeterRead.objects.get(read_date=D(2025, 12, 2)).consumption == Decimal("11.000")


def test_route_sheet_with_nothing_typed_says_so(client, ub_users, site):
    _login(client, ub_users["tech"])
    post = {"cycle": site.location.cycle_id, "route": "", "read_date": "2025-12-02"}
    response = client.post(reverse("utility_billing:read_entry"), post)
    assert response.status_code == 200
    assert "Type at least one reading." in response.content.decode()


# ---------------------------------------------------------------- the file import


def _file(text: str, name: str = "reads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_import_page_documents_the_layout_and_offers_a_template(client, ub_users):
    _login(client, ub_users["tech"])
    page = client.get(reverse("utility_billing:read_import")).content.decode()
    for column in read_imports.READ_FILE_COLUMNS:
        assert f"<code>{column}</code>" in page
    template = client.get(reverse("utility_billing:read_import_template"))
    body = b"".join(template.streaming_content).decode()
    assert body.splitlines()[0] == "meter_serial,read_date,reading,kind,source"
    assert len(body.splitlines()) == 4


def test_a_small_file_imports_while_the_person_waits(client, ub_users, site):
    _login(client, ub_users["tech"])
    content = "meter_serial,read_date,reading\nM-0001,2025-12-02,111\n"
    response = client.post(
        reverse("utility_billing:read_import"),
        {"file": _file(content), "idempotency_key": "view-1"},
    )
    done = ReadImport.objects.get()
    assert response["Location"] == reverse("utility_billing:read_import_detail", args=[done.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Imported" in page and "Reads imported" in page


def test_a_refused_file_lists_every_bad_row_by_line(client, ub_users, site):
    _login(client, ub_users["tech"])
    content = "meter_serial,read_date,reading\nM-0001,2025-12-02,x\nNOPE,2025-12-02,1\n"
    response = client.post(
        reverse("utility_billing:read_import"),
        {"file": _file(content), "idempotency_key": "view-2"},
        follow=True,
    )
    body = response.content.decode()
    assert "2 rows to fix: nothing was imported" in body
    assert "The reading &#x27;x&#x27; is not a number." in body
    assert "No meter has serial number NOPE." in body
    found = ReadImport.objects.get()
    problems = client.get(
        reverse("utility_billing:read_import_detail", args=[found.pk]), {"format": "csv"}
    )
    lines = b"".join(problems.streaming_content).decode().splitlines()
    assert lines == [
        "line,problem",
        "2,The reading 'x' is not a number.",
        "3,No meter has serial number NOPE.",
    ]


def test_a_large_file_goes_to_a_job_and_its_page(client, ub_users, site, monkeypatch):
    monkeypatch.setattr(read_imports, "INLINE_ROWS", 1)
    _login(client, ub_users["tech"])
    content = "meter_serial,read_date,reading\nM-0001,2025-12-02,111\nM-0001,2025-12-20,115\n"
    response = client.post(
        reverse("utility_billing:read_import"),
        {"file": _file(content), "idempotency_key": "view-3"},
    )
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert not MeterRead.objects.filter(read_date=D(2025, 12, 2)).exists()
    pending = client.get(
        reverse("utility_billing:read_import_detail", args=[ReadImport.objects.get().pk])
    )
    assert 'class="card job-progress"' in pending.content.decode()


def test_import_refuses_what_is_not_a_csv_file(client, ub_users):
    _login(client, ub_users["tech"])
    response = client.post(
        reverse("utility_billing:read_import"),
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad"), "idempotency_key": "view-4"},
    )
    assert response.status_code == 200
    assert "not UTF-8 text" in response.content.decode()
    assert not ReadImport.objects.exists()


# ---------------------------------------------------------------- exceptions


def test_exception_screen_shows_each_open_exception_with_history(client, ub_users, high):
    for name in READERS:
        _login(client, ub_users[name])
        response = client.get(reverse("utility_billing:read_exceptions"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "High against the account&#x27;s history" in body
        assert "100001" in body and "2025-11-02: 100.000" in body


def test_exception_screen_query_count_is_pinned(
    client, ub_users, high, django_assert_max_num_queries
):
    for number in range(2, 8):
        meter = make_site(
            ub_users,
            serial=f"M-{number:04d}",
            parcel=f"021-400-{number:03d}",
            account=f"3{number:05d}",
        )
        read(meter, D(2025, 2, 2), "5", ub_users["tech"])
        read(meter, D(2025, 3, 2), "5", ub_users["tech"])  # zero use, occupied
    _login(client, ub_users["tech"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("utility_billing:read_exceptions"))
    assert response.content.decode().count("Review<span") == 7


def test_accept_from_the_read_page(client, ub_users, high):
    _login(client, ub_users["tech"])
    page = client.get(reverse("utility_billing:read_detail", args=[high.pk])).content.decode()
    assert "Settle the exception" in page
    url = reverse("utility_billing:read_accept", args=[high.pk])
    refused = client.post(url, {"accept-note": ""})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    response = client.post(url, {"accept-note": "Pool filled"})
    assert response.status_code == 302
    high.refresh_from_db()
    assert high.exception_status == ExceptionStatus.ACCEPTED


def test_correct_from_the_read_page(client, ub_users, high):
    _login(client, ub_users["senior"])
    url = reverse("utility_billing:read_correct", args=[high.pk])
    response = client.post(url, {"correct-reading": "110", "correct-note": "Typo"})
    assert response.status_code == 302
    high.refresh_from_db()
    assert (high.exception_status, high.consumption) == ("corrected", Decimal("10.000"))


def test_re_read_from_the_read_page(client, ub_users, high):
    _login(client, ub_users["tech"])
    response = client.post(
        reverse("utility_billing:read_re_read", args=[high.pk]), {"re_read-note": "Smudged"}
    )
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert order.kind == "re_read" and "Smudged" in order.notes


def test_readers_see_the_read_but_not_the_actions(client, ub_users, high):
    for name in ("supervisor", "auditor", "clerk"):
        _login(client, ub_users[name])
        page = client.get(reverse("utility_billing:read_detail", args=[high.pk]))
        assert page.status_code == 200
        assert "Settle the exception" not in page.content.decode()
        for action in ("read_accept", "read_correct", "read_re_read"):
            url = reverse(f"utility_billing:{action}", args=[high.pk])
            assert client.post(url, {"accept-note": "x"}).status_code == 403


def test_missing_reads_and_an_estimate(client, ub_users, site):
    _login(client, ub_users["tech"])
    response = client.get(
        reverse("utility_billing:read_missing"),
        {"cycle": site.location.cycle_id, "read_date": "2025-12-05"},
    )
    body = response.content.decode()
    assert "M-0001" in body and "Estimate" in body
    url = reverse("utility_billing:read_estimate", args=[site.pk])
    preview = client.get(url, {"read_date": "2025-12-05"}).content.decode()
    assert "Estimated use" in preview
    response = client.post(url, {"read_date": "2025-12-05", "note": ""})
    estimated = MeterRead.objects.get(read_date=D(2025, 12, 5))
    assert response["Location"] == reverse("utility_billing:read_detail", args=[estimated.pk])
    assert estimated.kind == "estimated"


def test_estimate_page_reads_for_the_auditor_but_only_technicians_record(client, ub_users, site):
    _login(client, ub_users["auditor"])
    url = reverse("utility_billing:read_estimate", args=[site.pk])
    page = client.get(url, {"read_date": "2025-12-05"})
    assert page.status_code == 200 and "Record the estimated read" not in page.content.decode()
    assert client.post(url, {"read_date": "2025-12-05"}).status_code == 403


def test_pages_with_no_cycle_yet_do_not_fail(client, ub_users):
    _login(client, ub_users["tech"])
    for url_name in ("read_entry", "read_missing", "read_exceptions", "meter_list", "read_import"):
        assert client.get(reverse(f"utility_billing:{url_name}")).status_code == 200


def test_technicians_home_lists_read_exceptions_to_review(client, ub_users, high):
    _login(client, ub_users["tech"])
    home = client.get(reverse("home")).content.decode()
    assert "Read exceptions to review" in home
    assert reverse("utility_billing:read_detail", args=[high.pk]) in home
    _login(client, ub_users["supervisor"])
    assert "Read exceptions to review" not in client.get(reverse("home")).content.decode()
