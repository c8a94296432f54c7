"""The counter's account search: every word starts a word of the account number, the
customer's name, the service address or the parcel number; the search words follow the
customer's and the location's changes (database triggers), and are not audited."""

import pytest
from django.apps import apps
from django.db import connection

from tests.receivables.conftest import make_customer
from tests.utility_billing.conftest import make_account, make_location
from utility_billing.queries.accounts import account_list


def _found(q: str) -> list[str]:
    return list(account_list(q=q).values_list("number", flat=True))


@pytest.fixture
def accounts(ub_users) -> dict:
    tech = ub_users["tech"]
    garcia = make_account(
        "100001",
        customer=make_customer("Garcia, Maria"),
        location=make_location("021-101-010", address_line1="120 Magnolia Ave"),
        opened_by=tech,
    )
    obrien = make_account(
        "100002",
        customer=make_customer("O'Brien-Kelly, Sean"),
        location=make_location(
            "023-450-002", address_line1="1250 El Camino Real", address_line2="Unit 4"
        ),
        opened_by=tech,
    )
    return {"garcia": garcia, "obrien": obrien, "tech": tech}


@pytest.mark.parametrize(
    "q, numbers",
    [
        ("100001", ["100001"]),
        ("10000", ["100001", "100002"]),
        ("garcia", ["100001"]),
        ("maria garcia", ["100001"]),
        ("o'brien", ["100002"]),
        ("brien-kelly", ["100002"]),
        ("magn", ["100001"]),
        ("120 magnolia", ["100001"]),
        ("garcia magnolia", ["100001"]),
        ("el cam", ["100002"]),
        ("unit 4", ["100002"]),
        ("021-101", ["100001"]),
        ("023-450-002", ["100002"]),
        ("023450", ["100002"]),
        ("450", ["100002"]),
        ("garcia camino", []),
        ("nobody", []),
        ("'; drop", []),
        ("--", []),
        ("\x00", ["100001", "100002"]),
        ("", ["100001", "100002"]),
    ],
)
def test_search_finds_by_number_name_address_and_parcel(accounts, q, numbers):
    assert _found(q) == numbers


def test_search_words_follow_the_customer_and_the_location(accounts):
    customer = accounts["garcia"].customer
    customer.name = "Lopez, Maria"
    customer.save()
    location = accounts["obrien"].location
    location.address_line1 = "400 Broadway"
    location.parcel_number = "024-001-001"
    location.save()

    assert _found("lopez") == ["100001"] and _found("garcia") == []
    assert _found("broadway") == ["100002"] and _found("camino") == []
    assert _found("024-001") == ["100002"] and _found("023-450") == []
    # A new account, and an account moved to another customer (a transfer writes one).
    new = make_account(
        "100003",
        customer=make_customer("Chen, Wei"),
        location=location,
        role="owner",
        opened_by=accounts["tech"],
    )
    assert _found("chen broadway") == [new.number]
    new.customer = customer
    new.save()
    assert _found("chen") == [] and _found("lopez broadway") == ["100003"]


def test_search_words_are_not_audited(accounts):
    events = apps.get_model("utility_billing", "UtilityAccountEvent").objects
    before = events.count()
    customer = accounts["garcia"].customer
    customer.name = "Lopez, Maria"
    customer.save()
    assert events.count() == before


def test_search_uses_the_index_not_a_scan(accounts):
    with connection.cursor() as cursor:
        # The index must serve the search's condition: with scans and plain index scans
        # off (the planner may otherwise walk the number index in order on a tiny table),
        # only a bitmap scan of an index that matches the condition is left.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = account_list(q="garcia magn").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "utility_account_search" in plan
