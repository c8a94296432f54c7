"""The leak adjustment policy, kept as data with effective dates: a new policy starts on
a day and the one in force before it ends the day before. Reference data: the
administrator or the finance supervisor keeps it."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from millbrae_finance.roles import Role, has_role
from utility_billing.models import LeakAdjustmentPolicy

POLICY_KEEPERS = frozenset({Role.ADMINISTRATOR, Role.FINANCE_SUPERVISOR})


@dataclass(frozen=True)
class PolicyValues:
    name: str
    effective_from: dt.date
    credit_share: Decimal  # 0.5 for half the excess
    once_in_months: int
    average_months: int
    repair_proof_required: bool


def create_leak_policy(values: PolicyValues, *, actor: AbstractBaseUser) -> LeakAdjustmentPolicy:
    """Add a policy in force from its date; the latest policy before it ends the day
    before. A policy dated on or before the latest one's start is refused: the past is
    not rewritten (adjustments were worked by it)."""
    if not has_role(actor, *POLICY_KEEPERS):
        raise PermissionDenied("The administrator or the finance supervisor keeps the policy.")
    errors: dict[str, str] = {}
    name = (values.name or "").replace("\x00", "").strip()
    if not name:
        errors["name"] = "Name the policy."
    if not Decimal("0") < values.credit_share <= Decimal("1"):
        errors["credit_share"] = "The share credited is more than 0% and at most 100%."
    with transaction.atomic(durable=True):
        latest = (
            LeakAdjustmentPolicy.objects.select_for_update().order_by("-effective_from").first()
        )
        if latest is not None and values.effective_from <= latest.effective_from:
            errors["effective_from"] = (
                f"The policy in force from {latest.effective_from:%m/%d/%Y} stands: a new "
                "policy starts after it."
            )
        if errors:
            raise ValidationError(errors)
        if latest is not None and (
            latest.effective_to is None or latest.effective_to >= values.effective_from
        ):
            latest.effective_to = values.effective_from - dt.timedelta(days=1)
            latest.save(update_fields=["effective_to"])
        return LeakAdjustmentPolicy.objects.create(
            name=name[:100],
            effective_from=values.effective_from,
            credit_share=values.credit_share,
            once_in_months=values.once_in_months,
            average_months=values.average_months,
            repair_proof_required=values.repair_proof_required,
            created_by=actor,
        )
