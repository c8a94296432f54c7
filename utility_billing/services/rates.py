"""Every change to the rate schedules: add a schedule, prepare or edit a draft version
with its charge lines, approve it (a senior technician or the supervisor who did not
prepare it), retire it. The triggers in migrations/sql/0002_rate_versions.sql hold the
same rules for any other writer."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import Account, AccountType
from millbrae_finance.roles import Role, has_role
from utility_billing.models import (
    RateCharge,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
    ServiceClass,
    ServiceKind,
)
from utility_billing.rating import Charge, problems_with_charges

RATE_PREPARERS = frozenset(
    {
        Role.ACCOUNTING_TECHNICIAN,
        Role.SENIOR_ACCOUNTING_TECHNICIAN,
        Role.FINANCE_SUPERVISOR,
    }
)
RATE_APPROVERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
MAX_CHARGE_LINES = 40
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class ChargeSpec:
    """A charge line as a form or a seeder gives it."""

    kind: str
    rate: Decimal
    revenue_account: Account
    description: str = ""
    meter_size: str = ""
    tier_from: Decimal | None = None
    tier_to: Decimal | None = None
    capped_by_winter_average: bool = False

    def as_charge(self) -> Charge:
        return Charge(
            kind=self.kind,
            rate=self.rate,
            meter_size=self.meter_size,
            tier_from=self.tier_from,
            tier_to=self.tier_to,
            capped_by_winter_average=self.capped_by_winter_average,
            description=self.description,
            revenue_account_id=self.revenue_account.pk,
            revenue_account_number=self.revenue_account.number,
        )


def revenue_account_refusal(account: Account) -> str | None:
    """Why a charge may not credit this account, or None."""
    if account.account_type != AccountType.REVENUE:
        return f"{account.number} is not a revenue account."
    if not account.is_active or not account.allows_posting:
        return f"{account.number} does not accept postings."
    return None


def _checked_lines(charges: Sequence[ChargeSpec], *, service_kind: str) -> None:
    if not charges:
        raise ValidationError({"charges": "A rate version needs at least one charge line."})
    if len(charges) > MAX_CHARGE_LINES:
        raise ValidationError({"charges": f"A version has at most {MAX_CHARGE_LINES} lines."})
    messages = [
        f"Line {problem.line + 1}: {problem.message}"
        if problem.line is not None
        else problem.message
        for problem in problems_with_charges(
            [spec.as_charge() for spec in charges], service_kind=service_kind
        )
    ]
    messages += [
        f"Line {number}: {refusal}"
        for number, spec in enumerate(charges, start=1)
        if (refusal := revenue_account_refusal(spec.revenue_account))
    ]
    if messages:
        raise ValidationError({"charges": messages})


def _checked_dates(effective_from: datetime.date, effective_to: datetime.date | None) -> None:
    if effective_to is not None and effective_to < effective_from:
        raise ValidationError({"effective_to": "The rates cannot end before they start."})


def _save_lines(version: RateVersion, charges: Sequence[ChargeSpec]) -> None:
    version.charges.all().delete()
    RateCharge.objects.bulk_create(
        RateCharge(
            version=version,
            kind=spec.kind,
            description=spec.description.strip(),
            meter_size=spec.meter_size,
            tier_from=spec.tier_from,
            tier_to=spec.tier_to,
            rate=spec.rate,
            revenue_account=spec.revenue_account,
            capped_by_winter_average=spec.capped_by_winter_average,
        )
        for spec in charges
    )


def create_rate_schedule(
    *,
    code: str,
    name: str,
    service_kind: str,
    service_class: str = "",
    description: str = "",
    actor: AbstractBaseUser,
) -> RateSchedule:
    """Add a schedule (what one service costs one class); its rates come in versions."""
    if not has_role(actor, *RATE_PREPARERS):
        raise ValidationError("Only finance staff add rate schedules.")
    code = code.strip().upper()
    errors = {}
    if not code:
        errors["code"] = "Enter the schedule's code."
    elif RateSchedule.objects.filter(code=code).exists():
        errors["code"] = f"There is already a schedule {code}."
    if service_kind not in ServiceKind.values:
        errors["service_kind"] = "Choose the service."
    if service_class and service_class not in ServiceClass.values:
        errors["service_class"] = "Choose the class, or every class."
    elif (
        service_kind in ServiceKind.values
        and RateSchedule.objects.active()
        .filter(service_kind=service_kind, service_class=service_class)
        .exists()
    ):
        errors["service_class"] = "There is already an active schedule for this service and class."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        return RateSchedule.objects.create(
            code=code,
            name=name.strip(),
            service_kind=service_kind,
            service_class=service_class,
            description=description,
        )


def create_rate_version(
    schedule: RateSchedule,
    *,
    effective_from: datetime.date,
    effective_to: datetime.date | None = None,
    authority: str = "",
    notes: str = "",
    charges: Sequence[ChargeSpec],
    actor: AbstractBaseUser,
) -> RateVersion:
    """Prepare a draft version of a schedule's rates; it bills nothing until approved."""
    if not has_role(actor, *RATE_PREPARERS):
        raise ValidationError("Only finance staff prepare rates.")
    _checked_dates(effective_from, effective_to)
    _checked_lines(charges, service_kind=schedule.service_kind)
    with transaction.atomic(durable=True):
        version = RateVersion.objects.create(
            schedule=schedule,
            effective_from=effective_from,
            effective_to=effective_to,
            authority=authority.strip(),
            notes=notes,
            prepared_by=actor,
            prepared_at=timezone.now(),
        )
        _save_lines(version, charges)
    return version


def update_rate_version(
    version: RateVersion,
    *,
    effective_from: datetime.date,
    effective_to: datetime.date | None = None,
    authority: str = "",
    notes: str = "",
    charges: Sequence[ChargeSpec],
    actor: AbstractBaseUser,
) -> RateVersion:
    """Change a draft. Whoever saves it last is its preparer (and so may not approve it)."""
    if not has_role(actor, *RATE_PREPARERS):
        raise ValidationError("Only finance staff prepare rates.")
    _checked_dates(effective_from, effective_to)
    _checked_lines(charges, service_kind=version.schedule.service_kind)
    with transaction.atomic(durable=True):
        version = RateVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != RateVersionStatus.DRAFT:
            raise ValidationError(
                f"This version is {version.get_status_display().lower()}: only a draft can "
                "be edited. A new rate is a new version."
            )
        version.effective_from = effective_from
        version.effective_to = effective_to
        version.authority = authority.strip()
        version.notes = notes
        version.prepared_by = actor
        version.prepared_at = timezone.now()
        version.save()
        _save_lines(version, charges)
    return version


def _lock_schedule(schedule_id: int) -> None:
    # Two approvals of one schedule wait for each other here (the trigger takes the same
    # lock), so neither misses the other's new version.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"utility_billing_rateversion:{schedule_id}"],
        )


def approve_rate_version(version: RateVersion, *, actor: AbstractBaseUser) -> RateVersion:
    """Approve a draft so it bills on its dates. Only a senior technician or the
    supervisor who did not prepare it may. An open-ended approved version that starts
    earlier is superseded: it ends the day before this one starts. Any other overlap
    with an approved version is refused."""
    if not has_role(actor, *RATE_APPROVERS):
        raise ValidationError("Only a senior technician or the supervisor approves rates.")
    with transaction.atomic(durable=True):
        version = (
            RateVersion.objects.select_for_update().select_related("schedule").get(pk=version.pk)
        )
        if version.status != RateVersionStatus.DRAFT:
            raise ValidationError(
                f"This version is already {version.get_status_display().lower()}."
            )
        if version.prepared_by_id == actor.pk:
            raise ValidationError("You prepared this version: another person must approve it.")
        _checked_lines(
            [_spec_of(line) for line in version.charges.select_related("revenue_account")],
            service_kind=version.schedule.service_kind,
        )
        _lock_schedule(version.schedule_id)
        end = version.effective_to or datetime.date.max
        overlapping = list(
            RateVersion.objects.overlapping(version.effective_from, end)
            .filter(schedule_id=version.schedule_id)
            .exclude(pk=version.pk)
            .select_for_update()
            .order_by("effective_from")
        )
        for other in overlapping:
            if other.effective_to is None and other.effective_from < version.effective_from:
                other.effective_to = version.effective_from - ONE_DAY
                other.save(update_fields=["effective_to"])
            else:
                raise ValidationError(
                    f"An approved version already bills {other.dates}: this version "
                    f"({version.dates}) overlaps it. Change the dates, or retire the other "
                    "version first."
                )
        version.status = RateVersionStatus.APPROVED
        version.approved_by = actor
        version.approved_at = timezone.now()
        version.save(update_fields=["status", "approved_by", "approved_at"])
    return version


def retire_rate_version(version: RateVersion, *, actor: AbstractBaseUser) -> RateVersion:
    """Withdraw an approved version: it bills nothing from now on (bills already made
    keep the charges they were computed with)."""
    if not has_role(actor, *RATE_APPROVERS):
        raise ValidationError("Only a senior technician or the supervisor retires rates.")
    with transaction.atomic(durable=True):
        version = RateVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != RateVersionStatus.APPROVED:
            raise ValidationError(
                f"This version is {version.get_status_display().lower()}: only an approved "
                "version is retired (a draft is edited or left unapproved)."
            )
        version.status = RateVersionStatus.RETIRED
        version.retired_by = actor
        version.retired_at = timezone.now()
        version.save(update_fields=["status", "retired_by", "retired_at"])
    return version


def _spec_of(line: RateCharge) -> ChargeSpec:
    return ChargeSpec(
        kind=line.kind,
        rate=line.rate,
        revenue_account=line.revenue_account,
        description=line.description,
        meter_size=line.meter_size,
        tier_from=line.tier_from,
        tier_to=line.tier_to,
        capped_by_winter_average=line.capped_by_winter_average,
    )
