"""Money: Decimal to the cent, rounded half up, split so the parts add up.

Rounding, oldest-first allocation and largest-remainder splitting live here and nowhere
else. Decimal constants are built from strings; no float ever touches an amount.
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The places of a QuantityField: a thousandth of a unit (of an HCF of water: 0.75 gallon).
QUANTITY_QUANTUM = Decimal("0.001")
MAX_DIGITS = 14  # NUMERIC(14,2): up to 999,999,999,999.99


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half up (2.345 -> 2.35, -2.345 -> -2.35), as the City rounds a
    charge at the line where it is computed."""
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a Decimal, an int or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_quantity(value: Decimal | int | str) -> Decimal:
    """Round a quantity to the thousandth a QuantityField keeps, half up."""
    if isinstance(value, float):
        raise TypeError("A quantity is never a float; pass a Decimal, an int or a string.")
    return Decimal(value).quantize(QUANTITY_QUANTUM, rounding=ROUND_HALF_UP)


def MoneyField(**kwargs: Any) -> models.DecimalField:
    """A NUMERIC(14,2) column for an amount of money."""
    kwargs.setdefault("max_digits", MAX_DIGITS)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(**kwargs)


def RateField(**kwargs: Any) -> models.DecimalField:
    """A NUMERIC(12,6) column for a rate or unit price with more places than a cent."""
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 6)
    return models.DecimalField(**kwargs)


def QuantityField(**kwargs: Any) -> models.DecimalField:
    """A NUMERIC(14,3) column for a quantity (units of water, hours, square feet)."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 3)
    return models.DecimalField(**kwargs)


def split_by_weights(
    total: Decimal, weights: Sequence[Decimal | int], *, quantum: Decimal = CENT
) -> list[Decimal]:
    """Split an amount in proportion to weights, to the cent, by largest remainder.

    Each part is first rounded down (towards zero) to the cent; the cents left over go one
    at a time to the parts with the largest remainders, earliest first on a tie. The parts
    always add up to the total exactly. A negative total splits the same way, mirrored.
    A quantity splits the same way to its own `quantum` (QUANTITY_QUANTUM: thousandths).
    """
    total = Decimal(total)
    if total != total.quantize(quantum):
        what = "cents" if quantum == CENT else f"{quantum}s"
        raise ValueError(f"The total {total} is not a whole number of {what}.")
    weights = [Decimal(weight) for weight in weights]
    if not weights:
        raise ValueError("Nothing to split the amount across.")
    if any(weight < 0 for weight in weights):
        raise ValueError("A weight is negative.")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError("The weights add up to zero.")

    sign = -1 if total < 0 else 1
    cents = int(abs(total) / quantum)
    exact = [Decimal(cents) * weight / weight_sum for weight in weights]
    parts = [int(share) for share in exact]  # int() truncates towards zero
    leftover = cents - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return [sign * Decimal(part) * quantum for part in parts]


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """Split an amount into `count` parts that differ by at most a cent and add up."""
    if count < 1:
        raise ValueError("Split into at least one part.")
    return split_by_weights(total, [1] * count)


def allocate_oldest_first(
    amount: Decimal, open_balances: Sequence[Decimal]
) -> tuple[list[Decimal], Decimal]:
    """Apply a payment to open items, oldest first (the caller passes them oldest first).

    Returns what goes to each item and what is left over (an overpayment, or zero).
    """
    amount = to_money(amount)
    if amount < 0:
        raise ValueError("A payment to allocate cannot be negative.")
    applied = []
    remaining = amount
    for balance in open_balances:
        share = min(remaining, max(to_money(balance), ZERO))
        applied.append(share)
        remaining -= share
    return applied, remaining
