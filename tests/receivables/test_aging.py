"""Aging: buckets at their boundaries, as of past dates, by customer and by type, tied to
the subledger totals to the cent."""

import contextlib
import datetime
from decimal import Decimal

import pytest
import time_machine

from receivables.models import ArSubledger
from receivables.queries.aging import AgingBy, AgingKind, aging, customer_receivables, open_items
from receivables.queries.subledger import subledger_total
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2027, 3, 31)


@pytest.fixture(autouse=True)
def spring_2027():
    """Citations cannot be dated in the future: these tests run in April 2027."""
    with time_machine.travel(datetime.datetime(2027, 4, 1, 12, 0), tick=False):
        yield


def due_days_ago(customer, days: int, amount: str, *, actor):
    """An invoice due on receipt, `days` days before the aging date."""
    return make_invoice(
        customer,
        actor=actor,
        amount=amount,
        invoice_date=AS_OF - datetime.timedelta(days=days),
        terms_days=0,
    )


def test_aging_buckets_split_at_30_60_90_120_days(ar_fees, ar_users):
    customer = make_customer()
    tech = ar_users["tech"]
    make_invoice(customer, actor=tech, amount="1.00", invoice_date=AS_OF, terms_days=30)
    for days, amount in [
        (30, "2.00"),
        (31, "4.00"),
        (60, "8.00"),
        (61, "16.00"),
        (90, "32.00"),
        (91, "64.00"),
        (120, "128.00"),
        (121, "256.00"),
    ]:
        due_days_ago(customer, days, amount, actor=tech)
    report = aging(AS_OF)
    [row] = report.rows
    assert row.customer_id == customer.pk
    assert row.documents == 9
    assert row.current == Decimal("3.00")  # not yet due, and exactly 30 days
    assert row.days_31_60 == Decimal("12.00")
    assert row.days_61_90 == Decimal("48.00")
    assert row.days_91_120 == Decimal("192.00")
    assert row.over_120 == Decimal("256.00")
    assert row.total == Decimal("511.00")
    assert report.total.total == Decimal("511.00")
    # A day later each boundary item moves up a bucket.
    later = aging(AS_OF + datetime.timedelta(days=1)).rows[0]
    assert later.current == Decimal("1.00")
    assert later.days_31_60 == Decimal("6.00")
    assert later.over_120 == Decimal("384.00")


def test_aging_in_the_past_ignores_later_payments(ar_fees, ar_users):
    customer = make_customer()
    invoice = make_invoice(
        customer, actor=ar_users["tech"], amount="100.00", invoice_date=datetime.date(2026, 10, 5)
    )
    pay(invoice.number, "invoice", "40.00", actor=ar_users["clerk"], day=datetime.date(2026, 11, 2))
    before = aging(datetime.date(2026, 11, 1))
    assert before.total.total == Decimal("100.00")
    after = aging(datetime.date(2026, 11, 2))
    assert after.total.total == Decimal("60.00")
    # Before the invoice existed there is nothing; once paid in full, it drops out.
    assert aging(datetime.date(2026, 10, 4)).rows == []
    pay(invoice.number, "invoice", "60.00", actor=ar_users["clerk"], day=datetime.date(2026, 12, 1))
    assert aging(datetime.date(2026, 12, 1)).rows == []
    assert aging(datetime.date(2026, 11, 30)).total.total == Decimal("60.00")


def test_aging_by_type_and_grand_total_equal_the_subledger_totals(ar_fees, ar_users):
    tech = ar_users["tech"]
    garcia, bakery = make_customer("Garcia, Maria"), make_customer("Bayside Bakery LLC")
    make_invoice(garcia, actor=tech, amount="148.00", invoice_date=datetime.date(2026, 9, 1))
    make_invoice(bakery, actor=tech, amount="85.50", invoice_date=datetime.date(2026, 12, 1))
    make_citation(actor=tech, customer=garcia, issue_date=datetime.date(2026, 10, 1))
    citation = make_citation(actor=tech, plate="8XYZ777", issue_date=datetime.date(2026, 8, 1))
    make_citation(actor=tech, kind="administrative", code="ADMIN-CITATION", issue_date=AS_OF)
    pay(
        citation.number, "citation", "20.00", actor=ar_users["clerk"], day=datetime.date(2026, 9, 1)
    )
    misc = subledger_total(ArSubledger.MISC_AR, AS_OF)
    fines = subledger_total(ArSubledger.FINES_AR, AS_OF)
    assert misc == Decimal("233.50")
    assert fines == Decimal("45.00") + Decimal("25.00") + Decimal("100.00")

    by_type = aging(AS_OF, by=AgingBy.TYPE)
    totals = {row.kind: row.total for row in by_type.rows}
    assert totals == {"invoice": misc, "citation": fines}
    assert by_type.total.total == misc + fines
    by_customer = aging(AS_OF)
    assert by_customer.total.total == misc + fines
    assert sum(row.total for row in by_customer.rows) == misc + fines
    labels = [row.label for row in by_customer.rows]
    # Customers by name, then the citations nobody has claimed, by plate or respondent.
    assert labels == [
        "Bayside Bakery LLC",
        "Garcia, Maria",
        "No customer — plate 8XYZ777",
        "No customer — Test Respondent",
    ]
    assert by_customer.rows[1].total == Decimal("193.00")
    assert by_customer.rows[2].customer_id is None
    assert by_customer.rows[2].over_120 == Decimal("25.00")

    invoices_only = aging(AS_OF, kind=AgingKind.INVOICE)
    assert invoices_only.total.total == misc
    citations_only = aging(AS_OF, by=AgingBy.TYPE, kind=AgingKind.CITATION)
    assert [row.kind for row in citations_only.rows] == ["citation"]
    assert citations_only.total.total == fines


def test_aging_is_one_query(ar_fees, ar_users, django_assert_num_queries):
    tech = ar_users["tech"]
    for number in range(5):
        make_invoice(make_customer(f"Customer {number}"), actor=tech)
        make_citation(actor=tech, plate=f"PLATE{number}")
    with django_assert_num_queries(1):
        report = aging(AS_OF)
    assert len(report.rows) == 10
    with django_assert_num_queries(1):
        aging(AS_OF, by=AgingBy.TYPE)


def test_customer_panel_lists_open_items_with_days_past_due(ar_fees, ar_users):
    tech = ar_users["tech"]
    customer = make_customer()
    paid = make_invoice(
        customer, actor=tech, amount="10.00", invoice_date=datetime.date(2026, 9, 1)
    )
    pay(paid.number, "invoice", "10.00", actor=ar_users["clerk"])
    invoice = make_invoice(
        customer, actor=tech, amount="148.00", invoice_date=datetime.date(2026, 10, 5)
    )
    citation = make_citation(actor=tech, customer=customer, issue_date=datetime.date(2026, 12, 1))
    make_invoice(make_customer("Someone, Else"), actor=tech)
    items = open_items(AS_OF, customer_ids=[customer.pk])
    assert [(item.number, item.balance, item.days_past_due) for item in items] == [
        (invoice.number, Decimal("148.00"), (AS_OF - invoice.due_date).days),
        (citation.number, Decimal("45.00"), (AS_OF - citation.issue_date).days),
    ]
    panel = customer_receivables(customer, as_of=AS_OF)
    assert panel.total_owed == Decimal("193.00")
    assert panel.aging.over_120 == Decimal("148.00")


# ---------------------------------------------------------------- the aging screens


def test_aging_page_pdf_and_csv(client, ar_fees, ar_users, django_assert_max_num_queries):
    import io

    import pypdf
    from django.urls import reverse

    tech = ar_users["tech"]
    for number in range(12):
        make_invoice(make_customer(f"Customer {number:02d}"), actor=tech, amount="10.00")
    make_citation(actor=tech, plate="8XYZ777", issue_date=datetime.date(2026, 8, 1))
    client.force_login(ar_users["auditor"])
    url = reverse("receivables:aging_report")
    with django_assert_max_num_queries(8):
        response = client.get(url, {"as_of": "2027-03-31"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "No customer — plate 8XYZ777" in page
    assert reverse("receivables:customer_detail", args=[ar_customer_pk("Customer 00")]) in page
    assert "$165.00" in page  # 12 x 10.00 + 45.00
    by_type = client.get(url, {"as_of": "2027-03-31", "by": "type"}).content.decode()
    assert "Miscellaneous invoices (misc AR)" in by_type
    assert "Citations and fines (fines AR)" in by_type

    csv = client.get(url, {"as_of": "2027-03-31", "format": "csv"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert (
        lines[0]
        == "customer,name,documents,Current,31–60 days,61–90 days,91–120 days,Over 120 days,total"
    )
    assert lines[-1] == ",Total,13,0.00,0.00,0.00,0.00,165.00,165.00"

    pdf = client.get(url, {"as_of": "2027-03-31", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    first = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    assert "Receivables aging" in first.extract_text()


def ar_customer_pk(name: str) -> int:
    from receivables.models import Customer

    return Customer.objects.get(name=name).pk


def test_aging_bad_date_and_roles(client, ar_users):
    from django.urls import reverse

    url = reverse("receivables:aging_report")
    client.force_login(ar_users["tech"])
    response = client.get(url, {"as_of": "2027-02-30"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert client.get(url, {"as_of": "2027-03-31", "by": "nonsense"}).status_code == 200
    client.force_login(ar_users["clerk"])
    assert client.get(url).status_code == 403


def test_customer_page_panel_and_its_query_count(
    client, ar_fees, ar_users, django_assert_max_num_queries
):
    from django.urls import reverse

    from receivables.services.dunning import send_notices

    tech = ar_users["tech"]
    customer = make_customer()
    invoice = make_invoice(
        customer, actor=tech, amount="148.00", invoice_date=datetime.date(2026, 10, 5)
    )
    for number in range(5):
        make_citation(actor=tech, customer=customer, issue_date=datetime.date(2027, 1, 2 + number))
    send_notices(datetime.date(2027, 3, 1), actor=ar_users["senior"])
    client.force_login(ar_users["clerk"])
    url = reverse("receivables:customer_detail", args=[customer.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "$373.00" in page  # 148.00 + 5 x 45.00
    assert invoice.number in page
    assert "2027-03-01 level 1" in page
    assert reverse("receivables:customer_statement", args=[customer.pk]) in page
    # Invoice and citation pages are linked once those URL names exist.
    from django.urls import NoReverseMatch

    with contextlib.suppress(NoReverseMatch):
        assert reverse("receivables:invoice_detail", args=[invoice.pk]) in page


def test_every_role_gets_what_its_role_allows(client, role_users):
    from django.urls import reverse

    from millbrae_finance.roles import FINANCE_STAFF, Role

    readers = FINANCE_STAFF | {Role.AUDITOR, Role.ADMINISTRATOR}
    customer = make_customer("Role, Matrix")
    pages = {
        reverse("receivables:aging_report"): readers,
        reverse("receivables:statement_batch"): readers,
        reverse("receivables:notice_list"): readers,
        reverse("receivables:customer_statement", args=[customer.pk]): readers
        | {Role.COUNTER_CLERK},
    }
    for url, allowed in pages.items():
        for role, user in role_users.items():
            client.force_login(user)
            expected = 200 if role in allowed else 403
            assert client.get(url).status_code == expected, (url, role)
    client.logout()
    assert client.get(reverse("receivables:aging_report")).status_code == 302
