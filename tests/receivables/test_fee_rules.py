from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receivables.models import FeeRule
from receivables.queries.fees import FeeTerms, Tier, calculate_fee, problems_with

D = Decimal


def test_flat_fee():
    result = calculate_fee(FeeTerms(FeeRule.FLAT, amount=D("150.00")))
    assert result.amount == D("150.00")
    assert result.steps == ["Flat fee: $150.00", "Fee: $150.00"]


def test_per_unit_rounds_half_up_once_at_the_end():
    terms = FeeTerms(FeeRule.PER_UNIT, rate=D("0.125"), unit_name="sq ft")
    assert calculate_fee(terms, units=D("3")).amount == D("0.38")  # 0.375 rounds up
    assert calculate_fee(terms, units=D("1000")).amount == D("125.00")
    assert calculate_fee(terms, units=D("3")).steps[0] == "3 sq ft(s) × $0.125 = $0.375"


def test_percentage_of_a_base_with_a_minimum_and_maximum():
    terms = FeeTerms(FeeRule.PERCENT, rate=D("2.5"), minimum=D("25.00"), maximum=D("500.00"))
    low = calculate_fee(terms, base=D("400.00"))
    assert low.amount == D("25.00")
    assert "Raised to the minimum, $25.00" in low.steps
    assert calculate_fee(terms, base=D("10000.00")).amount == D("250.00")
    high = calculate_fee(terms, base=D("100000.00"))
    assert high.amount == D("500.00")
    assert "Limited to the maximum, $500.00" in high.steps


def test_tiered_charges_each_band_at_its_rate():
    terms = FeeTerms(
        FeeRule.TIERED,
        tiers=[Tier(D("10"), D("5.00")), Tier(D("50"), D("3.50")), Tier(None, D("2.00"))],
        unit_name="inspection",
    )
    result = calculate_fee(terms, units=D("60"))
    # 10 × 5.00 + 40 × 3.50 + 10 × 2.00
    assert result.amount == D("210.00")
    assert result.steps[:3] == [
        "0 to 10 inspections: 10 × $5.00 = $50.00",
        "10 to 50 inspections: 40 × $3.50 = $140.00",
        "50 to 60 inspections: 10 × $2.00 = $20.00",
    ]
    assert calculate_fee(terms, units=D("4")).amount == D("20.00")


def test_tiers_with_a_last_limit_refuse_more_units():
    terms = FeeTerms(FeeRule.TIERED, tiers=[Tier(D("10"), D("5.00"))])
    with pytest.raises(ValueError, match="beyond the last tier"):
        calculate_fee(terms, units=D("11"))


def test_missing_or_negative_input_is_refused():
    with pytest.raises(ValueError, match="enter it"):
        calculate_fee(FeeTerms(FeeRule.PER_UNIT, rate=D("1")))
    with pytest.raises(ValueError, match="cannot be negative"):
        calculate_fee(FeeTerms(FeeRule.PERCENT, rate=D("1")), base=D("-5"))


@pytest.mark.parametrize(
    ("terms", "field", "message"),
    [
        (FeeTerms(FeeRule.FLAT, amount=D("-5")), "amount", "more than zero"),
        (FeeTerms(FeeRule.FLAT, amount=D("2500000")), "amount", "not a fee"),
        (FeeTerms(FeeRule.FLAT), "amount", "needs its amount"),
        (FeeTerms(FeeRule.PERCENT, rate=D("150")), "rate", "cannot exceed 100%"),
        (FeeTerms(FeeRule.PER_UNIT, rate=D("0")), "rate", "more than zero"),
        (FeeTerms(FeeRule.TIERED), "tiers", "at least one tier"),
        (
            FeeTerms(FeeRule.TIERED, tiers=[Tier(D("10"), D("1")), Tier(D("5"), D("1"))]),
            "tiers",
            "must end above 10",
        ),
        (
            FeeTerms(FeeRule.TIERED, tiers=[Tier(None, D("1")), Tier(D("5"), D("1"))]),
            "tiers",
            "must be the last",
        ),
        (
            FeeTerms(FeeRule.FLAT, amount=D("5"), minimum=D("10"), maximum=D("8")),
            "maximum",
            "below the minimum",
        ),
    ],
)
def test_absurd_or_contradictory_terms_are_named_by_field(terms, field, message):
    problems = problems_with(terms)
    assert message in problems[field]


@given(
    units=st.decimals(min_value=0, max_value=100000, places=3),
    rates=st.lists(st.decimals(min_value=0, max_value=100, places=4), min_size=1, max_size=4),
)
def test_tiered_amount_is_never_negative_and_to_the_cent(units, rates):
    limits = [D(10 * (i + 1) ** 2) for i in range(len(rates) - 1)] + [None]
    terms = FeeTerms(FeeRule.TIERED, tiers=[Tier(u, r) for u, r in zip(limits, rates, strict=True)])
    assert not problems_with(terms)
    amount = calculate_fee(terms, units=units).amount
    assert amount >= 0
    assert amount == amount.quantize(D("0.01"))
