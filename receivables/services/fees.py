"""Every change to the master fee schedule: prepare or edit a draft version, approve it
(a supervisor who did not prepare it), retire it; and the version in effect on a day."""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ledger.models import Account, AccountType
from millbrae_finance.roles import Role, has_role
from receivables.models import CitationKind, Fee, FeeRule, FeeStatus, FeeTier
from receivables.queries.fees import FeeTerms, Tier, problems_with

MAX_TIERS = 5
# The fields a person fills on the fee form, as the services take them.
FEE_FIELDS = (
    "code",
    "description",
    "revenue_account",
    "rule",
    "amount",
    "rate",
    "tiers",
    "minimum",
    "maximum",
    "unit_name",
    "violation_kind",
    "effective_from",
    "effective_to",
    "notes",
)


def _lock_code(code: str) -> None:
    # Two approvals of the same code wait for each other here (and the trigger takes the
    # same lock), so neither misses the other's new version.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"receivables_fee:{code}"])


def _validated(
    *,
    code: str,
    rule: str,
    amount: Decimal | None,
    rate: Decimal | None,
    tiers: Sequence[Tier],
    minimum: Decimal | None,
    maximum: Decimal | None,
    unit_name: str,
    violation_kind: str,
    revenue_account: Account,
    effective_from: datetime.date,
    effective_to: datetime.date | None,
) -> dict:
    """The values a draft keeps (those its rule does not use cleared), or a ValidationError
    by field."""
    rule = FeeRule(rule)
    uses_amount = rule == FeeRule.FLAT
    uses_rate = rule in (FeeRule.PER_UNIT, FeeRule.PERCENT)
    values = {
        "code": code.strip().upper(),
        "rule": rule,
        "amount": amount if uses_amount else None,
        "rate": rate if uses_rate else None,
        "minimum": minimum,
        "maximum": maximum,
        "unit_name": (unit_name or "").strip() or "unit",
        "violation_kind": violation_kind or "",
        "revenue_account": revenue_account,
        "effective_from": effective_from,
        "effective_to": effective_to,
    }
    tiers = tuple(tiers) if rule == FeeRule.TIERED else ()
    terms = FeeTerms(
        rule=rule,
        amount=values["amount"],
        rate=values["rate"],
        tiers=tiers,
        minimum=minimum,
        maximum=maximum,
        unit_name=values["unit_name"],
    )
    errors = problems_with(terms)
    if len(tiers) > MAX_TIERS:
        errors["tiers"] = f"A fee has at most {MAX_TIERS} tiers."
    if (
        revenue_account.account_type != AccountType.REVENUE
        or not revenue_account.is_active
        or not revenue_account.allows_posting
    ):
        errors["revenue_account"] = f"{revenue_account.number} is not an active revenue account."
    if effective_to is not None and effective_to < effective_from:
        errors["effective_to"] = "The fee cannot end before it starts."
    if values["violation_kind"] and values["violation_kind"] not in CitationKind.values:
        errors["violation_kind"] = "Choose parking, administrative, or not a violation."
    elif values["violation_kind"] and rule != FeeRule.FLAT:
        errors["violation_kind"] = (
            "A violation's fine is a flat amount: make the rule flat, or choose “not a violation”."
        )
    if not values["code"]:
        errors["code"] = "Enter the fee's code."
    if errors:
        raise ValidationError(errors)
    values["tiers"] = tiers
    return values


def _save_tiers(fee: Fee, tiers: Sequence[Tier]) -> None:
    fee.tiers.all().delete()
    FeeTier.objects.bulk_create(
        FeeTier(fee=fee, position=number, up_to=tier.up_to, rate=tier.rate)
        for number, tier in enumerate(tiers, start=1)
    )


def create_fee(
    *,
    code: str,
    description: str,
    revenue_account: Account,
    rule: str,
    amount: Decimal | None = None,
    rate: Decimal | None = None,
    tiers: Sequence[Tier] = (),
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    unit_name: str = "unit",
    violation_kind: str = "",
    effective_from: datetime.date,
    effective_to: datetime.date | None = None,
    notes: str = "",
    actor: AbstractBaseUser,
) -> Fee:
    """Prepare a draft version of a fee; it charges nothing until a supervisor approves."""
    values = _validated(
        code=code,
        rule=rule,
        amount=amount,
        rate=rate,
        tiers=tiers,
        minimum=minimum,
        maximum=maximum,
        unit_name=unit_name,
        violation_kind=violation_kind,
        revenue_account=revenue_account,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    tiers = values.pop("tiers")
    with transaction.atomic(durable=True):
        fee = Fee.objects.create(
            **values, description=description.strip(), notes=notes, prepared_by=actor
        )
        _save_tiers(fee, tiers)
    return fee


def update_fee(
    fee: Fee,
    *,
    code: str,
    description: str,
    revenue_account: Account,
    rule: str,
    amount: Decimal | None = None,
    rate: Decimal | None = None,
    tiers: Sequence[Tier] = (),
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    unit_name: str = "unit",
    violation_kind: str = "",
    effective_from: datetime.date,
    effective_to: datetime.date | None = None,
    notes: str = "",
    actor: AbstractBaseUser,
) -> Fee:
    """Change a draft version. An approved version is what was charged: it does not
    change; a new rate is a new version."""
    values = _validated(
        code=code,
        rule=rule,
        amount=amount,
        rate=rate,
        tiers=tiers,
        minimum=minimum,
        maximum=maximum,
        unit_name=unit_name,
        violation_kind=violation_kind,
        revenue_account=revenue_account,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    tiers = values.pop("tiers")
    with transaction.atomic(durable=True):
        fee = Fee.objects.select_for_update().get(pk=fee.pk)
        if fee.status != FeeStatus.DRAFT:
            raise ValidationError(
                f"{fee} is {fee.get_status_display().lower()}: only a draft can be edited."
            )
        for field, value in values.items():
            setattr(fee, field, value)
        fee.description = description.strip()
        fee.notes = notes
        fee.prepared_by = actor
        fee.save()
        _save_tiers(fee, tiers)
    return fee


def approve_fee(fee: Fee, *, actor: AbstractBaseUser) -> Fee:
    """Approve a draft version so it takes effect on its dates. Only a Finance Supervisor
    who did not prepare it may (segregation of duties), and never over the dates of
    another approved version of the same code."""
    if not has_role(actor, Role.FINANCE_SUPERVISOR):
        raise ValidationError("Only a Finance Supervisor approves fees.")
    with transaction.atomic(durable=True):
        fee = Fee.objects.select_for_update().get(pk=fee.pk)
        if fee.status != FeeStatus.DRAFT:
            raise ValidationError(f"{fee} is already {fee.get_status_display().lower()}.")
        if fee.prepared_by_id == actor.pk:
            raise ValidationError("You prepared this fee: another supervisor must approve it.")
        _lock_code(fee.code)
        others = (
            Fee.objects.approved()
            .filter(code=fee.code)
            .exclude(pk=fee.pk)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=fee.effective_from))
        )
        if fee.effective_to is not None:
            others = others.filter(effective_from__lte=fee.effective_to)
        other = others.order_by("effective_from").first()
        if other is not None:
            raise ValidationError(
                f"{fee.code} already has an approved version for {other.dates}: "
                f"this version ({fee.dates}) overlaps it. Change the dates, or retire "
                "the other version first."
            )
        fee.status = FeeStatus.APPROVED
        fee.approved_by = actor
        fee.approved_at = timezone.now()
        fee.save(update_fields=["status", "approved_by", "approved_at"])
    return fee


def retire_fee(fee: Fee, *, actor: AbstractBaseUser) -> Fee:
    """Withdraw a version: a draft never used, or an approved one that no longer applies.
    It stays in the schedule's history."""
    with transaction.atomic(durable=True):
        fee = Fee.objects.select_for_update().get(pk=fee.pk)
        if fee.status == FeeStatus.RETIRED:
            raise ValidationError(f"{fee} is already retired.")
        fee.status = FeeStatus.RETIRED
        fee.save(update_fields=["status"])
    return fee
