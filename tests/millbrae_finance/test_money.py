from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millbrae_finance.money import (
    allocate_oldest_first,
    split_by_weights,
    split_evenly,
    to_money,
)
from millbrae_finance.templatetags.millbrae import money

D = Decimal


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        ("2.345", "2.35"),
        ("2.344", "2.34"),
        ("-2.345", "-2.35"),
        ("0.005", "0.01"),
        ("10", "10.00"),
        (7, "7.00"),
        ("1234567.895", "1234567.90"),
    ],
)
def test_to_money_rounds_half_up_to_the_cent(raw, cents):
    assert to_money(raw) == D(cents)
    assert str(to_money(raw)) == cents


def test_to_money_refuses_a_float():
    with pytest.raises(TypeError):
        to_money(2.345)


def test_split_evenly_gives_the_odd_cents_to_the_first_parts():
    assert split_evenly(D("100.00"), 3) == [D("33.34"), D("33.33"), D("33.33")]
    assert split_evenly(D("-0.05"), 2) == [D("-0.03"), D("-0.02")]


def test_split_by_weights_uses_largest_remainder():
    # 10.00 by 1:1:1:3 -> exact 1.6667, 1.6667, 1.6667, 5.00: the leftover cent goes to
    # the first of the parts with the largest remainder.
    assert split_by_weights(D("10.00"), [1, 1, 1, 3]) == [
        D("1.67"),
        D("1.67"),
        D("1.66"),
        D("5.00"),
    ]


def test_split_by_weights_refuses_bad_input():
    with pytest.raises(ValueError, match="cents"):
        split_by_weights(D("1.001"), [1])
    with pytest.raises(ValueError, match="zero"):
        split_by_weights(D("1.00"), [0, 0])
    with pytest.raises(ValueError, match="negative"):
        split_by_weights(D("1.00"), [1, -1])
    with pytest.raises(ValueError):
        split_by_weights(D("1.00"), [])


@given(
    cents=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(
        lambda w: sum(w) > 0
    ),
)
def test_split_by_weights_parts_always_add_up(cents, weights):
    total = D(cents) / 100
    parts = split_by_weights(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / weight_sum
        assert abs(part - exact) < D("0.01")
        assert part == part.quantize(D("0.01"))


def test_allocate_oldest_first_fills_the_oldest_item_first():
    applied, left = allocate_oldest_first(D("150.00"), [D("100.00"), D("80.00"), D("20.00")])
    assert applied == [D("100.00"), D("50.00"), D("0.00")]
    assert left == D("0.00")


def test_allocate_oldest_first_returns_the_overpayment():
    applied, left = allocate_oldest_first(D("50.00"), [D("20.00"), D("-5.00")])
    assert applied == [D("20.00"), D("0.00")]
    assert left == D("30.00")


def test_allocate_refuses_a_negative_payment():
    with pytest.raises(ValueError):
        allocate_oldest_first(D("-1.00"), [D("1.00")])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("1234.5"), "$1,234.50"),
        (D("-12"), "($12.00)"),
        (D("0"), "$0.00"),
        (None, ""),
        ("not money", "not money"),
    ],
)
def test_money_filter_formats_amounts(value, shown):
    assert money(value) == shown
