"""Customer statements: balance forward, every movement with a running balance, the
closing balance and its aging; one PDF per customer or one for every customer owing."""

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
import time_machine
from django.urls import reverse

from millbrae_finance.jobs import Job
from receivables.queries.aging import customers_with_balance, statements
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 10, 1)
AS_OF = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def december_2026():
    with time_machine.travel(datetime.datetime(2026, 12, 2, 12, 0), tick=False):
        yield


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def history(ar_fees, ar_users):
    """Garcia: an August invoice (before the period), part paid in October; a citation and
    a November invoice in the period; a payment after the statement date."""
    tech, clerk = ar_users["tech"], ar_users["clerk"]
    garcia = make_customer("Garcia, Maria", address_line1="120 Magnolia Ave")
    old = make_invoice(
        garcia,
        actor=tech,
        amount="100.00",
        invoice_date=datetime.date(2026, 8, 3),
        description="Facility rental",
    )
    pay(old.number, "invoice", "30.00", actor=clerk, day=datetime.date(2026, 9, 15))
    pay(old.number, "invoice", "20.00", actor=clerk, day=datetime.date(2026, 10, 20))
    citation = make_citation(actor=tech, customer=garcia, issue_date=datetime.date(2026, 10, 5))
    new = make_invoice(
        garcia,
        actor=tech,
        amount="148.00",
        invoice_date=datetime.date(2026, 11, 10),
        description="Re-inspection",
    )
    pay(new.number, "invoice", "148.00", actor=clerk, day=datetime.date(2026, 12, 1))
    bakery = make_customer("Bayside Bakery LLC", kind="business", address_line1="301 Broadway")
    make_invoice(bakery, actor=tech, amount="85.50", invoice_date=datetime.date(2026, 11, 20))
    paid_up = make_customer("Paid, Upton")
    settled = make_invoice(
        paid_up, actor=tech, amount="10.00", invoice_date=datetime.date(2026, 10, 1)
    )
    pay(settled.number, "invoice", "10.00", actor=clerk, day=datetime.date(2026, 10, 2))
    make_citation(actor=tech, plate="NOBODY1", issue_date=datetime.date(2026, 10, 9))
    return {
        "garcia": garcia,
        "bakery": bakery,
        "paid_up": paid_up,
        "old": old,
        "citation": citation,
        "new": new,
    }


def test_statement_opening_movements_running_and_closing_balance(history):
    [statement] = statements([history["garcia"].pk], start=START, as_of=AS_OF)
    assert statement.opening == Decimal("70.00")
    assert [
        (line.date, line.document, line.charge, line.credit, line.balance)
        for line in statement.lines
    ] == [
        (
            datetime.date(2026, 10, 5),
            history["citation"].number,
            Decimal("45.00"),
            None,
            Decimal("115.00"),
        ),
        (
            datetime.date(2026, 10, 20),
            history["old"].number,
            None,
            Decimal("20.00"),
            Decimal("95.00"),
        ),
        (
            datetime.date(2026, 11, 10),
            history["new"].number,
            Decimal("148.00"),
            None,
            Decimal("243.00"),
        ),
    ]
    # The December payment is after the statement date: not on it.
    assert statement.closing == Decimal("243.00")
    assert statement.charges == Decimal("193.00")
    assert statement.credits == Decimal("20.00")
    assert statement.lines[2].description == "Re-inspection"
    assert statement.aging.total == statement.closing
    assert statement.aging.current == Decimal("148.00") + Decimal("45.00") * 0
    assert statement.aging.days_31_60 == Decimal("45.00")
    assert statement.aging.days_61_90 == Decimal("50.00")


def test_customers_with_balance_leaves_out_the_paid_and_the_customerless(history):
    ids = customers_with_balance(AS_OF)
    assert ids == [history["bakery"].pk, history["garcia"].pk]


def test_statement_pdf_for_one_customer(client, history, ar_users):
    client.force_login(ar_users["clerk"])
    url = reverse("receivables:customer_statement", args=[history["garcia"].pk])
    response = client.get(url, {"as_of": "2026-11-30", "from": "2026-10-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    text = pdf_text(content)
    assert "STATEMENT" in text
    assert "GARCIA, MARIA" in text
    assert "Balance forward" in text
    assert "$243.00" in text
    assert "Amount enclosed" in text


def test_statement_bad_dates_come_back_beside_the_field(client, history, ar_users):
    client.force_login(ar_users["tech"])
    url = reverse("receivables:customer_statement", args=[history["garcia"].pk])
    response = client.get(url, {"as_of": "2026-11-30", "from": "2026-12-15"})
    assert response.status_code == 200
    assert "The period starts after the statement date." in response.content.decode()
    response = client.get(url, {"as_of": "not a date"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_batch_statements_one_pdf_with_each_customer_owing(
    client, history, ar_users, django_assert_max_num_queries
):
    client.force_login(ar_users["tech"])
    url = reverse("receivables:statement_batch")
    page = client.get(url, {"as_of": "2026-11-30", "from": "2026-10-01"})
    assert page.status_code == 200
    assert "<strong>2</strong> customers have a balance" in page.content.decode()
    # The button starts a background job (once, however often it is pressed).
    data = {
        "as_of": "2026-11-30",
        "from": "2026-10-01",
        "idempotency_key": page.context["batch_key"],
    }
    started = client.post(url, data)
    assert client.post(url, data)["Location"] == started["Location"]
    job = Job.objects.get()
    assert started["Location"] == reverse("job_detail", args=[job.pk])
    # The statements' own queries (as the page's were), and the job's bookkeeping: its
    # lock, its state, its progress, its file.
    with django_assert_max_num_queries(22):
        run_queued_jobs()
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total) == ("done", 2, 2)
    download = reverse("job_download", args=[job.pk])
    assert (
        f'<a href="{download}">2 statements (PDF, 2 pages)</a>'
        in client.get(started["Location"]).content.decode()
    )
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="statements-20261130.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 2  # one statement a page, a page break between
    assert "BAYSIDE BAKERY LLC" in texts[0]
    assert "GARCIA, MARIA" in texts[1]
    assert "PAID, UPTON" not in "".join(texts)


def test_statement_batch_query_count_does_not_grow_with_customers(
    ar_fees, ar_users, django_assert_max_num_queries
):
    for number in range(30):
        make_invoice(make_customer(f"Customer {number:02d}"), actor=ar_users["tech"])
    ids = customers_with_balance(AS_OF)
    assert len(ids) == 30
    with django_assert_max_num_queries(6):
        found = statements(ids, start=START, as_of=AS_OF)
    assert len(found) == 30


def test_statement_roles(client, history, ar_users):
    from tests.conftest import make_user

    url = reverse("receivables:statement_batch")
    client.force_login(ar_users["clerk"])
    assert client.get(url).status_code == 403
    client.force_login(make_user(None, "nobody_statements"))
    statement = reverse("receivables:customer_statement", args=[history["garcia"].pk])
    assert client.get(statement).status_code == 403
