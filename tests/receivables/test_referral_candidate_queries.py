"""The collections candidates page reads the City's closures once, however many final
notices promised customers time (the demo's 80 notices made it 89 queries, 330 ms)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from millbrae_finance.business_days import add_business_days, add_business_days_to_each
from millbrae_finance.models import CityClosure
from receivables.models import DunningNotice
from receivables.queries.dunning import customers_promised_time, referral_date
from tests.receivables.conftest import make_customer

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2026, 11, 30)


def final_notices(count: int, sent_by, name: str = "Notified") -> list[DunningNotice]:
    """Final notices to `count` customers, one a day back from the day before AS_OF."""
    return [
        DunningNotice.objects.create(
            customer=make_customer(f"{name} {n}, Pat"),
            notice_date=AS_OF - datetime.timedelta(days=1 + n),
            level=3,
            amount_past_due=Decimal("50.00"),
            items=[],
            sent_by=sent_by,
        )
        for n in range(count)
    ]


def candidates_queries(client) -> int:
    url = reverse("receivables:referral_candidates")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"as_of": f"{AS_OF:%Y-%m-%d}", "days": "90"})
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_candidates_page_queries_do_not_grow_with_final_notices(client, ar_fees, ar_users):
    final_notices(1, ar_users["tech"])
    client.force_login(ar_users["tech"])
    candidates_queries(client)  # the session settles
    one = candidates_queries(client)
    final_notices(25, ar_users["tech"], name="Also notified")
    assert candidates_queries(client) == one


def test_promised_time_reads_closures_once_and_matches_one_notice_at_a_time(ar_users):
    CityClosure.objects.create(date=datetime.date(2026, 11, 27), name="Day after Thanksgiving")
    CityClosure.objects.create(date=datetime.date(2026, 12, 24), name="Christmas Eve")
    notices = final_notices(25, ar_users["tech"])
    with CaptureQueriesContext(connection) as queries:
        promised = customers_promised_time(AS_OF)
    # The notices, then the closures.
    assert len(queries.captured_queries) == 2
    expected = {
        n.customer_id: referral_date(n.notice_date)
        for n in notices
        if referral_date(n.notice_date) > AS_OF
    }
    assert promised == expected
    assert promised  # notices of the last two weeks still wait


def test_add_business_days_to_each_agrees_with_one_date_at_a_time(db):
    CityClosure.objects.create(date=datetime.date(2026, 12, 24), name="Christmas Eve")
    CityClosure.objects.create(date=datetime.date(2026, 12, 31), name="New Year's Eve")
    starts = [datetime.date(2026, 12, 1) + datetime.timedelta(days=n) for n in range(45)]
    for days in (10, -10, 1, 0, 60):
        assert add_business_days_to_each(starts, days) == {
            start: add_business_days(start, days) for start in starts
        }, days
    assert add_business_days_to_each([], 10) == {}
