"""What a user reads about a document or a customer: a citation with nothing left to pay
says Paid and the list filters by it; a customer without an address says so in words;
demo customers have been customers since their own dates."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from receivables.demo.customers import SINCE_FROM, SINCE_TO, seed_customers
from receivables.models import Citation, Customer
from receivables.services.write_offs import approve_write_off, request_write_off
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_citations(ar_fees, ar_users) -> dict[str, Citation]:
    """One owed, one paid at the counter, one written off."""
    owed = make_citation(actor=ar_users["tech"], number="P300001")
    paid = make_citation(actor=ar_users["tech"], number="P300002")
    written = make_citation(actor=ar_users["tech"], number="P300003")
    pay(paid.number, "citation", "45.00", actor=ar_users["clerk"])
    write_off = request_write_off(
        written,
        amount=Decimal("45.00"),
        reason="Registered owner unknown.",
        write_off_date=datetime.date(2026, 11, 20),
        actor=ar_users["tech"],
    )
    approve_write_off(write_off, actor=ar_users["supervisor"])
    return {"owed": owed, "paid": paid, "written": written}


def test_a_paid_citation_says_paid_in_the_list_and_on_its_page(client, three_citations, ar_users):
    client.force_login(ar_users["clerk"])
    page = client.get(reverse("receivables:citation_list")).content.decode()
    rows = {row.split("</a>")[0][-7:]: row for row in page.split("<tr")[1:] if "P3000" in row}
    assert ">Open</span>" in rows["P300001"]
    assert ">Paid</span>" in rows["P300002"]
    assert ">Written off</span>" in rows["P300003"]

    detail = client.get(reverse("receivables:citation_detail", args=[three_citations["paid"].pk]))
    assert '<span class="badge status-posted">Paid</span>' in detail.content.decode()


@pytest.mark.parametrize(
    ("status", "numbers"),
    [("open", ["P300001"]), ("paid", ["P300002"]), ("written_off", ["P300003"])],
)
def test_the_citation_list_filters_by_paid(client, three_citations, ar_users, status, numbers):
    client.force_login(ar_users["clerk"])
    response = client.get(reverse("receivables:citation_list"), {"status": status})
    assert response.status_code == 200
    assert [citation.number for citation in response.context["page"]] == numbers


def test_the_citation_export_says_paid(client, three_citations, ar_users):
    client.force_login(ar_users["clerk"])
    response = client.get(reverse("receivables:citation_list"), {"format": "csv"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    status = lines[0].split(",").index("status")
    states = {line.split(",")[0]: line.split(",")[status] for line in lines[1:]}
    assert states == {"P300001": "open", "P300002": "paid", "P300003": "written_off"}


def test_a_customer_without_an_address_says_so_in_words(client, ar_users):
    customer = make_customer(
        "Okafor, Ngozi", address_line1="", city="", postal_code="", email="n@example.com"
    )
    client.force_login(ar_users["clerk"])
    page = client.get(reverse("receivables:customer_detail", args=[customer.pk])).content.decode()
    assert "No mailing address on file" in page
    assert ">None<" not in page


def test_demo_customers_have_their_own_customer_since_dates(db):
    seed_customers(lambda message: None)
    since = [moment.date() for moment in Customer.objects.values_list("created_at", flat=True)]
    assert all(SINCE_FROM <= day <= SINCE_TO for day in since)
    years = {day.year for day in since}
    assert len(years) >= 15


def test_invoices_say_paid_or_written_off_and_filter_by_it(client, ar_fees, ar_users):
    customer = make_customer()
    paid = make_invoice(customer, actor=ar_users["tech"], amount="25.00")
    written = make_invoice(customer, actor=ar_users["tech"], amount="30.00")
    pay(paid.number, "invoice", "25.00", actor=ar_users["clerk"])
    write_off = request_write_off(
        written,
        amount=Decimal("30.00"),
        reason="Business closed.",
        write_off_date=datetime.date(2026, 11, 20),
        actor=ar_users["tech"],
    )
    approve_write_off(write_off, actor=ar_users["supervisor"])
    client.force_login(ar_users["clerk"])
    url = reverse("receivables:invoice_list")

    for status, invoice, label in [("paid", paid, "Paid"), ("written_off", written, "Written off")]:
        response = client.get(url, {"status": status})
        assert [row[0] for row in response.context["rows"]] == [invoice]
        assert response.context["rows"][0][1] == label
    detail = client.get(reverse("receivables:invoice_detail", args=[written.pk]))
    assert "Written off</span>" in detail.content.decode()
