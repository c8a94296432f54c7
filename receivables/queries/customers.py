"""Reads of the customer screens: search, the list and its export, the merge preview."""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from receivables.models import FILLED_ON_MERGE, Customer, CustomerMerge

# Longer input is not a search a person types; cutting it keeps the tsquery small.
MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 8
CUSTOMER_NUMBER = re.compile(r"[cC]?\s*0*([0-9]{1,9})")
PHONE_LIKE = re.compile(r"[0-9\s().+-]+")
# Letters and digits only: whatever else a person types (apostrophes, periods, commas,
# the tsquery operators & | ! : * ( )) never reaches to_tsquery.
WORD = re.compile(r"[^\W_]+")

CUSTOMER_EXPORT_FIELDS = [
    ("number", "id"),
    ("kind", "kind"),
    ("name", "name"),
    ("care_of", "care_of"),
    ("address", "address_line1"),
    ("address_line2", "address_line2"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "postal_code"),
    ("phone", "phone"),
    ("other_phone", "phone_alt"),
    ("email", "email"),
    ("preferred_contact", "preferred_contact"),
    ("do_not_accept_checks", "do_not_accept_checks"),
    ("active", "is_active"),
    ("merged_into", "merged_into_id"),
]


def clean_search_text(text: str) -> str:
    """The search text as it is used: no NUL bytes (PostgreSQL refuses them), bounded."""
    return text.replace("\x00", "").strip()[:MAX_SEARCH_CHARS]


def prefix_tsquery(text: str) -> str:
    """A tsquery in to_tsquery's syntax that matches rows having every word of the text
    as a prefix of one of their words, in any order: "o'brien st." -> o:* & brien:* & st:*.
    Only letters and digits go in, so no input can change the query's structure."""
    words = WORD.findall(text.lower())[:MAX_SEARCH_WORDS]
    return " & ".join(f"{word}:*" for word in dict.fromkeys(words))


def customer_search(text: str, *, include_merged: bool = False) -> QuerySet[Customer]:
    """Customers matching a search, best first: the customer whose number it is, then by
    full-text rank, then by name. A phone (any punctuation) is searched by its digits, an
    address with "@" as an email prefix, anything else word by word as prefixes."""
    text = clean_search_text(text)
    customers = Customer.objects.all()
    if not include_merged:
        customers = customers.filter(merged_into__isnull=True)
    if not text:
        return customers.none()
    number = CUSTOMER_NUMBER.fullmatch(text)
    pk = int(number.group(1)) if number else None
    found = Q(pk=pk) if pk is not None else Q(pk__in=[])
    email = text.lower()
    # "jdoe@", "j.doe" and "jdoe@example.com" are the start of an email address; the
    # tsvector holds an address as one word, so a prefix of it is matched on the column.
    email_like = " " not in text and ("@" in text or "." in text.strip("."))
    if email_like:
        customers = customers.annotate(email_lower=Lower("email"))
        email_match = Q(email_lower__startswith=email)
        email_rank = Case(
            When(email_lower=email, then=Value(1.0)),
            When(email_match, then=Value(0.5)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    if "@" in text:
        found |= email_match
        rank = email_rank
    else:
        if PHONE_LIKE.fullmatch(text) and len(re.sub(r"\D", "", text)) >= 3:
            digits = re.sub(r"\D", "", text)
            if len(digits) == 11 and digits.startswith("1"):
                digits = digits[1:]
            tsquery = f"{digits}:*"
        else:
            tsquery = prefix_tsquery(text)
        if not tsquery:
            return customers.none()
        query = SearchQuery(tsquery, search_type="raw", config="simple")
        found |= Q(search_vector=query)
        rank = SearchRank(F("search_vector"), query)
        if email_like:
            found |= email_match
            rank = rank + email_rank
    is_number = Case(When(pk=pk, then=1), default=0, output_field=IntegerField())
    return (
        customers.filter(found)
        .annotate(is_number=is_number, rank=rank)
        .order_by("-is_number", "-rank", "name", "id")
    )


def search_customers(text: str, *, limit: int, include_merged: bool = False) -> list[Customer]:
    """The best `limit` customers for a search (see customer_search)."""
    return list(customer_search(text, include_merged=include_merged)[:limit])


def customer_list(*, q: str = "", kind: str = "", status: str = "") -> QuerySet[Customer]:
    """The customer list: a search when there is one, else everyone by name; narrowed by
    kind and status ("" active, "inactive" closed or merged, "all")."""
    include_merged = status in {"inactive", "all"}
    if clean_search_text(q):
        customers = customer_search(q, include_merged=include_merged)
    else:
        customers = Customer.objects.order_by("name", "id")
    if kind:
        customers = customers.filter(kind=kind)
    if status == "inactive":
        customers = customers.filter(Q(is_active=False) | Q(merged_into__isnull=False))
    elif status != "all":
        customers = customers.filter(is_active=True, merged_into__isnull=True)
    return customers


def customer_detail(pk: int) -> Customer:
    """One customer with what it was merged into; raises Customer.DoesNotExist."""
    return Customer.objects.select_related("merged_into").get(pk=pk)


def customer_merged_from(customer: Customer) -> list[CustomerMerge]:
    """The merges that folded duplicates into this customer, newest first."""
    return list(
        CustomerMerge.objects.filter(survivor=customer)
        .select_related("duplicate", "merged_by")
        .order_by("-merged_at")
    )


@dataclass(frozen=True)
class MergeRow:
    label: str
    duplicate: str
    survivor: str
    result: str

    @property
    def differs(self) -> bool:
        return self.duplicate != self.survivor


MERGE_PREVIEW_FIELDS = [
    ("Number", "number"),
    ("Kind", "get_kind_display"),
    ("Name", "name"),
    ("In care of", "care_of"),
    ("Address", "address_line1"),
    ("Address line 2", "address_line2"),
    ("City", "city"),
    ("State", "state"),
    ("ZIP code", "postal_code"),
    ("Phone", "phone"),
    ("Other phone", "phone_alt"),
    ("Email", "email"),
    ("Preferred contact", "get_preferred_contact_display"),
    ("Do not accept checks", "do_not_accept_checks"),
    ("Status", "is_active"),
]


def merge_preview(duplicate: Customer, survivor: Customer) -> list[MergeRow]:
    """Both customers side by side, field by field, and what the survivor keeps."""
    rows = []
    for label, attr in MERGE_PREVIEW_FIELDS:
        values = []
        for customer in (duplicate, survivor):
            value = getattr(customer, attr)
            value = value() if callable(value) else value
            if attr == "do_not_accept_checks":
                value = "Yes" if value else "No"
            elif attr == "is_active":
                value = "Active" if value else "Inactive"
            values.append(str(value))
        result = values[1]
        if attr in FILLED_ON_MERGE and not result:
            result = values[0]
        elif attr == "do_not_accept_checks":
            result = "Yes" if "Yes" in values else "No"
        rows.append(MergeRow(label, values[0], values[1], result))
    return rows
