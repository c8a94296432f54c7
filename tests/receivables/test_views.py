"""The customer screens: list and search (HTMX and plain), CSV, detail, create and edit
with messages beside the fields, merge with preview and a one-time key; roles enforced."""

import pytest
from django.urls import reverse

from millbrae_finance.roles import Role
from receivables.models import Customer, CustomerMerge
from tests.conftest import make_user
from tests.receivables.conftest import make_customer

pytestmark = pytest.mark.django_db

LIST = reverse("receivables:customer_list")
CREATE = reverse("receivables:customer_create")
MERGE = reverse("receivables:customer_merge")
VALID = {
    "kind": "person",
    "name": "Chen, Wei",
    "address_line1": "9 Taylor Blvd",
    "city": "Millbrae",
    "state": "ca",
    "postal_code": "940301234",
    "phone": "(650) 259 2334",
    "preferred_contact": "mail",
}


@pytest.fixture
def as_role(client):
    def login(role: Role):
        client.force_login(make_user(role))
        return client

    return login


def test_customer_list_shows_and_searches(as_role, customers):
    client = as_role(Role.COUNTER_CLERK)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"4 customers" in response.content
    assert b"New customer" not in response.content  # a clerk does not add customers
    response = client.get(LIST, {"q": "magnolia maria"})
    assert b"1 customer<" in response.content
    assert customers["garcia"].number.encode() in response.content


def test_customer_list_htmx_answers_the_results_fragment(as_role, customers):
    client = as_role(Role.ACCOUNTING_TECHNICIAN)
    response = client.get(LIST, {"q": "obrien"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="results"' in response.content
    response = client.get(LIST, {"q": "o'brien"}, headers={"HX-Request": "true"})
    assert b"O&#x27;Brien, Sean" in response.content


def test_customer_list_csv_export(as_role, customers):
    response = as_role(Role.AUDITOR).get(LIST, {"q": "gar", "format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("number,kind,name")
    assert "Garcia, Maria" in body and "Garza, Mario" in body and "Bakery" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a\x00b"},
        {"q": "x" * 5000},
        {"kind": "robot"},
        {"page": "\x00"},
        {"q": "C" + "9" * 30},
    ],
)
def test_customer_list_bad_input_is_no_500(as_role, customers, params):
    response = as_role(Role.COUNTER_CLERK).get(LIST, params)
    assert response.status_code == 200


def test_customer_list_query_count_is_pinned(as_role, customers, django_assert_num_queries):
    for n in range(30):
        make_customer(f"Lee, Person {n}")
    client = as_role(Role.COUNTER_CLERK)
    # Session, user, roles, count, one page of rows; the session's refresh (savepoint,
    # update, release). The same for 30 rows as for 3: no query per row.
    with django_assert_num_queries(8):
        client.get(LIST, {"q": "lee"})
    with django_assert_num_queries(8):
        client.get(LIST)


def test_customer_detail_and_404(as_role, customers):
    client = as_role(Role.AUDITOR)
    response = client.get(reverse("receivables:customer_detail", args=[customers["garcia"].pk]))
    assert response.status_code == 200
    assert b"maria.garcia@gmail.com" in response.content
    assert b">Edit<" not in response.content
    assert client.get(reverse("receivables:customer_detail", args=[999999])).status_code == 404


def test_technician_creates_a_customer(as_role):
    response = as_role(Role.ACCOUNTING_TECHNICIAN).post(CREATE, VALID)
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("receivables:customer_detail", args=[customer.pk])
    assert (customer.state, customer.postal_code, customer.phone) == (
        "CA",
        "94030-1234",
        "650-259-2334",
    )
    assert customer.phone_digits == "6502592334 2592334"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"postal_code": "9403"}, "postal_code", "5 digits or ZIP+4"),
        ({"state": "C1"}, "state", "two-letter code"),
        ({"state": "Calif"}, "state", "at most 2 characters"),
        ({"phone": "259-23"}, "phone", "10-digit"),
        ({"city": ""}, "city", "needs its city"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"name": "Chen\x00"}, "name", "Null characters"),
    ],
)
def test_customer_form_errors_show_beside_the_field(as_role, changes, field, message):
    response = as_role(Role.ACCOUNTING_TECHNICIAN).post(CREATE, {**VALID, **changes})
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert message.encode() in response.content
    assert not Customer.objects.exists()


def test_customer_form_needs_a_way_to_reach_the_customer(as_role):
    data = {"kind": "person", "name": "Chen, Wei", "preferred_contact": "mail", "state": "CA"}
    response = as_role(Role.ACCOUNTING_TECHNICIAN).post(CREATE, data)
    assert response.status_code == 200
    assert b"at least one way to reach" in response.content


def test_clerk_may_not_create_or_edit(as_role, customers):
    client = as_role(Role.COUNTER_CLERK)
    assert client.post(CREATE, VALID).status_code == 403
    edit = reverse("receivables:customer_edit", args=[customers["garcia"].pk])
    assert client.post(edit, VALID).status_code == 403
    assert Customer.objects.count() == 4


def test_technician_edits_a_customer(as_role, customers):
    garcia = customers["garcia"]
    edit = reverse("receivables:customer_edit", args=[garcia.pk])
    client = as_role(Role.ACCOUNTING_TECHNICIAN)
    assert client.get(edit).status_code == 200
    response = client.post(
        edit, {**VALID, "name": "Garcia, Maria", "phone": "650-555-0199", "is_active": "on"}
    )
    assert response.status_code == 302
    garcia.refresh_from_db()
    assert garcia.phone == "650-555-0199"
    assert garcia.phone_digits == "6505550199 5550199"


def test_merge_preview_then_confirm_once(as_role, customers):
    duplicate, survivor = customers["garza"], customers["garcia"]
    client = as_role(Role.SENIOR_ACCOUNTING_TECHNICIAN)
    response = client.get(MERGE, {"duplicate": duplicate.number, "survivor": survivor.number})
    assert response.status_code == 200
    assert b"Side by side" in response.content
    assert b"9 El Camino Real" in response.content and b"120 Magnolia Ave" in response.content
    key = response.context["merge_key"]
    data = {
        "duplicate": duplicate.number,
        "survivor": survivor.number,
        "idempotency_key": key,
        "confirm": "on",
    }
    first = client.post(MERGE, data)
    second = client.post(MERGE, data)  # a double-click
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("receivables:customer_detail", args=[survivor.pk])
    assert CustomerMerge.objects.count() == 1
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    response = client.get(second["Location"])
    assert f"Merged {duplicate.number}".encode() in response.content


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (("garcia", "garcia"), b"cannot be merged into itself"),
        (("garcia", None), b"There is no customer"),
    ],
)
def test_merge_refusals_show_on_the_form(as_role, customers, pair, message):
    duplicate = customers[pair[0]].number
    survivor = customers[pair[1]].number if pair[1] else "C999999"
    response = as_role(Role.FINANCE_SUPERVISOR).get(
        MERGE, {"duplicate": duplicate, "survivor": survivor}
    )
    assert response.status_code == 200
    assert message in response.content
    assert b"Side by side" not in response.content


def test_merge_refused_for_an_already_merged_customer_on_confirm(as_role, customers):
    client = as_role(Role.FINANCE_SUPERVISOR)
    garza, garcia, bakery = customers["garza"], customers["garcia"], customers["bakery"]
    client.post(
        MERGE,
        {
            "duplicate": garza.number,
            "survivor": garcia.number,
            "idempotency_key": "a",
            "confirm": "on",
        },
    )
    response = client.post(
        MERGE,
        {
            "duplicate": garza.number,
            "survivor": bakery.number,
            "idempotency_key": "b",
            "confirm": "on",
        },
    )
    assert response.status_code == 200
    assert b"already merged" in response.content
    assert CustomerMerge.objects.count() == 1


def test_technician_may_not_merge(as_role, customers):
    client = as_role(Role.ACCOUNTING_TECHNICIAN)
    data = {
        "duplicate": customers["garza"].number,
        "survivor": customers["garcia"].number,
        "idempotency_key": "k",
        "confirm": "on",
    }
    assert client.post(MERGE, data).status_code == 403
    assert client.get(MERGE).status_code == 403
    assert not CustomerMerge.objects.exists()


def test_merge_bad_input_is_no_500(as_role, customers):
    client = as_role(Role.FINANCE_SUPERVISOR)
    for value in ["\x00", "C" + "9" * 50, "x" * 5000, "-1"]:
        response = client.get(MERGE, {"duplicate": value, "survivor": value})
        assert response.status_code == 200


def test_merge_from_a_customer_page_starts_with_the_duplicate_chosen(as_role, customers):
    number = customers["garza"].number
    response = as_role(Role.FINANCE_SUPERVISOR).get(MERGE, {"duplicate": number})
    assert response.status_code == 200
    assert f'value="{number}"'.encode() in response.content
    assert b"This field is required" not in response.content
