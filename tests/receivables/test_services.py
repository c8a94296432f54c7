"""Customer services: phone digits kept on every save; merging moves what registered
modules attach, carries notes and flags over, is refused when it cannot be, happens once
per key, and leaves an audit trail."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from millbrae_finance.audit import audit_events
from millbrae_finance.roles import Role
from receivables.models import Customer, CustomerMerge
from receivables.services.customers import (
    create_customer,
    merge_customers,
    phone_digits_for,
    register_customer_merge,
    unregister_customer_merge,
    update_customer,
)
from tests.conftest import make_user
from tests.receivables.conftest import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(db):
    return make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)


def edit_values(customer: Customer, **changes) -> dict:
    fields = [
        "kind", "name", "care_of", "address_line1", "address_line2", "city", "state",
        "postal_code", "phone", "phone_alt", "email", "preferred_contact", "notes",
        "do_not_accept_checks", "is_active",
    ]  # fmt: skip
    return {**{name: getattr(customer, name) for name in fields}, **changes}


def test_phone_digits_for_keeps_full_and_local_digits():
    assert phone_digits_for("(650) 259-2334", "") == "6502592334 2592334"
    assert phone_digits_for("1-650-259-2334", "650.555.0101") == (
        "6502592334 2592334 6505550101 5550101"
    )
    assert phone_digits_for("", "") == ""


def test_create_and_update_customer_maintain_phone_digits(senior):
    customer = create_customer(
        kind="person", name=" Chen, Wei ", address_line1="9 Taylor Blvd", city="Millbrae",
        postal_code="94030", phone="650-259-2334", actor=senior,
    )  # fmt: skip
    customer.refresh_from_db()
    assert customer.name == "Chen, Wei"
    assert customer.phone_digits == "6502592334 2592334"
    update_customer(
        customer, **edit_values(customer, phone="", phone_alt="650-555-0101"), actor=senior
    )
    customer.refresh_from_db()
    assert customer.phone_digits == "6505550101 5550101"


def test_update_refuses_a_merged_customer(senior):
    survivor, duplicate = make_customer("Chen, Wei"), make_customer("Chen, W.")
    merge_customers(duplicate, survivor=survivor, idempotency_key="k1", actor=senior)
    duplicate.refresh_from_db()
    with pytest.raises(ValidationError, match="was merged into"):
        update_customer(duplicate, **edit_values(duplicate, name="X"), actor=senior)


def test_merge_moves_registered_attachments_and_carries_notes_and_flags(senior):
    survivor = make_customer("Chen, Wei", notes="Pays in person.")
    duplicate = make_customer(
        "Chen, W.", phone="650-259-2334", email="wei@example.com",
        notes="Check returned 2025-03.", do_not_accept_checks=True,
    )  # fmt: skip
    calls = []

    def move(*, duplicate, survivor, actor):
        calls.append((duplicate.pk, survivor.pk, actor.pk))
        return 3

    register_customer_merge("test attachments", move)
    try:
        merge = merge_customers(duplicate, survivor=survivor, idempotency_key="k1", actor=senior)
    finally:
        unregister_customer_merge("test attachments")

    assert calls == [(duplicate.pk, survivor.pk, senior.pk)]
    assert merge.moved["test attachments"] == 3
    assert merge.moved["invoices and citations"] == 0
    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert (duplicate.is_active, duplicate.merged_into) == (False, survivor)
    assert survivor.do_not_accept_checks is True
    assert survivor.phone == "650-259-2334" and survivor.email == "wei@example.com"
    assert survivor.phone_digits == "6502592334 2592334"
    assert survivor.notes.startswith("Pays in person.\n")
    assert f"Merged {duplicate.number} into this customer on " in survivor.notes
    assert f"by {senior.username}." in survivor.notes
    assert f"Notes from {duplicate.number}: Check returned 2025-03." in survivor.notes


def test_merge_is_audited(senior):
    survivor, duplicate = make_customer("Chen, Wei"), make_customer("Chen, W.")
    before = audit_events(model=Customer, object_id=str(duplicate.pk)).count()
    merge_customers(duplicate, survivor=survivor, idempotency_key="k1", actor=senior)
    events = audit_events(model=Customer, object_id=str(duplicate.pk))
    assert events.count() == before + 1
    assert events.first().pgh_data["merged_into_id"] == survivor.pk
    assert audit_events(model=Customer, object_id=str(survivor.pk)).count() == 2
    assert CustomerMerge.objects.get().merged_by == senior


def test_merge_with_the_same_key_happens_once(senior):
    survivor, duplicate = make_customer("Chen, Wei"), make_customer("Chen, W.", notes="n")
    first = merge_customers(duplicate, survivor=survivor, idempotency_key="k1", actor=senior)
    again = merge_customers(duplicate, survivor=survivor, idempotency_key="k1", actor=senior)
    assert again == first
    survivor.refresh_from_db()
    assert survivor.notes.count("Merged ") == 1
    assert CustomerMerge.objects.count() == 1


@pytest.mark.parametrize("case", ["self", "already merged", "into merged", "into inactive"])
def test_merge_refusals(senior, case):
    a, b, c = make_customer("A"), make_customer("B"), make_customer("C")
    if case == "self":
        duplicate, survivor = a, a
    elif case == "already merged":
        merge_customers(a, survivor=b, idempotency_key="k0", actor=senior)
        duplicate, survivor = a, c
    elif case == "into merged":
        merge_customers(b, survivor=c, idempotency_key="k0", actor=senior)
        duplicate, survivor = a, b
    else:
        Customer.objects.filter(pk=b.pk).update(is_active=False)
        duplicate, survivor = a, b
    with pytest.raises(ValidationError):
        merge_customers(duplicate, survivor=survivor, idempotency_key="k1", actor=senior)
    assert not CustomerMerge.objects.filter(idempotency_key="k1").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_click_merges_once():
    senior = make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)
    survivor, duplicate = make_customer("Chen, Wei"), make_customer("Chen, W.")
    results, errors = [], []

    def click():
        try:
            results.append(
                merge_customers(duplicate, survivor=survivor, idempotency_key="dbl", actor=senior)
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({merge.pk for merge in results}) == 1
    survivor.refresh_from_db()
    assert survivor.notes.count("Merged ") == 1
