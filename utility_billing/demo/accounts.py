"""Demo data of utility billing, imported only by seed_demo (through the registry): the
rate schedules, prepared by the demo technician and approved by the demo senior
technician through the same services the screens use."""

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User

from ledger.models import Account
from receivables.models import Customer, CustomerKind
from utility_billing.models import (
    AccountRole,
    AccountService,
    ChargeKind,
    Cycle,
    DepositRule,
    Meter,
    MeterStatus,
    MeterType,
    RateSchedule,
    ServiceLocation,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
    UtilityAccount,
)
from utility_billing.services.rates import (
    ChargeSpec,
    approve_rate_version,
    create_rate_schedule,
    create_rate_version,
)

WATER_ACCOUNT = "501-4100-4411"
SEWER_ACCOUNT = "502-4200-4421"
STORM_ACCOUNT = "202-0000-4920"
# FY 2024-25's rates are in force from the demo's first billed month (its bills begin
# with the days after the November 2024 reads), FY 2025-26's from July 1, 2025.
FY25 = datetime.date(2024, 11, 1)
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
# Each fiscal year's rates are the last year's times this (Resolution of the Council);
# the figures above are FY 2025-26's, and FY 2024-25's were 4% lower.
YEARLY_INCREASE = {FY27: Decimal("1.05"), FY28: Decimal("1.04")}
RATE_FACTORS = {
    FY25: Decimal("0.96"),
    FY26: Decimal("1.00"),
    FY27: YEARLY_INCREASE[FY27],
}


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
    """The rate schedules: FY 2024-25, FY 2025-26 and FY 2026-27 rates approved (each
    superseding the one before on July 1), FY 2027-28 water rates a draft awaiting
    approval. Added once."""
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
        for start, factor in RATE_FACTORS.items():
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
    log(f"Utility rates: {len(SCHEDULES)} schedules, three approved years each.")


# ---------------------------------------------------------------- locations and accounts

SEED = 94030
DEMO_LOCATIONS = 2500
# Millbrae's streets, each read on one cycle (west of El Camino on 1, east on 2), with
# the first house number on the block the demo starts at.
DEMO_STREETS = [
    ("Magnolia Ave", "C1", 100),
    ("Hillcrest Blvd", "C1", 200),
    ("Santa Paula Ave", "C1", 100),
    ("Sequoia Ave", "C1", 300),
    ("Ludeman Ln", "C1", 100),
    ("Millbrae Ave", "C1", 400),
    ("Vallejo Dr", "C1", 100),
    ("Helen Dr", "C1", 100),
    ("Taylor Blvd", "C1", 200),
    ("Richmond Dr", "C1", 100),
    ("Park Blvd", "C1", 100),
    ("Meadow Glen Ave", "C1", 100),
    ("Lomita Ave", "C1", 100),
    ("Santa Teresa Way", "C1", 100),
    ("Santa Margarita Ave", "C1", 100),
    ("Santa Helena Ave", "C1", 100),
    ("Frontera Way", "C1", 100),
    ("Cortez Ave", "C1", 100),
    ("San Anselmo Ave", "C1", 100),
    ("Alcazar Dr", "C1", 100),
    ("Broadway", "C2", 100),
    ("El Camino Real", "C2", 1),
    ("Rollins Rd", "C2", 800),
    ("Aviador Ave", "C2", 100),
    ("Murchison Dr", "C2", 100),
    ("Palm Ave", "C2", 100),
    ("Chadbourne Ave", "C2", 100),
    ("Laurel Ave", "C2", 100),
    ("Poplar Ave", "C2", 100),
    ("Hemlock Ave", "C2", 100),
    ("Linden Ave", "C2", 100),
    ("Center St", "C2", 100),
    ("Lake St", "C2", 100),
    ("Adrian Rd", "C2", 1),
]
# (class, share of locations, meter sizes to choose from)
DEMO_CLASSES = [
    ("single_family", 78, ["5/8", "5/8", "5/8", "3/4"]),
    ("multi_family", 10, ["1", "1.5"]),
    ("commercial", 9, ["1", "1.5", "2"]),
    ("irrigation", 3, ["1", "1.5"]),
]
SERVICES_BY_CLASS = {
    "single_family": ("W-SFR", "S-SFR", "SD"),
    "multi_family": ("W-MFR", "S-MFR", "SD"),
    "commercial": ("W-COM", "S-COM", "SD"),
    "irrigation": ("W-IRR",),
}
TENANT_SHARE = 0.2
OLD_REGISTER_EVERY = 250
DEPOSIT = Decimal("150.00")


def seed_accounts(log: Callable[[str], None]) -> None:
    """Two billing cycles, about 2,500 service locations with a meter each and an account
    (a tenant's too where one rents), each billed for its class's services. Written set
    by set (bulk_create), as a large utility's load would be; added once."""
    if Cycle.objects.exists():
        log("Utility accounts: already seeded.")
        return
    rng = random.Random(SEED)
    tech = User.objects.get(username="tech")
    cycles = {
        cycle.code: cycle
        for cycle in Cycle.objects.bulk_create(
            [
                Cycle(code="C1", name="Cycle 1, west of El Camino", read_day=5, bill_day=10),
                Cycle(code="C2", name="Cycle 2, east of El Camino", read_day=19, bill_day=24),
            ]
        )
    }
    schedules = {schedule.code: schedule for schedule in RateSchedule.objects.all()}
    customers = Customer.objects.active().order_by("id")
    people = list(customers.filter(kind=CustomerKind.PERSON))
    businesses = list(customers.filter(kind=CustomerKind.BUSINESS)) or people

    classes = [name for name, share, _ in DEMO_CLASSES for _ in range(share)]
    sizes = {name: choices for name, _, choices in DEMO_CLASSES}
    locations = []
    for index in range(DEMO_LOCATIONS):
        street, cycle, first_number = DEMO_STREETS[index % len(DEMO_STREETS)]
        house = index // len(DEMO_STREETS)
        service_class = rng.choice(classes)
        # An assessor's parcel number: book-page-parcel, unique by book and page.
        apn = f"0{21 + index % 7}-{100 + index // 7:03d}-{rng.randrange(10, 99):03d}"
        # Odd numbers on one side of the street, even on the other, about 12 a block.
        house_number = first_number + 100 * (house // 12) + 8 * (house % 12 // 2) + house % 2
        locations.append(
            ServiceLocation(
                parcel_number=apn,
                address_line1=f"{house_number} {street}",
                address_line2="Units A-D" if service_class == "multi_family" else "",
                service_class=service_class,
                cycle=cycles[cycle],
                route=f"R{index % len(DEMO_STREETS) + 1:02d}",
                route_sequence=index // len(DEMO_STREETS) + 1,
            )
        )
    locations = ServiceLocation.objects.bulk_create(locations)

    meters, accounts, billed = [], [], []
    number = 100000
    for index, location in enumerate(locations):
        residential = location.service_class in ("single_family", "multi_family")
        pool = people if residential else businesses
        installed = datetime.date(2012 + rng.randrange(12), rng.randrange(1, 13), 15)
        size = rng.choice(sizes[location.service_class])
        meters.append(
            Meter(
                serial=f"MB{2_000_000 + location.pk:07d}",
                size=size,
                meter_type=MeterType.AMI
                if rng.random() < 0.4
                else (MeterType.TURBINE if size in ("2", "3") else MeterType.POSITIVE_DISPLACEMENT),
                # A few old registers of four dials: they roll over in the demo's reads.
                dials=4 if index % OLD_REGISTER_EVERY == 17 else 6,
                status=MeterStatus.INSTALLED,
                location=location,
                install_date=installed,
                install_reading=Decimal(0),
            )
        )
        owner_since = datetime.date(2005 + rng.randrange(19), rng.randrange(1, 13), 1)
        number += 1
        owner = UtilityAccount(
            number=str(number),
            customer=pool[(location.pk * 7) % len(pool)],
            location=location,
            role=AccountRole.OWNER,
            status="active",
            start_date=owner_since,
            # A stand-in until the reads seeder works it out from the winter's reads.
            winter_average_hcf=Decimal(rng.randrange(40, 120)) / 10 if residential else None,
            opened_by=tech,
        )
        accounts.append(owner)
        if residential and rng.random() < TENANT_SHARE:
            number += 1
            waived = rng.random() < 0.5
            tenant = UtilityAccount(
                number=str(number),
                customer=people[(location.pk * 13 + 5) % len(people)],
                location=location,
                role=AccountRole.TENANT,
                status="active",
                # Moved in before the demo's first billed month (November 2024).
                start_date=max(owner_since, datetime.date(2022 + rng.randrange(3), 1, 1)),
                deposit_required=DEPOSIT,
                deposit_waived=waived,
                deposit_waiver_reason="Letter of good credit from the prior utility"
                if waived
                else "",
                winter_average_hcf=owner.winter_average_hcf,
                opened_by=tech,
            )
            accounts.append(tenant)
            billed.append(tenant)
        else:
            billed.append(owner)
    Meter.objects.bulk_create(meters)
    UtilityAccount.objects.bulk_create(accounts)
    AccountService.objects.bulk_create(
        AccountService(
            account=account,
            kind=schedules[code].service_kind,
            rate_schedule=schedules[code],
            start_date=account.start_date,
        )
        for account in billed
        for code in SERVICES_BY_CLASS[account.location.service_class]
    )
    today = datetime.date(2026, 12, 1)
    ServiceOrder.objects.bulk_create(
        [
            ServiceOrder(
                location=account.location,
                account=account,
                kind=kind,
                status=status,
                requested_by=tech,
                scheduled_for=today + datetime.timedelta(days=3) if status != "open" else None,
                notes=note,
            )
            for account, kind, status, note in [
                (billed[3], ServiceOrderKind.RE_READ, ServiceOrderStatus.OPEN, "Read looks high"),
                (billed[11], ServiceOrderKind.RE_READ, ServiceOrderStatus.SCHEDULED, ""),
                (
                    billed[20],
                    ServiceOrderKind.METER_CHANGE,
                    ServiceOrderStatus.SCHEDULED,
                    "Register fogged; replace meter",
                ),
            ]
        ]
    )
    log(
        f"Utility accounts: {len(locations)} locations, {len(accounts)} accounts, "
        f"{len(meters)} meters on {len(cycles)} cycles."
    )


# The move-in deposit by class (Council policy): about two months' typical bill; a
# year of on-time payment elsewhere or a letter of credit waives it. Irrigation
# accounts belong to owners and ask none.
DEPOSIT_RULES = [
    ("single_family", "150.00", 12, True),
    ("multi_family", "250.00", 12, True),
    ("commercial", "500.00", 24, False),
    ("irrigation", "0.00", None, False),
]


def seed_deposit_rules(log: Callable[[str], None]) -> None:
    """The credit rule for move-in deposits, one row per class. Added once."""
    if DepositRule.objects.exists():
        log("Deposit rules: already seeded.")
        return
    DepositRule.objects.bulk_create(
        DepositRule(
            service_class=service_class,
            amount=Decimal(amount),
            good_history_months=months,
            letter_of_credit_waives=letter,
        )
        for service_class, amount, months, letter in DEPOSIT_RULES
    )
    log(f"Deposit rules: {len(DEPOSIT_RULES)} classes.")
