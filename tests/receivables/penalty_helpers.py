"""Penalty rules for the penalty tests (no fixtures hidden in a conftest)."""

import datetime
from decimal import Decimal

from ledger.models import Account
from receivables.models import PenaltyRule

# (code, name, applies_to, kind, days_after, calculation, amount, rate, repeat, max, account)
RULES = [
    ("PKG-LATE-1", "Parking late penalty", "citation", "parking", 21, "flat", "25.00", None,
     None, None, "101-2100-4610"),
    ("PKG-LATE-2", "Parking second late penalty", "citation", "parking", 45, "flat", "35.00",
     None, None, None, "101-2100-4610"),
    ("ADM-LATE", "Administrative citation late penalty", "citation", "administrative", 30,
     "pct_original", None, "10", None, None, "101-2100-4620"),
    ("INV-LATE", "Invoice late penalty", "invoice", "", 30, "pct_original", None, "10", None,
     None, "101-1100-4910"),
    ("INV-INTEREST", "Interest on past-due invoices", "invoice", "", 60, "pct_balance", None,
     "1", 30, 12, "101-1100-4910"),
]  # fmt: skip


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
