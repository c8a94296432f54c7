"""Utility AR in the aging report: open bills by days past their due date in the report's
buckets, an account's unapplied credit apart, per account, with totals equal to the
utility AR control accounts' balance on the day; shown, exported and printed with the
receivables aging."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import Subledger
from ledger.reconciliation import reconciliation
from millbrae_finance.aging_sections import aging_sections
from tests.utility_billing.payment_helpers import billed, pay
from utility_billing.models import Bill
from utility_billing.queries.aging import utility_aging

pytestmark = pytest.mark.django_db
D = Decimal
AS_OF = datetime.date(2027, 1, 15)  # 45 days past October's bills (due 12/01)


@pytest.fixture
def aged(ub_users):
    billing = billed(ub_users, second=True)
    accounts = billing["accounts"]
    clerk = ub_users["clerk"]
    # A1 pays 100.00 on its October bill; A6 (never billed) pays ahead: a credit.
    pay(accounts["A1"].number, "100.00", key="r-1", actor=clerk, on=datetime.date(2026, 12, 20))
    pay(accounts["A6"].number, "30.00", key="r-2", actor=clerk, on=datetime.date(2026, 12, 20))
    return billing


def _control_balance(on: datetime.date) -> Decimal:
    return {r.subledger: r for r in reconciliation(on)}[Subledger.UTILITY_AR].gl_balance


def test_utility_aging_by_bill_due_date_ties_to_the_control_accounts(aged):
    accounts = aged["accounts"]
    section = utility_aging(AS_OF)
    lines = {line.number: line for line in section.lines}
    a1 = lines[accounts["A1"].number]
    # October's 44.80 left is 45 days past due; November's 100.25 (due 12/31) current.
    assert a1.buckets == [D("100.25"), D("44.80"), 0, 0, 0]
    assert (a1.items, a1.credit, a1.total) == (6, 0, D("145.05"))
    a6 = lines[accounts["A6"].number]
    assert (a6.buckets, a6.credit, a6.total) == ([0, 0, 0, 0, 0], D("-30.00"), D("-30.00"))
    a2 = lines[accounts["A2"].number]  # October only: 336.50, 45 days past due
    assert a2.buckets == [0, D("336.50"), 0, 0, 0]
    assert a1.url == reverse("utility_billing:account_detail", args=[accounts["A1"].pk])
    assert section.total.total == sum((line.total for line in section.lines), D("0"))
    assert section.total.total == _control_balance(AS_OF)
    assert section.total.credit == D("-30.00")


def test_an_aging_as_of_an_earlier_day_ignores_later_movements(aged):
    accounts = aged["accounts"]
    before = utility_aging(datetime.date(2026, 12, 5))
    lines = {line.number: line for line in before.lines}
    # Before the payments and November's bills: October's 144.80 in full, current.
    assert lines[accounts["A1"].number].buckets == [D("144.80"), 0, 0, 0, 0]
    assert accounts["A6"].number not in lines
    assert before.total.total == _control_balance(datetime.date(2026, 12, 5)) == D("605.25")
    far = utility_aging(datetime.date(2027, 6, 1))
    assert far.total.total == _control_balance(datetime.date(2027, 6, 1))
    a1 = {line.number: line for line in far.lines}[accounts["A1"].number]
    assert a1.buckets == [0, 0, 0, 0, D("145.05")]


def test_the_aging_registry_holds_the_utility_section(aged):
    assert "utility" in [section.key for section in aging_sections(AS_OF)]
    assert Bill.objects.count() > 0


def test_the_aging_page_csv_and_pdf_show_utility_ar(
    client, aged, ub_users, django_assert_max_num_queries
):
    import io

    import pypdf

    client.force_login(ub_users["auditor"])
    url = reverse("receivables:aging_report")
    with django_assert_max_num_queries(9):
        response = client.get(url, {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Utility accounts (utility AR)" in page
    assert aged["accounts"]["A1"].number in page
    assert f"{_control_balance(AS_OF):,.2f}" in page
    csv = client.get(url, {"as_of": AS_OF.isoformat(), "format": "csv"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert "Utility accounts (utility AR),name,items" in "\n".join(lines)
    assert lines[-1].startswith(",Total,")
    assert lines[-1].endswith(f",{_control_balance(AS_OF)}")
    pdf = client.get(url, {"as_of": AS_OF.isoformat(), "format": "pdf"})
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Utility accounts (utility AR)" in text
    # Only receivables' own kinds: no utility section.
    only_invoices = client.get(url, {"as_of": AS_OF.isoformat(), "kind": "invoice"})
    assert "Utility accounts (utility AR)" not in only_invoices.content.decode()
    client.force_login(ub_users["clerk"])
    assert client.get(url, {"as_of": AS_OF.isoformat()}).status_code == 403
