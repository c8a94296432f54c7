"""Utility billing fixtures: a cycle, locations and accounts, meters, and rate schedules
with approved versions, made directly (the services have their own tests)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from millbrae_finance.roles import Role
from tests.conftest import make_user
from tests.receivables.conftest import make_customer, revenue_account
from utility_billing.models import (
    AccountRole,
    AccountStatus,
    ChargeKind,
    Cycle,
    Meter,
    MeterStatus,
    RateCharge,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
    ServiceClass,
    ServiceLocation,
    UtilityAccount,
)

# Revenue accounts of the water, sewer and storm drain enterprise funds.
WATER_REVENUE = "501-4100-4411"
SEWER_REVENUE = "502-4200-4421"
STORM_REVENUE = "503-4300-4431"


@pytest.fixture
def ub_users(db) -> dict:
    """Two technicians, a senior, a supervisor, a clerk, an auditor, an administrator."""
    return {
        "tech": make_user(Role.ACCOUNTING_TECHNICIAN, "ub_tech"),
        "tech2": make_user(Role.ACCOUNTING_TECHNICIAN, "ub_tech2"),
        "senior": make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN, "ub_senior"),
        "supervisor": make_user(Role.FINANCE_SUPERVISOR, "ub_supervisor"),
        "clerk": make_user(Role.COUNTER_CLERK, "ub_clerk"),
        "auditor": make_user(Role.AUDITOR, "ub_auditor"),
        "admin": make_user(Role.ADMINISTRATOR, "ub_admin"),
    }


def make_cycle(code: str = "C1", **values) -> Cycle:
    defaults = {"name": f"Cycle {code}", "read_day": 5, "bill_day": 10, "due_days": 21}
    return Cycle.objects.create(code=code, **{**defaults, **values})


def make_location(
    parcel_number: str = "021-101-010",
    *,
    cycle: Cycle | None = None,
    service_class: str = ServiceClass.SINGLE_FAMILY,
    address_line1: str = "120 Magnolia Ave",
    **values,
) -> ServiceLocation:
    cycle = cycle or Cycle.objects.filter(code="C1").first() or make_cycle()
    return ServiceLocation.objects.create(
        parcel_number=parcel_number,
        address_line1=address_line1,
        service_class=service_class,
        cycle=cycle,
        **values,
    )


def make_account(
    number: str = "100001",
    *,
    location: ServiceLocation | None = None,
    customer=None,
    opened_by,
    role: str = AccountRole.TENANT,
    status: str = AccountStatus.ACTIVE,
    start_date: datetime.date = datetime.date(2025, 7, 1),
    **values,
) -> UtilityAccount:
    return UtilityAccount.objects.create(
        number=number,
        customer=customer or make_customer(),
        location=location or make_location(),
        role=role,
        status=status,
        start_date=start_date,
        opened_by=opened_by,
        **values,
    )


def make_meter(
    serial: str = "M-0001",
    *,
    location: ServiceLocation | None = None,
    size: str = "5/8",
    dials: int = 6,
    install_date: datetime.date = datetime.date(2020, 1, 15),
    **values,
) -> Meter:
    installed = location is not None
    return Meter.objects.create(
        serial=serial,
        size=size,
        meter_type=values.pop("meter_type", "positive_displacement"),
        dials=dials,
        status=MeterStatus.INSTALLED if installed else MeterStatus.IN_STOCK,
        location=location,
        install_date=install_date if installed else None,
        **values,
    )


def make_schedule(
    code: str = "W-SFR",
    *,
    service_kind: str = "water",
    service_class: str = ServiceClass.SINGLE_FAMILY,
    name: str | None = None,
) -> RateSchedule:
    return RateSchedule.objects.create(
        code=code,
        name=name or f"{code} rates",
        service_kind=service_kind,
        service_class=service_class,
    )


def make_version(
    schedule: RateSchedule,
    charges: list[dict],
    *,
    prepared_by,
    approved_by=None,
    effective_from: datetime.date = datetime.date(2025, 7, 1),
    effective_to: datetime.date | None = None,
) -> RateVersion:
    """A version with its charge lines: each a dict of RateCharge fields (`rate` and tier
    bounds as strings; `revenue_account` a number, made if missing). Lines are added
    while a draft; approved_by approves it after (as the triggers require)."""
    version = RateVersion.objects.create(
        schedule=schedule,
        effective_from=effective_from,
        effective_to=effective_to,
        prepared_by=prepared_by,
        prepared_at=timezone.now(),
    )
    default_account = {
        "water": WATER_REVENUE,
        "sewer": SEWER_REVENUE,
        "storm_drain": STORM_REVENUE,
    }.get(schedule.service_kind, WATER_REVENUE)
    for line in charges:
        line = dict(line)
        account = revenue_account(line.pop("revenue_account", default_account))
        for field in ("rate", "tier_from", "tier_to"):
            if line.get(field) is not None:
                line[field] = Decimal(line[field])
        RateCharge.objects.create(version=version, revenue_account=account, **line)
    if approved_by is not None:
        version.status = RateVersionStatus.APPROVED
        version.approved_by = approved_by
        version.approved_at = timezone.now()
        version.save()
    return version


WATER_TIERS = [
    {"kind": ChargeKind.VOLUMETRIC_TIER, "tier_from": "0", "tier_to": "6", "rate": "5.2500"},
    {"kind": ChargeKind.VOLUMETRIC_TIER, "tier_from": "6", "tier_to": "20", "rate": "6.7500"},
    {"kind": ChargeKind.VOLUMETRIC_TIER, "tier_from": "20", "tier_to": None, "rate": "8.5000"},
]
WATER_FIXED = [
    {"kind": ChargeKind.FIXED_BY_METER_SIZE, "meter_size": "5/8", "rate": "30.00"},
    {"kind": ChargeKind.FIXED_BY_METER_SIZE, "meter_size": "3/4", "rate": "42.00"},
    {"kind": ChargeKind.FIXED_BY_METER_SIZE, "meter_size": "1", "rate": "66.00"},
]
