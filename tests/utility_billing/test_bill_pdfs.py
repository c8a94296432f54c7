"""The bill PDF: what it shows (every figure, worked by hand in billing_helpers), its
13-month chart, who may open it; and a posted run's print file: one bill a posted bill in
order, rendered in chunks that a resumed job does not lay out again."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from millbrae_finance.jobs import Job, JobFile, JobState
from tests.jobs_helpers import run_queued_jobs
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
)
from utility_billing.bill_charts import consumption_chart, monthly_use
from utility_billing.models import Bill, BillPrintFile, BillPrintPart, BillRun, BillRunStatus
from utility_billing.services.bill_prints import render_bill_print, start_bill_print
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billing(ub_users):
    return make_billing_cycle(ub_users)


def posted_run(billing, users, *, render: bool = True) -> BillRun:
    run = start_bill_run(
        billing["cycle"],
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=BILL_DATE,
        idempotency_key="run-1",
        actor=users["tech"],
    )
    run_queued_jobs()
    approve_bill_run(run, idempotency_key="approve-1", actor=users["senior"])
    run_queued_jobs()  # posts it, and queues its print file
    if render:
        run_queued_jobs()
    run.refresh_from_db()
    return run


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


SCANLINE = re.compile(r"(\S+)\s+(\d{10})\s+(\d{6})")


def page_account(page: str) -> str | None:
    """The account a bill's page is for, read from its stub's scan line (account number,
    amount due in cents, due date)."""
    found = SCANLINE.search(page)
    return found.group(1) if found else None


def bill_of(run: BillRun, name: str, billing) -> Bill:
    return Bill.objects.get(run=run, account=billing["accounts"][name])


def test_bill_pdf_shows_account_reads_charges_and_amount_due(client_for, billing, ub_users):
    run = posted_run(billing, ub_users, render=False)
    bill = bill_of(run, "A1", billing)
    response = client_for(ub_users["clerk"]).get(
        reverse("utility_billing:bill_pdf", args=[bill.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert len(pages) == 1
    text = pages[0]
    for expected in [
        "10101",  # account number
        bill.number,
        "101 Elm St",  # service address
        "10/06/2026 – 11/05/2026",  # billing period
        "12/01/2026",  # due date
        "$144.80",  # current charges and amount due
        "Amount enclosed",
        "REMIT TO",
        "Water use billed",
    ]:
        assert expected in text, expected
    # The tiers' arithmetic as the bill line holds it.
    for line in bill.lines.all():
        assert line.arithmetic.split()[0] in text
        assert f"${line.amount:,.2f}" in text


def test_bill_pdf_is_refused_to_a_role_that_may_not_read_bills(client_for, billing, ub_users):
    run = posted_run(billing, ub_users, render=False)
    bill = bill_of(run, "A1", billing)
    response = client_for(ub_users["admin"]).get(
        reverse("utility_billing:bill_pdf", args=[bill.pk])
    )
    assert response.status_code == 403


def test_chart_has_thirteen_months_ending_with_the_bill(billing, ub_users):
    months = monthly_use(
        datetime.date(2026, 11, 5),
        [(datetime.date(2026, 11, 5), D("10"), False), (datetime.date(2025, 11, 4), D("12"), True)],
    )
    chart = consumption_chart(months)

    assert len(chart.months) == 13
    assert chart.months[0].month == datetime.date(2025, 11, 1)
    assert chart.months[-1].month == datetime.date(2026, 11, 1)
    assert chart.svg.count("<rect") == 2
    # The month labels: one row of text, a letter at a time, every month's initials.
    labels = re.search(r'font-size="7" fill="#222">([^<]*)</text>', chart.svg).group(1)
    assert "NovDecJanFebMarAprMayJunJulAugSepOctNov" in labels
    assert chart.data_uri.startswith("data:image/svg+xml;base64,")
    assert "Nov 2025 12 (estimated)" in chart.summary
    assert "<desc" in chart.svg and "HCF" in chart.svg


def print_pages(run: BillRun) -> list[str]:
    """The pages of every part of the run's print file, in order."""
    parts = BillPrintPart.objects.filter(print_file__run=run).order_by("position")
    return [page for part in parts for page in pdf_text(bytes(part.data))]


def test_posting_a_run_renders_its_print_file_a_bill_a_page_in_account_order(
    client_for, billing, ub_users
):
    run = posted_run(billing, ub_users)

    print_file = BillPrintFile.objects.get(run=run)
    assert print_file.job.state == JobState.DONE
    assert print_file.bills == run.bills_count == 4
    pages = print_pages(run)
    assert len(pages) == 4
    for page, (name, amount) in zip(
        pages,
        [("A1", "$144.80"), ("A2", "$336.50"), ("A3", "$120.45"), ("A8", "$3.50")],
        strict=True,
    ):
        account = billing["accounts"][name]
        assert page_account(page) == account.number
        assert amount in page
        # The fixed text, drawn once a document under every page (the frame), is there.
        assert page.count("Amount enclosed") == page.count("REMIT TO") == 1
    # The run's page links the file; whoever reads runs downloads it, the counter may not.
    detail = client_for(ub_users["auditor"]).get(
        reverse("utility_billing:bill_run_detail", args=[run.pk])
    )
    url = reverse("utility_billing:bill_run_print_file", args=[run.pk])
    assert url in detail.content.decode()
    download = client_for(ub_users["auditor"]).get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert pdf_text(b"".join(download.streaming_content)) == pages
    assert 'filename="bill-run-' in download["Content-Disposition"]
    assert "part" not in download["Content-Disposition"]
    assert client_for(ub_users["clerk"]).get(url).status_code == 403


def test_a_run_not_posted_has_no_print_job(client_for, billing, ub_users):
    run = start_bill_run(
        billing["cycle"],
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=BILL_DATE,
        idempotency_key="run-1",
        actor=ub_users["tech"],
    )
    run_queued_jobs()
    run.refresh_from_db()
    assert run.status == BillRunStatus.COMPUTED

    assert not BillPrintFile.objects.exists()
    assert not Job.objects.filter(kind="bill_print").exists()
    with pytest.raises(ValidationError, match="only a posted run"):
        start_bill_print(run, actor=ub_users["senior"])
    response = client_for(ub_users["senior"]).post(
        reverse("utility_billing:bill_run_print", args=[run.pk]), follow=True
    )
    assert "only a posted run" in response.content.decode()
    assert not BillPrintFile.objects.exists()
    url = reverse("utility_billing:bill_run_print_file", args=[run.pk])
    assert client_for(ub_users["auditor"]).get(url).status_code == 404


class Killed(Exception):
    pass


def test_a_resumed_print_file_does_not_render_finished_chunks_again(billing, ub_users, monkeypatch):
    monkeypatch.setattr("utility_billing.services.bill_prints.CHUNK_BILLS", 1)
    run = posted_run(billing, ub_users, render=False)
    print_file = BillPrintFile.objects.get(run=run)
    assert print_file.chunks.count() == 4

    # The worker dies after its second chunk: two chunks are kept, two are not.
    def progress(done, total=None):
        if done >= 2:
            raise Killed

    with pytest.raises(Killed):
        render_bill_print(print_file.pk, job=print_file.job, progress=progress, processes=1)
    kept = dict(print_file.chunks.filter(data__isnull=False).values_list("position", "rendered_at"))
    assert sorted(kept) == [1, 2]

    # Resumed (as a worker would, in a pool of two processes): the other two are laid out.
    run_queued_jobs()
    print_file.job.refresh_from_db()
    assert print_file.job.state == JobState.DONE
    assert print_file.job.rows_done == print_file.job.rows_total == 4
    after = dict(print_file.chunks.values_list("position", "rendered_at"))
    assert {position: after[position] for position in kept} == kept
    assert all(after[position] for position in (3, 4))
    pages = print_pages(run)
    numbers = [billing["accounts"][name].number for name in ("A1", "A2", "A3", "A8")]
    assert [page_account(page) for page in pages] == numbers


def test_a_large_print_file_is_kept_in_parts_each_its_own_download(
    client_for, billing, ub_users, monkeypatch
):
    # Parts of at most two bills (5,000 in the app), read back a few bytes at a time.
    monkeypatch.setattr("utility_billing.services.bill_prints.CHUNK_BILLS", 1)
    monkeypatch.setattr("utility_billing.services.bill_prints.PART_BILLS", 2)
    monkeypatch.setattr("utility_billing.queries.bill_prints.SLICE_BYTES", 1000)
    run = posted_run(billing, ub_users)

    parts = list(BillPrintPart.objects.filter(print_file__run=run).order_by("position"))
    numbers = [billing["accounts"][name].number for name in ("A1", "A2", "A3", "A8")]
    assert [(p.position, p.bills, p.pages) for p in parts] == [(1, 2, 2), (2, 2, 2)]
    assert [(p.first_account, p.last_account) for p in parts] == [
        (numbers[0], numbers[1]),
        (numbers[2], numbers[3]),
    ]
    assert not JobFile.objects.filter(job=parts[0].print_file.job).exists()

    auditor = client_for(ub_users["auditor"])
    detail = auditor.get(reverse("utility_billing:bill_run_detail", args=[run.pk])).content.decode()
    assert "in account-number order, in 2 files." in detail
    for part, expected in zip(parts, [numbers[:2], numbers[2:]], strict=True):
        url = reverse("utility_billing:bill_run_print_part", args=[run.pk, part.position])
        assert url in detail
        download = auditor.get(url)
        data = b"".join(download.streaming_content)
        assert len(data) == part.size == int(download["Content-Length"]) > 2000
        assert data == bytes(part.data)
        assert f"part-{part.position}.pdf" in download["Content-Disposition"]
        pages = pdf_text(data)
        assert [page_account(page) for page in pages] == expected
    missing = reverse("utility_billing:bill_run_print_part", args=[run.pk, 3])
    assert auditor.get(missing).status_code == 404
    assert client_for(ub_users["clerk"]).get(missing).status_code == 403
