"""The daily cash report: by account and fund, tender, clerk; voids, over/short,
deposits; its agreement with the receipts, the deposits and the ledger (and what it says
when the ledger disagrees); the pages, the PDFs and the CSV, and 403 for other roles."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cashiering.models import Deposit
from cashiering.queries.daily_cash import daily_cash_report
from cashiering.services.deposits import make_deposit
from ledger.services import LineSpec, post_entry
from tests.cashiering.conftest import cash_in_bank
from tests.cashiering.deposit_helpers import take_and_close

D = Decimal


def _deposited(counter):
    session = take_and_close(counter)
    return make_deposit(
        [session],
        deposit_date=timezone.localdate(),
        bank_account=cash_in_bank(),
        bank_name="Bank of the Peninsula",
        idempotency_key="report-dep",
        actor=counter["users"]["supervisor"],
    )


def test_the_report_shows_the_day_and_agrees_to_the_cent(counter):
    _deposited(counter)
    day = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        report = daily_cash_report(day, day)
    assert len(queries) == 14  # one a section, and one for the ledger
    assert (report.receipt_count, report.receipt_total) == (2, D("75.00"))
    assert report.by_account_total == D("75.00")
    assert sum(row["amount"] for row in report.by_account) == D("75.00")
    assert [(r["kind"], r["count"], r["net"]) for r in report.by_tender] == [
        ("card", 1, D("25.00")),
        ("cash", 1, D("20.00")),
        ("check", 1, D("30.00")),
    ]
    assert [(r["created_by__username"], r["count"], r["taken"]) for r in report.by_clerk] == [
        ("ub_clerk", 2, D("75.00"))
    ]
    assert report.over_short_total == D("-1.00")
    assert report.deposit_totals["all"] == D("74.00")
    assert report.ledger == {"drawers": D("0.00"), "over_short": D("1.00"), "bank": D("74.00")}
    assert report.agrees and report.total_difference == D("0.00")
    assert all(check.agrees for check in report.checks) and len(report.checks) == 6


def test_the_report_says_which_figure_the_ledger_disagrees_with(counter):
    _deposited(counter)
    # An entry to cash in drawers that no receipt, count or deposit explains.
    post_entry(
        entry_date=timezone.localdate(),
        lines=[LineSpec("101-0000-1020", D("5.00")), LineSpec("101-0000-5990", D("-5.00"))],
        memo="Stray correction",
        source_module="ledger",
        idempotency_key="stray",
        prepared_by=counter["users"]["tech"],
    )
    day = timezone.localdate()
    report = daily_cash_report(day, day)
    assert not report.agrees
    assert [(c.name, c.difference) for c in report.disagreements] == [
        ("Cash in drawers (101-0000-1020) in the ledger", D("-5.00")),
        ("Cash over and short (101-0000-5990) in the ledger", D("-5.00")),
    ]
    assert report.total_difference == D("10.00")


def test_a_void_is_listed_and_left_out_of_the_receipts(counter):
    from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
    from cashiering.services.voids import void_receipt

    session = counter["session"]
    a1 = counter["billing"]["accounts"]["A1"]
    receipt = post_receipt(
        session,
        items=[ItemSpec("utility-account", a1.number, D("10.00"))],
        tenders=[TenderSpec("cash", D("10.00"))],
        idempotency_key="to-void",
        actor=session.clerk,
    )
    void_receipt(
        receipt, reason="Wrong account", actor=session.clerk, approver=counter["users"]["senior"]
    )
    day = timezone.localdate()
    report = daily_cash_report(day, day)
    assert (report.receipt_total, report.void_count, report.void_total) == (
        D("0.00"),
        1,
        D("10.00"),
    )
    assert [r.display_number for r in report.voids] == [receipt.display_number]
    assert report.agrees


def test_the_report_page_pdf_and_csv(client, counter):
    deposit = _deposited(counter)
    client.force_login(counter["users"]["supervisor"])
    url = reverse("cashiering:daily_cash")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Agrees with the receipts, the deposits and the ledger: yes, difference $0.00." in html
    assert deposit.display_number in html and "($1.00)" in html

    day = timezone.localdate().isoformat()
    response = client.get(url, {"date_from": day, "date_to": day, "format": "csv"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["section", "item", "detail", "count", "amount"]
    assert ["receipts by tender", "check", "net", "1", "30.00"] in rows
    assert ["receipts by account", "total", "", "2", "75.00"] in rows
    assert ["over/short", "total", "", "1", "-1.00"] in rows
    assert ["deposits", deposit.display_number, f"{day} 101-0000-1010", "1", "74.00"] in rows
    assert [r[2] for r in rows if r[0] == "agreement"] == ["agrees"] * 6

    pdf = client.get(url, {"date_from": day, "date_to": day, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_report_page_names_a_disagreement(client, counter):
    _deposited(counter)
    post_entry(
        entry_date=timezone.localdate(),
        lines=[LineSpec("101-0000-1020", D("5.00")), LineSpec("101-0000-5990", D("-5.00"))],
        memo="Stray correction",
        source_module="ledger",
        idempotency_key="stray",
        prepared_by=counter["users"]["tech"],
    )
    client.force_login(counter["users"]["auditor"])
    html = client.get(reverse("cashiering:daily_cash")).content.decode()
    assert "Agrees with the receipts, the deposits and the ledger: no." in html
    assert "Cash in drawers (101-0000-1020) in the ledger" in html and "($5.00)" in html


def test_a_range_ending_before_it_starts_is_refused(client, counter):
    client.force_login(counter["users"]["supervisor"])
    page = client.get(
        reverse("cashiering:daily_cash"), {"date_from": "2026-12-20", "date_to": "2026-12-01"}
    )
    assert page.status_code == 200 and page.context["report"] is None
    assert "ends on or after it starts" in page.content.decode()


@pytest.mark.parametrize("role", ["clerk", "tech", "admin"])
def test_the_report_and_deposits_are_refused_to_other_roles(client, counter, role):
    client.force_login(counter["users"][role])
    for name in ("cashiering:daily_cash", "cashiering:deposit_list", "cashiering:deposit_create"):
        assert client.get(reverse(name)).status_code == 403


def test_the_deposit_page_makes_a_deposit_once(client, counter):
    session = take_and_close(counter)
    client.force_login(counter["users"]["senior"])
    url = reverse("cashiering:deposit_create")
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    html = page.content.decode()
    assert f'value="{session.pk}"' in html and "$74.00" in html
    data = {
        "deposit_date": timezone.localdate().isoformat(),
        "bank_account": cash_in_bank().pk,
        "bank_name": "Bank of the Peninsula",
        "sessions": [session.pk],
        "idempotency_key": form.initial["idempotency_key"],
    }
    response = client.post(url, data, follow=True)
    deposit = Deposit.objects.get()
    assert response.redirect_chain[-1][0] == reverse("cashiering:deposit_detail", args=[deposit.pk])
    html = response.content.decode()
    assert "is made and posted" in html and "501" in html and "$49.00" in html
    session_page = client.get(reverse("cashiering:session_detail", args=[session.pk]))
    assert deposit.display_number in session_page.content.decode()
    # A double-click: the same key posts nothing new.
    again = client.post(url, data)
    assert again.status_code == 302 and Deposit.objects.count() == 1
    # The auditor reads it, and the slip prints; the auditor may not make one.
    client.force_login(counter["users"]["auditor"])
    assert client.get(reverse("cashiering:deposit_list")).status_code == 200
    slip = client.get(reverse("cashiering:deposit_slip", args=[deposit.pk]))
    assert slip["Content-Type"] == "application/pdf" and slip.content.startswith(b"%PDF")
    assert client.get(url).status_code == 403


def test_the_deposit_page_shows_the_services_refusal(client, counter):
    session = take_and_close(counter, verify=False)
    client.force_login(counter["users"]["supervisor"])
    url = reverse("cashiering:deposit_create")
    page = client.get(url)
    assert f'value="{session.pk}"' not in page.content.decode()
    response = client.post(
        url,
        {
            "deposit_date": timezone.localdate().isoformat(),
            "bank_account": cash_in_bank().pk,
            "bank_name": "Bank",
            "sessions": [session.pk],
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 200 and not Deposit.objects.exists()
