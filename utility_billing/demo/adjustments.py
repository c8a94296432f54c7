"""Demo data for adjustments: the city's leak adjustment policy (half the excess over the
account's average, once in 12 months, proof of repair)."""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User

from utility_billing.models import LeakAdjustmentPolicy


def seed_leak_policy(log: Callable[[str], None]) -> None:
    """One policy in force since July 2024. Added once."""
    if LeakAdjustmentPolicy.objects.exists():
        log("Leak adjustment policy: already seeded.")
        return
    LeakAdjustmentPolicy.objects.create(
        name="Leak adjustment policy",
        effective_from=datetime.date(2024, 7, 1),
        credit_share=Decimal("0.500000"),
        once_in_months=12,
        average_months=12,
        repair_proof_required=True,
        created_by=User.objects.get(username="supervisor"),
    )
    log("Leak adjustment policy: half the excess, once in 12 months.")
