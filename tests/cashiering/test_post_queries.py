"""What posting a receipt costs the database, pinned: the counter's post request and the
service under it. The count does not grow with the account's history or the drawer's
receipts (a second receipt costs what the first did)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cashiering.models import Receipt
from tests.cashiering.test_views import _fill

# The post request, as profiled: the Django session, the user and their roles, the open
# session, the key looked for before the transaction (5); in it, the drawer locked, the
# key again, the session locked, cash in drawers, the receipt written and the drawer's
# number moved on (6); the utility target's payment: the account locked, the key's
# earlier movements, the open parts, their control accounts, the movements written in a
# savepoint, the account's referral (8); the items, the tenders, the entry through the
# posting service and the receipt's entry saved (9 with the savepoint's statements); the
# cart emptied in the Django session (2).
POST_REQUEST_QUERIES = 30


def _post(client, counter, number):
    account = counter["billing"]["accounts"][number]
    data = _fill(client, account, amount_0="20.00", cash="20.00")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("cashiering:counter"), data)
    assert response.status_code == 302
    return len(queries)


def test_posting_a_receipt_at_the_counter_costs_a_pinned_number_of_queries(client, counter):
    client.force_login(counter["users"]["clerk"])
    first = _post(client, counter, "A1")
    second = _post(client, counter, "A2")
    assert Receipt.objects.count() == 2
    assert (first, second) == (POST_REQUEST_QUERIES, POST_REQUEST_QUERIES)
