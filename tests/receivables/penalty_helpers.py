"""Penalty rules for the penalty tests (no fixtures hidden in a conftest)."""

import datetime
from decimal import Decimal

from ledger.models import Account
from receivables.demo.penalties import DEMO_RULES
from receivables.models import PenaltyRule

RULES = DEMO_RULES


def make_rules(codes: tuple[str, ...] | None = None) -> dict[str, PenaltyRule]:
    """The demo's rules, saved directly, from FY 2026 on. Needs ar_chart."""
    rules = {}
    for code, name, applies, kind, days, calc, amount, rate, repeat, most, account in RULES:
        if codes is not None and code not in codes:
            continue
        rules[code] = PenaltyRule.objects.create(
            code=code,
            name=name,
            applies_to=applies,
            citation_kind=kind,
            days_after=days,
            calculation=calc,
            amount=Decimal(amount) if amount else None,
            rate=Decimal(rate) if rate else None,
            repeat_every_days=repeat,
            max_occurrences=most,
            revenue_account=Account.objects.get(number=account),
            effective_from=datetime.date(2025, 7, 1),
        )
    return rules
