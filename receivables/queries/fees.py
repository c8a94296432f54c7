"""Reads of the fee schedule: the version of a code in effect on a day, and its terms."""

import datetime
from decimal import Decimal

from receivables.fee_rules import FeeRule, FeeTerms, Tier
from receivables.models import Fee


def terms_of(fee: Fee) -> FeeTerms:
    """The calculation terms of a saved fee version, for fee_rules.calculate_fee."""
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
