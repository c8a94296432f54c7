"""The demo's penalty and interest rules: escalation of parking and administrative
citations, and the late penalty and monthly interest of miscellaneous invoices."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from ledger.models import Account
from receivables.models import PenaltyRule
from receivables.services.penalties import validate_penalty_rule

# (code, name, applies_to, citation kind, days after, calculation, amount, rate,
#  repeat every days, at most, revenue account)
DEMO_RULES = [
    ("PKG-LATE-1", "Parking late penalty", "citation", "parking", 21, "flat", "25.00", None,
     None, None, "101-2100-4610"),
    ("PKG-LATE-2", "Parking second late penalty", "citation", "parking", 45, "flat", "35.00",
     None, None, None, "101-2100-4610"),
    ("ADM-LATE", "Administrative citation late penalty", "citation", "administrative", 30,
     "pct_original", None, "10", None, None, "101-2100-4620"),
    ("INV-LATE", "Invoice late penalty", "invoice", "", 30, "pct_original", None, "10",
     None, None, "101-1100-4910"),
    ("INV-INTEREST", "Interest on past-due invoices", "invoice", "", 60, "pct_balance",
     None, "1", 30, 12, "101-1100-4910"),
]  # fmt: skip
# From the first day of the demo's first fiscal year.
EFFECTIVE_FROM = dt.date(2025, 7, 1)


def seed_penalty_rules(log: Callable[[str], None]) -> None:
    """Add the demo rules missing by code (a second seed adds nothing); terms checked as
    the rule screens check them."""
    added = 0
    with transaction.atomic():
        existing = set(PenaltyRule.objects.values_list("code", flat=True))
        for code, name, applies, kind, days, calc, amount, rate, repeat, most, number in DEMO_RULES:
            if code in existing:
                continue
            values = validate_penalty_rule(
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
                revenue_account=Account.objects.get(number=number),
                effective_from=EFFECTIVE_FROM,
                effective_to=None,
                notes="Demo rule.",
            )
            PenaltyRule.objects.create(**values)
            added += 1
    log(f"Penalty rules: {added} added." if added else "Penalty rules: already seeded.")
