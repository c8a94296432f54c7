"""Demo data of utility billing, imported only by seed_demo (through the registry): the
rate schedules, prepared by the demo technician and approved by the demo senior
technician through the same services the screens use."""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User

from ledger.models import Account
from utility_billing.models import ChargeKind, RateSchedule
from utility_billing.services.rates import (
    ChargeSpec,
    approve_rate_version,
    create_rate_schedule,
    create_rate_version,
)

WATER_ACCOUNT = "501-4100-4411"
SEWER_ACCOUNT = "502-4200-4421"
STORM_ACCOUNT = "202-0000-4920"
FY26 = datetime.date(2025, 7, 1)
FY27 = datetime.date(2026, 7, 1)
FY28 = datetime.date(2027, 7, 1)

# The fixed monthly water charge by meter size (FY 2025-26).
WATER_FIXED = {
    "5/8": "28.40",
    "3/4": "38.10",
    "1": "58.20",
    "1.5": "108.90",
    "2": "170.40",
    "3": "335.10",
    "4": "520.80",
    "6": "1035.00",
}
# Residential water use, HCF a month: (from, to, $ an HCF).
SFR_TIERS = [("0", "6", "7.62"), ("6", "20", "9.35"), ("20", None, "11.84")]

# (code, name, service, class, plan): the plan is "tiers" (fixed by size and the
# residential tiers), ("uniform", $ an HCF) with the fixed charges by size, ("sewer",
# $ a month, $ an HCF, capped by winter average), or ("parcel", $ a month).
SCHEDULES = [
    ("W-SFR", "Water, single-family", "water", "single_family", "tiers"),
    ("W-MFR", "Water, multi-family", "water", "multi_family", ("uniform", "8.70")),
    ("W-COM", "Water, commercial", "water", "commercial", ("uniform", "9.10")),
    ("W-IRR", "Water, irrigation", "water", "irrigation", ("uniform", "11.20")),
    ("S-SFR", "Sewer, single-family", "sewer", "single_family", ("sewer", "42.15", "6.95", True)),
    ("S-MFR", "Sewer, multi-family", "sewer", "multi_family", ("sewer", "38.00", "6.95", True)),
    ("S-COM", "Sewer, commercial", "sewer", "commercial", ("sewer", "55.00", "8.20", False)),
    ("SD", "Storm drain (clean bay), every parcel", "storm_drain", "", ("parcel", "4.25")),
]
# Each fiscal year's rates are the last year's times this (Resolution of the Council).
YEARLY_INCREASE = {FY26: Decimal("1.00"), FY27: Decimal("1.05"), FY28: Decimal("1.04")}


def _scaled(rate: str, factor: Decimal) -> Decimal:
    return (Decimal(rate) * factor).quantize(Decimal("0.01"))


def _charges(plan, accounts: dict[str, Account], factor: Decimal) -> list[ChargeSpec]:
    water, sewer, storm = (
        accounts[WATER_ACCOUNT],
        accounts[SEWER_ACCOUNT],
        accounts[STORM_ACCOUNT],
    )
    if plan == "tiers" or plan[0] == "uniform":
        specs = [
            ChargeSpec(
                kind=ChargeKind.FIXED_BY_METER_SIZE,
                meter_size=size,
                rate=_scaled(rate, factor),
                revenue_account=water,
            )
            for size, rate in WATER_FIXED.items()
        ]
        if plan == "tiers":
            specs += [
                ChargeSpec(
                    kind=ChargeKind.VOLUMETRIC_TIER,
                    tier_from=Decimal(low),
                    tier_to=Decimal(high) if high else None,
                    rate=_scaled(rate, factor),
                    revenue_account=water,
                )
                for low, high, rate in SFR_TIERS
            ]
        else:
            specs.append(
                ChargeSpec(
                    kind=ChargeKind.VOLUMETRIC_UNIFORM,
                    rate=_scaled(plan[1], factor),
                    revenue_account=water,
                )
            )
        return specs
    if plan[0] == "sewer":
        return [
            ChargeSpec(
                kind=ChargeKind.FIXED_BY_METER_SIZE,
                rate=_scaled(plan[1], factor),
                revenue_account=sewer,
                description="Sewer service charge",
            ),
            ChargeSpec(
                kind=ChargeKind.VOLUMETRIC_UNIFORM,
                rate=_scaled(plan[2], factor),
                revenue_account=sewer,
                description="Sewer use",
                capped_by_winter_average=plan[3],
            ),
        ]
    return [
        ChargeSpec(
            kind=ChargeKind.PER_PARCEL,
            rate=_scaled(plan[1], factor),
            revenue_account=storm,
            description="Clean bay storm drain charge",
        )
    ]


def seed_rates(log: Callable[[str], None]) -> None:
    """The rate schedules: FY 2025-26 and FY 2026-27 rates approved (the second
    superseding the first on July 1), FY 2027-28 water rates a draft awaiting approval.
    Added once."""
    # The services run their own (durable) transactions: inside the seed's one
    # transaction they nest as savepoints (millbrae_finance.demo.all_or_nothing).
    if RateSchedule.objects.exists():
        log("Utility rates: already seeded.")
        return
    tech = User.objects.get(username="tech")
    senior = User.objects.get(username="senior")
    accounts = {
        account.number: account
        for account in Account.objects.filter(
            number__in=[WATER_ACCOUNT, SEWER_ACCOUNT, STORM_ACCOUNT]
        )
    }
    for code, name, kind, service_class, plan in SCHEDULES:
        schedule = create_rate_schedule(
            code=code,
            name=name,
            service_kind=kind,
            service_class=service_class,
            actor=tech,
        )
        factor = Decimal("1")
        for start in (FY26, FY27):
            factor *= YEARLY_INCREASE[start]
            version = create_rate_version(
                schedule,
                effective_from=start,
                authority=f"Resolution {start.year % 100}-{start.month + 30}",
                charges=_charges(plan, accounts, factor),
                actor=tech,
            )
            approve_rate_version(version, actor=senior)
        if code == "W-SFR":
            create_rate_version(
                schedule,
                effective_from=FY28,
                authority="Proposed: Resolution 27-18",
                notes="Proposed rates for FY 2027-28, awaiting approval.",
                charges=_charges(plan, accounts, factor * YEARLY_INCREASE[FY28]),
                actor=tech,
            )
    log(f"Utility rates: {len(SCHEDULES)} schedules, two approved years each.")
