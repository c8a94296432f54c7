"""Customer search: number first, then ranked full-text prefixes over name, address, phone
digits and email; tolerant of case, punctuation and word order; merged customers left out."""

import pytest

from receivables.queries.customers import customer_list, prefix_tsquery, search_customers
from tests.receivables.conftest import make_customer

pytestmark = pytest.mark.django_db


def names(found) -> list[str]:
    return [customer.name for customer in found]


def test_search_finds_by_surname_prefix_in_any_case(customers):
    assert names(search_customers("GARC", limit=10)) == ["Garcia, Maria"]
    assert names(search_customers("gar", limit=10)) == ["Garcia, Maria", "Garza, Mario"]


def test_search_words_in_either_order(customers):
    assert names(search_customers("maria garcia", limit=10)) == ["Garcia, Maria"]
    assert names(search_customers("Garcia, Maria", limit=10)) == ["Garcia, Maria"]


def test_search_tolerates_punctuation(customers):
    assert names(search_customers("o'brien", limit=10)) == ["O'Brien, Sean"]
    assert names(search_customers("O\u2019Brien hillcrest blvd.", limit=10)) == ["O'Brien, Sean"]
    assert names(search_customers("o'brien hillcrest blvd.", limit=10)) == ["O'Brien, Sean"]
    assert names(search_customers("sean & | ! :* (", limit=10)) == ["O'Brien, Sean"]


def test_prefix_tsquery_keeps_only_letters_and_digits():
    assert prefix_tsquery("O'Brien st.") == "o:* & brien:* & st:*"
    assert prefix_tsquery("a & b | !c :* ' ") == "a:* & b:* & c:*"
    assert prefix_tsquery("''") == ""


def test_search_by_street_prefix_and_number(customers):
    assert names(search_customers("magnol", limit=10)) == ["Garcia, Maria"]
    assert names(search_customers("el cam", limit=10)) == ["Garza, Mario"]
    assert names(search_customers("301 broad", limit=10)) == ["Bayside Bakery LLC"]


def test_search_by_customer_number_puts_that_customer_first(customers):
    bakery = customers["bakery"]
    assert search_customers(bakery.number, limit=10)[0] == bakery
    assert search_customers(str(bakery.pk), limit=10)[0] == bakery
    assert search_customers(bakery.number.lower(), limit=10)[0] == bakery


def test_search_by_phone_digits_with_any_punctuation(customers):
    garcia = customers["garcia"]
    assert search_customers("(650) 259-2334", limit=10) == [garcia]
    assert search_customers("6502592334", limit=10) == [garcia]
    assert search_customers("259-2334", limit=10) == [garcia]
    assert search_customers("2592", limit=10) == [garcia]
    assert search_customers("1-650-259-2334", limit=10) == [garcia]


def test_search_by_email_exact_or_prefix(customers):
    assert search_customers("maria.garcia@gmail.com", limit=10) == [customers["garcia"]]
    assert search_customers("MARIA.GARCIA@", limit=10) == [customers["garcia"]]
    assert search_customers("maria.gar", limit=10) == [customers["garcia"]]
    assert search_customers("office@bayside", limit=10) == [customers["bakery"]]


def test_search_ranks_better_matches_first(db):
    street = make_customer("Smith, Ann", address_line1="10 Taylor Blvd")
    named = make_customer("Taylor, Ann", address_line1="10 Taylor Blvd")
    assert search_customers("taylor", limit=10) == [named, street]


def test_search_leaves_out_merged_customers_unless_asked(customers):
    garza = customers["garza"]
    garza.is_active = False
    garza.merged_into = customers["garcia"]
    garza.save()
    assert names(search_customers("gar", limit=10)) == ["Garcia, Maria"]
    assert garza in search_customers("gar", limit=10, include_merged=True)
    assert garza not in customer_list(q="gar")
    assert garza in customer_list(q="gar", status="inactive")


def test_search_survives_nul_bytes_huge_and_empty_input(customers):
    assert search_customers("gar\x00cia", limit=10) == [customers["garcia"]]
    assert search_customers("x" * 100_000, limit=10) == []
    assert search_customers("   ", limit=10) == []
    assert search_customers("'&|!", limit=10) == []
    assert search_customers("C" + "9" * 40, limit=10) == []


def test_search_respects_the_limit(db):
    for n in range(5):
        make_customer(f"Lee, Person {n}")
    assert len(search_customers("lee", limit=3)) == 3
