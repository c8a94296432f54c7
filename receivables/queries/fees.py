"""Reads of the fee schedule: its list, a version and its history, the version of a code
in effect on a day and its terms; and how a fee's amount is reached from its terms.

A fee is flat, per unit, a percentage of a base, or tiered, with an optional minimum and
maximum. The calculation is pure, no database: the fee schedule stores the terms, the fee
calculator and invoices ask `calculate_fee` for the amount and the steps that explain it
("determines the amount of fines, fees and other monies due"). The amount is rounded
half up to the cent once, at the end, where the charge is made.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from millbrae_finance.money import ZERO, to_money
from receivables.models import Fee, FeeRule
from receivables.queries.customers import MAX_SEARCH_CHARS

HUNDRED = Decimal("100")
# No fee in a city's schedule comes near this; a rule that could produce more is a typo.
ABSURD = Decimal("1000000.00")


@dataclass(frozen=True)
class Tier:
    """A band of units charged at `rate` each, up to and including `up_to` units (None: no
    upper limit). Bands follow each other: the first from zero, the next from its end."""

    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class FeeTerms:
    rule: FeeRule
    amount: Decimal | None = None  # flat
    rate: Decimal | None = None  # per unit, or percent (12.5 means 12.5%)
    tiers: Sequence[Tier] = field(default_factory=tuple)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit_name: str = "unit"


@dataclass(frozen=True)
class Calculation:
    amount: Decimal
    steps: list[str]


def problems_with(terms: FeeTerms) -> dict[str, str]:
    """What is wrong with a fee's terms, by field, before anyone is charged by them."""
    errors: dict[str, str] = {}
    rule = FeeRule(terms.rule)
    if rule == FeeRule.FLAT:
        if terms.amount is None:
            errors["amount"] = "A flat fee needs its amount."
        elif terms.amount <= 0:
            errors["amount"] = "A flat fee must be more than zero."
        elif terms.amount >= ABSURD:
            errors["amount"] = f"{terms.amount:,} is not a fee; check the amount."
    elif rule in (FeeRule.PER_UNIT, FeeRule.PERCENT):
        if terms.rate is None:
            errors["rate"] = "This rule needs its rate."
        elif terms.rate <= 0:
            errors["rate"] = "The rate must be more than zero."
        elif rule == FeeRule.PERCENT and terms.rate > HUNDRED:
            errors["rate"] = "A percentage fee cannot exceed 100%."
        elif rule == FeeRule.PER_UNIT and terms.rate >= ABSURD:
            errors["rate"] = f"{terms.rate:,} a {terms.unit_name} is not a fee; check the rate."
    elif rule == FeeRule.TIERED:
        errors.update(_tier_problems(terms.tiers))
    if terms.minimum is not None and terms.minimum < 0:
        errors["minimum"] = "The minimum cannot be negative."
    if terms.maximum is not None and terms.maximum <= 0:
        errors["maximum"] = "The maximum must be more than zero."
    if (
        terms.minimum is not None
        and terms.maximum is not None
        and "minimum" not in errors
        and "maximum" not in errors
        and terms.minimum > terms.maximum
    ):
        errors["maximum"] = "The maximum is below the minimum."
    return errors


def _tier_problems(tiers: Sequence[Tier]) -> dict[str, str]:
    if not tiers:
        return {"tiers": "A tiered fee needs at least one tier."}
    previous = ZERO
    for number, tier in enumerate(tiers, start=1):
        if tier.rate < 0:
            return {"tiers": f"Tier {number}: the rate cannot be negative."}
        if tier.up_to is None:
            if number != len(tiers):
                return {"tiers": f"Tier {number} has no upper limit, so it must be the last."}
        elif tier.up_to <= previous:
            return {"tiers": f"Tier {number} must end above {previous:,} units."}
        else:
            previous = tier.up_to
    return {}


def calculate_fee(
    terms: FeeTerms, *, units: Decimal | None = None, base: Decimal | None = None
) -> Calculation:
    """The amount of a fee and the steps that reach it. Raises ValueError when the input
    the rule needs is missing or negative (a form catches it and says so by the field)."""
    rule = FeeRule(terms.rule)
    steps: list[str] = []
    if rule == FeeRule.FLAT:
        raw = terms.amount
        steps.append(f"Flat fee: {_dollars(raw)}")
    elif rule == FeeRule.PER_UNIT:
        units = _required(units, "units")
        raw = units * terms.rate
        steps.append(
            f"{_qty(units)} {terms.unit_name}(s) × {_dollars(terms.rate)} = {_dollars(raw)}"
        )
    elif rule == FeeRule.PERCENT:
        base = _required(base, "base")
        raw = base * terms.rate / HUNDRED
        steps.append(f"{_qty(terms.rate)}% of {_dollars(base)} = {_dollars(raw)}")
    else:
        units = _required(units, "units")
        raw = ZERO
        start = ZERO
        for tier in terms.tiers:
            end = units if tier.up_to is None else min(units, tier.up_to)
            if end <= start:
                break
            charge = (end - start) * tier.rate
            steps.append(
                f"{_qty(start)} to {_qty(end)} {terms.unit_name}s: {_qty(end - start)} × "
                f"{_dollars(tier.rate)} = {_dollars(charge)}"
            )
            raw += charge
            start = end
        if units > start:
            raise ValueError(f"{units:,} {terms.unit_name}s is beyond the last tier.")
    if terms.minimum is not None and raw < terms.minimum:
        steps.append(f"Raised to the minimum, {_dollars(terms.minimum)}")
        raw = terms.minimum
    if terms.maximum is not None and raw > terms.maximum:
        steps.append(f"Limited to the maximum, {_dollars(terms.maximum)}")
        raw = terms.maximum
    amount = to_money(raw)
    steps.append(f"Fee: {_dollars(amount)}")
    return Calculation(amount, steps)


def _qty(value: Decimal) -> str:
    """A quantity as a person writes it: 2, 2.5, 1,250 (no trailing zeros)."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _dollars(value: Decimal) -> str:
    """Dollars to the cent, or to as many places as a rate or an unrounded product has."""
    if value == value.quantize(Decimal("0.01")):
        return f"${value:,.2f}"
    return "$" + _qty(value)


def _required(value: Decimal | None, name: str) -> Decimal:
    if value is None:
        raise ValueError(f"This fee is computed from the {name}; enter it.")
    if value < 0:
        raise ValueError(f"The {name} cannot be negative.")
    return Decimal(value)


# ---------------------------------------------------------------- the schedule


def terms_of(fee: Fee) -> FeeTerms:
    """The calculation terms of a saved fee version, for calculate_fee."""
    return FeeTerms(
        rule=FeeRule(fee.rule),
        amount=fee.amount,
        rate=_plain(fee.rate),
        tiers=tuple(
            Tier(up_to=_plain(tier.up_to), rate=_plain(tier.rate)) for tier in fee.tiers.all()
        ),
        minimum=fee.minimum,
        maximum=fee.maximum,
        unit_name=fee.unit_name or "unit",
    )


def fee_in_effect(code: str, on_date: datetime.date) -> Fee | None:
    """The approved version of a fee code whose dates cover the day, or None."""
    return (
        Fee.objects.in_effect_on(on_date)
        .filter(code=code.strip().upper())
        .select_related("revenue_account")
        .prefetch_related("tiers")
        .first()
    )


def _plain(value: Decimal | None) -> Decimal | None:
    # The columns keep 3 or 6 places; the calculator's steps read better as typed
    # ("2 alarms × $100"), and the value is the same.
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


FEE_EXPORT_FIELDS = [
    ("code", "code"),
    ("description", "description"),
    ("rule", "rule"),
    ("amount", "amount"),
    ("rate", "rate"),
    ("unit", "unit_name"),
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("revenue_account", "revenue_account__number"),
    ("effective_from", "effective_from"),
    ("effective_to", "effective_to"),
    ("status", "status"),
    ("prepared_by", "prepared_by__username"),
    ("approved_by", "approved_by__username"),
    ("approved_at", "approved_at"),
]


def fee_list(
    *, q: str = "", status: str = "", on_date: datetime.date | None = None
) -> QuerySet[Fee]:
    """Fee versions matching a code or description, a status, and a day they cover."""
    fees = Fee.objects.select_related("revenue_account").prefetch_related("tiers")
    if q:
        words = q.strip()[:MAX_SEARCH_CHARS]
        fees = fees.filter(Q(code__icontains=words) | Q(description__icontains=words))
    if on_date is not None:
        fees = fees.in_effect_on(on_date)
    if status:
        fees = fees.filter(status=status)
    return fees.order_by("code", "-effective_from", "id")


def fee_detail(pk: int) -> Fee:
    """One fee version with its account, people and tiers."""
    return (
        Fee.objects.select_related("revenue_account", "prepared_by", "approved_by")
        .prefetch_related("tiers")
        .get(pk=pk)
    )


def fee_versions(fee: Fee) -> QuerySet[Fee]:
    """Every version of a fee's code, newest dates first."""
    return (
        Fee.objects.filter(code=fee.code)
        .select_related("approved_by")
        .prefetch_related("tiers")
        .order_by("-effective_from", "-id")
    )


def fee_codes() -> list[tuple[str, str]]:
    """(code, "CODE description") of every fee that has an approved version, for the
    calculator's choice (a code not in effect on the chosen day is answered by the form)."""
    rows = (
        Fee.objects.approved()
        .order_by("code", "-effective_from")
        .distinct("code")
        .values_list("code", "description")
    )
    return [(code, f"{code} — {description}") for code, description in rows]
