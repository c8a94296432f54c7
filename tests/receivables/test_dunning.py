"""Dunning notices: levels by age and one at a time, 14 days apart, never past the final
notice; sending records each notice once; the notices PDF; who may send."""

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
import time_machine
from django.urls import reverse

from millbrae_finance.business_days import add_business_days
from millbrae_finance.jobs import Job
from receivables.models import DunningNotice
from receivables.queries.dunning import notices_on, plan_notices
from receivables.services.dunning import send_notices
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 8, 3)


def day(n: int) -> datetime.date:
    return DUE + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def spring_2027():
    with time_machine.travel(datetime.datetime(2027, 3, 1, 12, 0), tick=False):
        yield


@pytest.fixture
def owing(ar_fees, ar_users):
    """Garcia owes 148.00 on an invoice due August 3, 2026."""
    customer = make_customer("Garcia, Maria")
    invoice = make_invoice(
        customer, actor=ar_users["tech"], amount="148.00", invoice_date=DUE, terms_days=0
    )
    return customer, invoice


def levels(as_of: datetime.date) -> dict[str, int]:
    return {plan.customer.name: plan.level for plan in plan_notices(as_of)}


def test_reminder_at_30_days_not_29(owing):
    _, invoice = owing
    assert levels(day(29)) == {}
    [plan] = plan_notices(day(30))
    assert plan.level == 1
    assert plan.amount_past_due == Decimal("148.00")
    assert [item.number for item in plan.items] == [invoice.number]
    assert plan.oldest_days == 30


def test_levels_escalate_at_60_and_90_days_14_days_apart_and_stop_at_3(owing, ar_users):
    senior = ar_users["senior"]
    assert send_notices(day(30), actor=senior).created == 1
    assert levels(day(43)) == {}  # 13 days after the reminder
    assert levels(day(44)) == {}  # 14 days, but only 44 days past due: not yet a second
    assert levels(day(59)) == {}
    assert levels(day(60)) == {"Garcia, Maria": 2}
    send_notices(day(60), actor=senior)
    assert levels(day(89)) == {}
    assert levels(day(90)) == {"Garcia, Maria": 3}
    send_notices(day(90), actor=senior)
    # Never more than the final notice: what follows is the referral.
    assert levels(day(120)) == {}
    assert levels(day(400)) == {}
    assert list(
        DunningNotice.objects.order_by("notice_date").values_list("notice_date", "level")
    ) == [(day(30), 1), (day(60), 2), (day(90), 3)]


def test_second_and_final_notices_wait_14_days_after_the_last(owing, ar_users):
    senior = ar_users["senior"]
    # The first reminder went out late, at 85 days past due.
    send_notices(day(85), actor=senior)
    assert levels(day(98)) == {}
    assert levels(day(99)) == {"Garcia, Maria": 2}  # 14 days on; one level at a time
    send_notices(day(99), actor=senior)
    assert levels(day(112)) == {}
    assert levels(day(113)) == {"Garcia, Maria": 3}


def test_sending_twice_on_a_date_records_nothing_twice(owing, ar_users):
    customer, invoice = owing
    first = send_notices(day(30), actor=ar_users["senior"])
    again = send_notices(day(30), actor=ar_users["supervisor"])
    assert (first.created, again.created) == (1, 0)
    notice = DunningNotice.objects.get()
    assert notice.customer == customer
    assert notice.level == 1
    assert notice.amount_past_due == Decimal("148.00")
    assert notice.items == [
        {
            "reference": invoice.number,
            "kind": "invoice",
            "due": "2026-08-03",
            "days": 30,
            "balance": "148.00",
        }
    ]
    assert notice.sent_by == ar_users["senior"]


def test_paid_items_citations_under_review_and_customerless_get_no_notice(ar_fees, ar_users):
    tech = ar_users["tech"]
    paid = make_customer("Paid, Upton")
    invoice = make_invoice(paid, actor=tech, amount="10.00", invoice_date=DUE, terms_days=0)
    pay(invoice.number, "invoice", "10.00", actor=ar_users["clerk"], day=day(5))
    contesting = make_customer("Contesting, Carl")
    citation = make_citation(actor=tech, customer=contesting, issue_date=DUE)
    citation.hearing_status = "requested"
    citation.save(update_fields=["hearing_status"])
    make_citation(actor=tech, plate="NOBODY1", issue_date=DUE)
    assert plan_notices(day(45)) == []
    # As of a day before the payment, the paid customer did owe, but less than 30 days.
    assert levels(day(4)) == {}


def test_a_notice_before_the_debt_fell_due_starts_the_cycle_over(owing, ar_users):
    customer, invoice = owing
    senior = ar_users["senior"]
    for offset in (30, 60, 90):
        send_notices(day(offset), actor=senior)
    pay(invoice.number, "invoice", "148.00", actor=ar_users["clerk"], day=day(100))
    later = make_invoice(
        customer, actor=ar_users["tech"], amount="50.00", invoice_date=day(150), terms_days=0
    )
    [plan] = plan_notices(day(180))
    assert plan.level == 1
    assert [item.number for item in plan.items] == [later.number]


def test_min_days_past_due_raises_the_reminder_threshold(owing):
    assert plan_notices(day(40), min_days_past_due=45) == []
    assert [p.level for p in plan_notices(day(45), min_days_past_due=45)] == [1]


def test_plan_query_count_does_not_grow_with_customers(
    ar_fees, ar_users, django_assert_max_num_queries
):
    for number in range(20):
        make_invoice(
            make_customer(f"Customer {number:02d}"),
            actor=ar_users["tech"],
            invoice_date=DUE,
            terms_days=0,
        )
    with django_assert_max_num_queries(5):
        planned = plan_notices(day(35))
    assert len(planned) == 20


def test_notices_pdf_escalates_and_names_the_referral_date(owing, ar_users, client):
    senior = ar_users["senior"]
    for offset in (30, 60, 90):
        send_notices(day(offset), actor=senior)
    final_day = day(90)
    [printed] = notices_on(final_day)
    assert printed.referral_date == add_business_days(final_day, 10)
    client.force_login(ar_users["auditor"])
    url = reverse("receivables:notice_list")
    assert "Notices PDF</button>" in client.get(url).content.decode()

    def notices_pdf(notice_date) -> str:
        """Post the day's Notices PDF button, run its job, download what it made."""
        started = client.post(url, {"pdf_date": f"{notice_date:%Y-%m-%d}"})
        assert started["Location"].startswith("/jobs/")
        [job] = run_queued_jobs()
        assert job.state == "done", job.error
        response = client.get(reverse("job_download", args=[job.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())

    text = notices_pdf(final_day)
    assert "FINAL NOTICE" in text
    assert "collection agency" in text
    assert (
        f"{printed.referral_date:%B} {printed.referral_date.day}, {printed.referral_date:%Y}"
        in text
    )
    first_text = notices_pdf(day(30))
    assert "REMINDER" in first_text
    assert "collection agency" not in first_text
    bad = client.post(url, {"pdf_date": "2026-02-30"})
    assert bad.status_code == 200
    assert "Enter a valid date." in bad.content.decode()


def test_notice_screen_preview_send_and_who_may_send(owing, ar_users, client):
    url = reverse("receivables:notice_list")
    as_of = f"{day(30):%Y-%m-%d}"
    client.force_login(ar_users["tech"])
    preview = client.get(url, {"as_of": as_of})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Garcia, Maria" in page
    assert "Reminder" in page
    assert "Send 1 notice" not in page  # a technician previews; a lead sends
    assert client.post(url, {"as_of": as_of}).status_code == 403
    assert not DunningNotice.objects.exists()

    client.force_login(ar_users["senior"])
    form = client.get(url, {"as_of": as_of})
    assert "Send 1 notice" in form.content.decode()
    # Sending is a background job: the post answers with the job's page.
    data = {"as_of": as_of, "idempotency_key": form.context["send_key"]}
    response = client.post(url, data)
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert client.post(url, data)["Location"] == response["Location"]  # a double click
    run_queued_jobs()
    assert DunningNotice.objects.count() == 1
    assert "1 notice recorded for" in client.get(response["Location"]).content.decode()
    again = client.post(url, {"as_of": as_of})
    run_queued_jobs()
    assert "they were sent already" in client.get(again["Location"]).content.decode()
    assert DunningNotice.objects.count() == 1
    runs = client.get(url).content.decode()
    assert "Notices PDF" in runs

    future = client.post(url, {"as_of": "2027-12-01"})
    assert future.status_code == 200
    assert "Notices are mailed today or recorded for a past day." in future.content.decode()

    client.force_login(ar_users["clerk"])
    assert client.get(url).status_code == 403
    client.force_login(ar_users["auditor"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"as_of": as_of}).status_code == 403


def test_merge_moves_notices_to_the_survivor(owing, ar_users):
    from receivables.services.customers import merge_customers

    customer, _ = owing
    send_notices(day(30), actor=ar_users["senior"])
    survivor = make_customer("Garcia, Maria E.")
    merge_customers(
        customer, survivor=survivor, idempotency_key="merge-dunning", actor=ar_users["senior"]
    )
    assert DunningNotice.objects.get().customer == survivor


def test_a_day_to_come_previews_notices_without_a_send_button(owing, ar_users, client):
    client.force_login(ar_users["senior"])
    later = datetime.date.today() + datetime.timedelta(days=30)
    page = client.get(reverse("receivables:notice_list"), {"as_of": later.isoformat()})
    text = page.content.decode()
    assert page.context["planned"]
    assert "A forecast" in text
    assert '<button type="submit" class="primary">Send' not in text
