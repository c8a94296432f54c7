import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ledger.models import Account, FiscalPeriod, Fund
from millbrae_finance.roles import Role
from tests.conftest import make_user
from tests.ledger.conftest import post

SEPT = dt.date(2026, 9, 2)

pytestmark = pytest.mark.django_db
D = Decimal


def period(number: int) -> FiscalPeriod:
    return FiscalPeriod.objects.get(fiscal_year__year=2027, number=number)


def test_account_inquiry_shows_running_balance_and_drills_to_the_entry(client, activity, auditor):
    cash = Account.objects.get(number="501-0000-1010")
    client.force_login(auditor)
    response = client.get(
        reverse("ledger:account_inquiry", args=[cash.pk]),
        {"first": period(2).pk, "last": period(3).pk},
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert report.beginning == D("100.00")  # July, before the range
    assert (report.debits, report.credits, report.ending) == (D("255.25"), D("40.00"), D("315.25"))
    running = [line.running for line in response.context["page"]]
    assert running == [D("350.00"), D("310.00"), D("315.25")]
    page = response.content.decode()
    entry = report.lines[0].entry
    assert reverse("ledger:entry_detail", args=[entry.pk]) in page
    assert "DOC-b" in page
    # A module that registered its documents gets a link to them.
    from ledger.sources import register_source_documents

    register_source_documents("test", lambda ref: f"/documents/{ref}/")
    page = client.get(
        reverse("ledger:account_inquiry", args=[cash.pk]),
        {"first": period(2).pk, "last": period(3).pk},
    ).content.decode()
    assert '<a href="/documents/DOC-b/">DOC-b</a>' in page


def test_account_inquiry_running_balance_carries_across_pages(
    client, activity, auditor, monkeypatch
):
    from ledger.views import reports

    monkeypatch.setattr(reports, "ACTIVITY_PAGE_SIZE", 2)
    cash = Account.objects.get(number="501-0000-1010")
    client.force_login(auditor)
    params = {"first": period(1).pk, "last": period(3).pk, "page": 2}
    response = client.get(reverse("ledger:account_inquiry", args=[cash.pk]), params)
    assert [line.running for line in response.context["page"]] == [D("310.00"), D("315.25")]


def test_account_inquiry_csv_and_pdf(client, activity, auditor):
    cash = Account.objects.get(number="501-0000-1010")
    client.force_login(auditor)
    url = reverse("ledger:account_inquiry", args=[cash.pk])
    params = {"first": period(1).pk, "last": period(3).pk}
    lines = (
        b"".join(client.get(url, params | {"format": "csv"}).streaming_content)
        .decode()
        .splitlines()
    )
    assert lines[0] == "date,entry,source,document,memo,debit,credit,balance"
    assert lines[-1].endswith(",5.25,,315.25")
    pdf = client.get(url, params | {"format": "pdf"}).content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "501-0000-1010" in text
    assert "$315.25" in text


def test_balance_sheet_balances_with_net_change(client, activity, technician):
    client.force_login(technician)
    water = Fund.objects.get(code="501")
    response = client.get(reverse("ledger:balance_sheet"), {"fund": water.pk, "last": period(3).pk})
    report = response.context["report"]
    assert report.assets.total == D("315.25")
    assert report.net_change == D("315.25")  # 355.25 of sales less 40.00 of postage
    assert report.total_liabilities_and_fund_balance == report.assets.total
    assert "Revenues less expenditures to date" in response.content.decode()
    pdf = client.get(
        reverse("ledger:balance_sheet"), {"fund": water.pk, "last": period(3).pk, "format": "pdf"}
    ).content
    assert "Total assets" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_revenue_expenditure_statement_for_a_range(client, activity, technician):
    client.force_login(technician)
    water = Fund.objects.get(code="501")
    params = {"fund": water.pk, "first": period(2).pk, "last": period(3).pk}
    report = client.get(reverse("ledger:revenue_expenditure"), params).context["report"]
    assert report.revenues.total == D("255.25")
    assert report.expenditures.total == D("40.00")
    assert report.net_change == D("215.25")
    rows = (
        b"".join(
            client.get(
                reverse("ledger:revenue_expenditure"), params | {"format": "csv"}
            ).streaming_content
        )
        .decode()
        .splitlines()
    )
    assert rows[-1] == "Total,,Revenues less expenditures,215.25"


def test_statements_open_for_all_funds_and_say_so(client, activity, technician, time_machine):
    time_machine.move_to(dt.datetime(2026, 9, 15, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles")))
    post(technician, [("101-0000-1010", "7.00"), ("101-1100-4411", "-7.00")], "gf", SEPT)
    client.force_login(technician)

    response = client.get(reverse("ledger:balance_sheet"))
    report = response.context["report"]
    assert report.fund is None and report.as_of == period(3)
    assert report.assets.total == D("322.25")  # the Water Fund's 315.25 and the General's 7.00
    assert report.total_liabilities_and_fund_balance == report.assets.total
    page = response.content.decode()
    assert "All funds · as of September 30, 2026" in page
    assert "All funds together unless you choose one." in page

    response = client.get(reverse("ledger:revenue_expenditure"))
    report = response.context["report"]
    assert (report.fund, report.first, report.last) == (None, period(1), period(3))
    assert report.revenues.total == D("362.25")
    assert "All funds · FY 2027 P01" in response.content.decode()


def test_statements_refuse_bad_input(client, activity, technician):
    client.force_login(technician)
    response = client.get(
        reverse("ledger:revenue_expenditure"), {"fund": "zzz", "first": "1", "last": "x"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_counter_clerk_cannot_read_the_books(client, activity):
    client.force_login(make_user(Role.COUNTER_CLERK))
    assert client.get(reverse("ledger:balance_sheet")).status_code == 403


def test_trial_balance_pdf_is_landscape_with_each_account_name_on_one_line(
    client, activity, auditor
):
    long_names = {
        "501-0000-1010": "Water Enterprise: Pooled cash and investments with fiscal agent",
        "501-1100-4411": "Water Enterprise: Metered water sales, residential",
        "501-1100-5210": "Water Enterprise: Postage and mailing of utility bills",
    }
    for number, name in long_names.items():
        Account.objects.filter(number=number).update(name=name)
    client.force_login(auditor)
    params = {"first": period(1).pk, "last": period(3).pk, "format": "pdf"}

    pdf = PdfReader(io.BytesIO(client.get(reverse("ledger:trial_balance"), params).content))

    box = pdf.pages[0].mediabox
    assert (box.width, box.height) == (792, 612)  # letter, landscape
    lines = [line for page in pdf.pages for line in page.extract_text().splitlines()]
    for number, name in long_names.items():
        assert any(number in line and name in line for line in lines), "\n".join(lines)


def test_a_pdf_does_not_read_the_certificate_store(monkeypatch, client, activity, auditor):
    """PDFs fetch only static files: building a TLS context for them read the system's
    certificate store on every render, a tenth of a second for nothing."""
    import ssl

    def refuse(*args, **kwargs):
        raise AssertionError("a PDF render built a default TLS context")

    monkeypatch.setattr(ssl, "create_default_context", refuse)
    monkeypatch.setattr("http.client._create_https_context", refuse, raising=False)
    client.force_login(auditor)
    response = client.get(reverse("ledger:trial_balance"), {"format": "pdf"})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
