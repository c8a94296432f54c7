"""Read files: imported whole or refused whole with every bad row listed by its line; a
large file is checked and imported by a background job, never inside the request."""

import datetime
from decimal import Decimal

import pytest

from millbrae_finance.jobs import Job, JobState
from tests.jobs_helpers import run_queued_jobs
from tests.utility_billing.conftest import make_meter
from tests.utility_billing.read_helpers import make_site, read, today  # noqa: F401
from utility_billing.models import MeterRead, ReadImport, ReadImportStatus
from utility_billing.services import read_imports
from utility_billing.services import reads as read_services
from utility_billing.services.meters import remove_meter
from utility_billing.services.read_imports import parse_read_file, upload_read_file

pytestmark = pytest.mark.usefixtures("today")

D = datetime.date
HEADER = "meter_serial,read_date,reading,kind,source\n"


def _upload(users, content: str, key: str = "k1") -> ReadImport:
    return upload_read_file(
        filename="route-7.csv", content=content, idempotency_key=key, actor=users["tech"]
    )


def test_a_good_file_is_imported_whole(ub_users):
    make_site(ub_users, serial="M-1", parcel="021-101-001", account="100001")
    make_site(ub_users, serial="M-2", parcel="021-101-002", account="100002")
    content = HEADER + (
        "M-1,2025-02-02,10,actual,handheld\n"
        "M-2,02/02/2025,20.5,,ami\n"
        "\n"
        "M-1,2025-03-02,20,estimated,\n"
    )
    done = _upload(ub_users, content)
    assert done.status == ReadImportStatus.IMPORTED
    assert done.rows == 3 and done.reads_created == 3 and done.errors == []
    assert done.job is None  # small: imported while the person waited
    reads = {(r.meter.serial, r.read_date): r for r in MeterRead.objects.select_related("meter")}
    assert reads["M-2", D(2025, 2, 2)].source == "ami"
    assert reads["M-2", D(2025, 2, 2)].reading == Decimal("20.500")
    assert reads["M-1", D(2025, 3, 2)].kind == "estimated"
    assert reads["M-1", D(2025, 3, 2)].source == "import"
    assert reads["M-1", D(2025, 3, 2)].consumption == Decimal("10.000")
    assert {r.entered_by for r in reads.values()} == {ub_users["tech"]}


def test_a_file_with_bad_rows_is_refused_whole_with_every_bad_row_listed(ub_users):
    tech = ub_users["tech"]
    make_site(ub_users, serial="M-1", parcel="021-101-001", account="100001")
    already = make_site(ub_users, serial="M-2", parcel="021-101-002", account="100002")
    read(already, D(2025, 2, 2), "5", tech)
    gone = make_site(ub_users, serial="M-3", parcel="021-101-003", account="100003")
    remove_meter(gone, removal_date=D(2025, 1, 20), final_reading=Decimal("1"), actor=tech)
    make_meter("M-STOCK")
    content = HEADER + (
        "M-1,2025-02-02,10,actual,handheld\n"  # 2: good
        "M-404,2025-02-02,10,actual,handheld\n"  # 3: unknown meter
        "M-3,2025-02-02,10,actual,handheld\n"  # 4: removed
        "M-1,2025-02-30,10,actual,handheld\n"  # 5: bad date
        "M-1,2025-03-02,ten,actual,handheld\n"  # 6: not a number
        "M-1,2025-02-02,11,actual,handheld\n"  # 7: twice in the file
        "M-2,2025-02-02,6,actual,handheld\n"  # 8: already read that day
        "M-1,2024-12-31,1,actual,handheld\n"  # 9: before installation (2025-01-02)
        "M-STOCK,2025-02-02,1,actual,handheld\n"  # 10: not installed
        "M-1,2025-04-02,1,guessed,fax\n"  # 11: kind and source
        "M-1,2025-05-02,1\n"  # 12: too few fields
    )
    refused = _upload(ub_users, content)
    assert refused.status == ReadImportStatus.REFUSED
    assert refused.reads_created == 0
    errors = dict(refused.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert errors[3] == "No meter has serial number M-404."
    assert errors[4] == "Meter M-3 was removed on 2025-01-20."
    assert errors[5] == "The read date '2025-02-30' is not a date (YYYY-MM-DD)."
    assert errors[6] == "The reading 'ten' is not a number."
    assert errors[7] == "Meter M-1 is read on 2025-02-02 already (line 2)."
    assert errors[8] == "Meter M-2 already has a read on 2025-02-02."
    assert "before meter M-1 was installed (2025-01-02)" in errors[9]
    assert errors[10] == "Meter M-STOCK is not installed (it is in stock)."
    assert "kind 'guessed'" in errors[11] and "source 'fax'" in errors[11]
    assert errors[12] == "The row has 3 fields; the header has 5."
    # Nothing of the file was recorded, the good row included.
    assert not MeterRead.objects.filter(meter__serial="M-1").exists()


def test_a_file_without_the_columns_is_refused(ub_users):
    refused = _upload(ub_users, "serial,date,value\nM-1,2025-02-02,1\n")
    assert refused.status == ReadImportStatus.REFUSED
    assert "lacks meter_serial, read_date, reading" in refused.errors[0][1]


def test_parse_skips_blank_lines_and_counts_physical_lines():
    rows, problems = parse_read_file(HEADER + "\nM-1,2025-02-02,1,,\n\nM-2,2025-02-02,2,,\n")
    assert problems == []
    assert [row.line for row in rows] == [3, 5]


def test_the_same_upload_twice_is_one_import(ub_users):
    make_site(ub_users, serial="M-1")
    content = HEADER + "M-1,2025-02-02,10,actual,handheld\n"
    first = _upload(ub_users, content, key="same")
    second = _upload(ub_users, content, key="same")
    assert first.pk == second.pk
    assert MeterRead.objects.count() == 1


def test_a_large_file_is_imported_by_a_background_job(ub_users, monkeypatch):
    # The thresholds scaled down (a large file's rows and the slices the job writes in),
    # so the job's machinery runs on a file a test can afford: 25 meters, 40 reads each.
    monkeypatch.setattr(read_imports, "INLINE_ROWS", 100)
    monkeypatch.setattr(read_services, "SLICE_ROWS", 300)
    for number in range(25):
        make_site(
            ub_users,
            serial=f"M-{number:03d}",
            parcel=f"021-200-{number:03d}",
            account=f"2{number:05d}",
            install_date=D(2022, 12, 1),
        )
    lines = [
        f"M-{number:03d},{D(2023, 1, 1) + datetime.timedelta(days=10 * day):%Y-%m-%d},"
        f"{3 * day + number % 3}.25,actual,ami"
        for day in range(40)
        for number in range(25)
    ]
    upload = _upload(ub_users, HEADER + "\n".join(lines) + "\n")
    # Nothing is imported inside the request: a job is queued.
    assert upload.status == ReadImportStatus.PENDING
    assert upload.job is not None and upload.job.state == JobState.QUEUED
    assert not MeterRead.objects.exists()

    (job,) = run_queued_jobs()
    assert job.state == JobState.DONE
    assert job.rows_total == 1000 and job.rows_done == 1000
    upload.refresh_from_db()
    assert upload.status == ReadImportStatus.IMPORTED
    assert upload.reads_created == 1000
    assert MeterRead.objects.count() == 1000
    assert job.result_url == f"/utility/reads/import/{upload.pk}/"
    assert "1,000 reads imported" in job.result_label
    # Every read measured from the one before it, across the job's slices.
    last = MeterRead.objects.get(meter__serial="M-001", read_date=D(2024, 1, 26))
    assert last.previous_read.read_date == D(2024, 1, 16)
    assert last.consumption == Decimal("3.000")
    # Uploaded again with the same key: the same import, no second job.
    again = _upload(ub_users, HEADER + "\n".join(lines) + "\n")
    assert again.pk == upload.pk and Job.objects.count() == 1


def test_a_large_bad_file_is_refused_by_the_job_with_every_bad_row(ub_users, monkeypatch):
    monkeypatch.setattr(read_imports, "INLINE_ROWS", 10)
    make_site(ub_users, serial="M-1")
    lines = [
        f"M-1,{D(2025, 2, 1) + datetime.timedelta(days=day):%Y-%m-%d},{day},," for day in range(30)
    ]
    lines[7] = "M-1,2025-02-08,x,,"
    lines[20] = "M-9,2025-02-21,20,,"
    upload = _upload(ub_users, HEADER + "\n".join(lines) + "\n")
    (job,) = run_queued_jobs()
    assert job.state == JobState.DONE
    assert "Refused: 2 rows to fix" in job.result_label
    upload.refresh_from_db()
    assert upload.status == ReadImportStatus.REFUSED
    assert [line for line, _ in upload.errors] == [9, 22]
    assert not MeterRead.objects.exists()


def test_the_job_audits_the_reads_as_the_uploader(ub_users, monkeypatch):
    from pghistory.models import MiddlewareEvents

    monkeypatch.setattr(read_imports, "INLINE_ROWS", 0)
    make_site(ub_users, serial="M-1")
    _upload(ub_users, HEADER + "M-1,2025-02-02,10,,\n")
    run_queued_jobs()
    event = MiddlewareEvents.objects.filter(pgh_obj_model="utility_billing.MeterRead").first()
    assert event.user == ub_users["tech"]
