"""Every change to the customer master: create, edit, and merge two duplicates.

The customer merge registry: every module whose rows belong to a customer (utility
accounts, invoices, citations, ...) registers how to move them from a duplicate customer
to the one that survives. Modules register from AppConfig.ready(); this module imports
none of them, so receivables never reaches into another app's tables.
"""

import re
from collections.abc import Callable
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from receivables.models import FILLED_ON_MERGE, Customer, CustomerMerge


class MoveRows(Protocol):
    def __call__(
        self, *, duplicate: Customer, survivor: Customer, actor: AbstractBaseUser
    ) -> int: ...


_movers: dict[str, Callable[..., int]] = {}


def register_customer_merge(name: str, fn: MoveRows) -> None:
    """Register (or replace, by name) how a module moves its rows on a merge. `fn` runs
    inside the merge's transaction, both customers locked, and returns how many rows it
    moved; raising ValidationError refuses the merge."""
    _movers[name] = fn


def registered_customer_merges() -> dict[str, Callable[..., int]]:
    return dict(_movers)


def unregister_customer_merge(name: str) -> None:
    _movers.pop(name, None)


# The fields a person edits on the customer form, in the form's order.
CUSTOMER_FIELDS = (
    "kind",
    "name",
    "care_of",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "phone_alt",
    "email",
    "preferred_contact",
    "notes",
    "do_not_accept_checks",
)


def phone_digits_for(*phones: str) -> str:
    """The digits of each phone, and for a ten-digit number also its last seven, so
    "(650) 259-2334" is found by a prefix of "6502592334" or of "2592334"."""
    terms: list[str] = []
    for phone in phones:
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if not digits:
            continue
        terms.append(digits)
        if len(digits) == 10:
            terms.append(digits[3:])
    return " ".join(dict.fromkeys(terms))[:40]


def _with_phone_digits(customer: Customer) -> Customer:
    customer.phone_digits = phone_digits_for(customer.phone, customer.phone_alt)
    return customer


def build_customer(**values: object) -> Customer:
    """An unsaved customer with its phone digits filled (demo data and bulk loads use it
    with bulk_create)."""
    return _with_phone_digits(Customer(**values))


def create_customer(*, actor: AbstractBaseUser, **fields: Any) -> Customer:
    """Add a customer to the master (the fields are add_customer's)."""
    with transaction.atomic(durable=True):
        return add_customer(actor=actor, **fields)


def add_customer(
    *,
    kind: str,
    name: str,
    care_of: str = "",
    address_line1: str = "",
    address_line2: str = "",
    city: str = "",
    state: str = "CA",
    postal_code: str = "",
    phone: str = "",
    phone_alt: str = "",
    email: str = "",
    preferred_contact: str = "mail",
    notes: str = "",
    do_not_accept_checks: bool = False,
    actor: AbstractBaseUser,
) -> Customer:
    """Add a customer inside another module's transaction (a utility move-in adds the
    customer and the account together, or neither)."""
    with transaction.atomic():
        customer = build_customer(
            kind=kind,
            name=name.strip(),
            care_of=care_of,
            address_line1=address_line1,
            address_line2=address_line2,
            city=city,
            state=state,
            postal_code=postal_code,
            phone=phone,
            phone_alt=phone_alt,
            email=email,
            preferred_contact=preferred_contact,
            notes=notes,
            do_not_accept_checks=do_not_accept_checks,
        )
        customer.full_clean(validate_constraints=False)
        customer.save()
    return customer


def change_mailing_address(
    customer: Customer,
    *,
    care_of: str,
    address_line1: str,
    address_line2: str,
    city: str,
    state: str,
    postal_code: str,
    actor: AbstractBaseUser,
) -> Customer:
    """Change where a customer's mail goes, inside another module's transaction (a
    utility move-out records the forwarding address with the move-out)."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id is not None:
            raise ValidationError(
                f"{customer.number} was merged into C{customer.merged_into_id:06d}."
            )
        customer.care_of = care_of
        customer.address_line1 = address_line1
        customer.address_line2 = address_line2
        customer.city = city
        customer.state = state
        customer.postal_code = postal_code
        customer.full_clean(validate_constraints=False)
        customer.save()
    return customer


def update_customer(
    customer: Customer,
    *,
    kind: str,
    name: str,
    care_of: str,
    address_line1: str,
    address_line2: str,
    city: str,
    state: str,
    postal_code: str,
    phone: str,
    phone_alt: str,
    email: str,
    preferred_contact: str,
    notes: str,
    do_not_accept_checks: bool,
    is_active: bool,
    actor: AbstractBaseUser,
) -> Customer:
    """Change a customer's name, address, contacts and flags. A merged customer is
    history: it no longer changes."""
    with transaction.atomic(durable=True):
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id is not None:
            raise ValidationError(
                f"{customer.number} was merged into C{customer.merged_into_id:06d}: "
                "edit that customer instead."
            )
        values = {
            "kind": kind,
            "name": name.strip(),
            "care_of": care_of,
            "address_line1": address_line1,
            "address_line2": address_line2,
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "phone": phone,
            "phone_alt": phone_alt,
            "email": email,
            "preferred_contact": preferred_contact,
            "notes": notes,
            "do_not_accept_checks": do_not_accept_checks,
            "is_active": is_active,
        }
        for field, value in values.items():
            setattr(customer, field, value)
        _with_phone_digits(customer).full_clean(validate_constraints=False)
        customer.save()
    return customer


def merge_customers(
    duplicate: Customer,
    *,
    survivor: Customer,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> CustomerMerge:
    """Merge a duplicate customer into the survivor: every registered module moves its
    rows, the survivor takes the duplicate's notes, the contacts it lacks and its
    do-not-accept-checks flag, and the duplicate becomes inactive, merged into it. A
    repeat with the same key returns the first merge."""
    if duplicate.pk == survivor.pk:
        raise ValidationError({"survivor": "A customer cannot be merged into itself."})
    with transaction.atomic(durable=True):
        # Both rows, always in id order, so two merges of the same pair cannot deadlock.
        locked = Customer.objects.select_for_update().filter(pk__in=[duplicate.pk, survivor.pk])
        rows = {row.pk: row for row in locked.order_by("pk")}
        duplicate, survivor = rows[duplicate.pk], rows[survivor.pk]
        # Read under the locks: a double-click's second request waits here for the first.
        done = CustomerMerge.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done
        _check_mergeable(duplicate, survivor)
        moved = {
            name: move(duplicate=duplicate, survivor=survivor, actor=actor)
            for name, move in registered_customer_merges().items()
        }
        _absorb(survivor, duplicate, actor=actor)
        duplicate.is_active = False
        duplicate.merged_into = survivor
        duplicate.save(update_fields=["is_active", "merged_into"])
        return CustomerMerge.objects.create(
            duplicate=duplicate,
            survivor=survivor,
            merged_by=actor,
            idempotency_key=idempotency_key,
            moved=moved,
        )


def _check_mergeable(duplicate: Customer, survivor: Customer) -> None:
    if duplicate.merged_into_id is not None:
        raise ValidationError(
            {
                "duplicate": f"{duplicate.number} was already merged into "
                f"C{duplicate.merged_into_id:06d}."
            }
        )
    if survivor.merged_into_id is not None:
        raise ValidationError(
            {
                "survivor": f"{survivor.number} was merged into C{survivor.merged_into_id:06d}: "
                "merge into that customer instead."
            }
        )
    if not survivor.is_active:
        raise ValidationError(
            {"survivor": f"{survivor.number} is inactive: choose an active customer to keep."}
        )


def _absorb(survivor: Customer, duplicate: Customer, *, actor: AbstractBaseUser) -> None:
    for field in FILLED_ON_MERGE:
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    survivor.do_not_accept_checks = survivor.do_not_accept_checks or duplicate.do_not_accept_checks
    today = timezone.localdate().isoformat()
    who = actor.get_username()
    lines = [survivor.notes.rstrip()] if survivor.notes.strip() else []
    lines.append(f"Merged {duplicate.number} into this customer on {today} by {who}.")
    if duplicate.notes.strip():
        lines.append(f"Notes from {duplicate.number}: {duplicate.notes.strip()}")
    survivor.notes = "\n".join(lines)
    _with_phone_digits(survivor).save()
