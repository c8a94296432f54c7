"""Demo customers: a few hundred people and businesses of Millbrae and its neighbours,
the same every run (seeded random), added once (a second seed adds none)."""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ledger.models import Account
from receivables.models import (
    CitationKind,
    ContactMethod,
    Customer,
    CustomerKind,
    Fee,
    FeeRule,
    FeeStatus,
    FeeTier,
)
from receivables.queries.fees import FeeTerms, Tier, problems_with
from receivables.services.customers import build_customer

DEMO_PEOPLE = 300
DEMO_BUSINESSES = 60
SEED = 94030
# The demo fee schedule's start: the fiscal year the demo data begins in.
FEES_FROM = datetime.date(2025, 7, 1)
# A city's payers came over the years: each demo customer's "customer since" date falls
# in this span, which ends before the demo's first bill (demo.billing.FIRST_DAY).
SINCE_FROM = datetime.date(2004, 1, 1)
SINCE_TO = datetime.date(2025, 11, 28)

FIRST_NAMES = [
    "Maria",
    "James",
    "Linda",
    "Wei",
    "Jose",
    "Patricia",
    "Michael",
    "Mei",
    "David",
    "Susan",
    "Robert",
    "Anita",
    "Daniel",
    "Grace",
    "Kevin",
    "Rosa",
    "Thomas",
    "Emily",
    "Hiroshi",
    "Aisha",
    "Carlos",
    "Jennifer",
    "Brian",
    "Ling",
    "Sean",
    "Fatima",
    "Paul",
    "Nicole",
    "Raj",
    "Teresa",
]
LAST_NAMES = [
    "Garcia",
    "Nguyen",
    "Chen",
    "Smith",
    "Lopez",
    "O'Brien",
    "Wong",
    "Johnson",
    "Patel",
    "Kim",
    "Martinez",
    "Lee",
    "Murphy",
    "Tanaka",
    "Rodriguez",
    "Singh",
    "Sullivan",
    "Hernandez",
    "Cheung",
    "Brown",
    "Flores",
    "Yamamoto",
    "Davis",
    "Reyes",
    "Gonzalez",
    "Fong",
    "Miller",
    "Ramirez",
    "Leung",
    "Anderson",
    "McCarthy",
    "Santos",
    "Huang",
    "Wilson",
    "Castillo",
]
BUSINESS_WORDS = [
    "Bayside",
    "Peninsula",
    "Millbrae",
    "Golden Gate",
    "Hillcrest",
    "Green Hills",
    "Sunrise",
    "Pacific",
    "Magnolia",
    "Skyline",
    "Coastal",
    "Broadway",
]
BUSINESS_KINDS = [
    "Dental Group",
    "Bakery",
    "Auto Repair",
    "Dry Cleaners",
    "Noodle House",
    "Pharmacy",
    "Realty",
    "Florist",
    "Hardware",
    "Cafe",
    "Tutoring Center",
    "Insurance Agency",
]
SUFFIXES = ["LLC", "Inc.", "", "", "Co."]
# (street, city, ZIP): real streets of Millbrae, Burlingame and San Bruno.
STREETS = [
    ("El Camino Real", "Millbrae", "94030"),
    ("Broadway", "Millbrae", "94030"),
    ("Magnolia Ave", "Millbrae", "94030"),
    ("Taylor Blvd", "Millbrae", "94030"),
    ("Hillcrest Blvd", "Millbrae", "94030"),
    ("Murchison Dr", "Millbrae", "94030"),
    ("Millbrae Ave", "Millbrae", "94030"),
    ("Meadow Glen Ave", "Millbrae", "94030"),
    ("Ashton Ave", "Millbrae", "94030"),
    ("Santa Teresa Way", "Millbrae", "94030"),
    ("Chadbourne Ave", "Millbrae", "94030"),
    ("Lomita Ave", "Millbrae", "94030"),
    ("Helen Dr", "Millbrae", "94030"),
    ("Palm Ave", "Millbrae", "94030"),
    ("Burlingame Ave", "Burlingame", "94010"),
    ("California Dr", "Burlingame", "94010"),
    ("Trousdale Dr", "Burlingame", "94010"),
    ("Easton Dr", "Burlingame", "94010"),
    ("San Mateo Ave", "San Bruno", "94066"),
    ("Sneath Ln", "San Bruno", "94066"),
    ("Crystal Springs Rd", "San Bruno", "94066"),
    ("Jenevein Ave", "San Bruno", "94066"),
]
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "comcast.net", "outlook.com", "sbcglobal.net"]
DEMO_NOTES = [
    "",
    "",
    "",
    "Prefers to pay at the counter.",
    "Spanish-speaking; Rosa at the counter can help.",
    "Mail returned once in 2024; address confirmed by phone.",
    "Landlord: tenants' bills go to the c/o address.",
]


def demo_customers(rng: random.Random) -> list[Customer]:
    """The demo customers, unsaved, the same list for the same generator."""
    customers = []
    for index in range(DEMO_PEOPLE + DEMO_BUSINESSES):
        street, city, zip_code = rng.choice(STREETS)
        number = rng.randrange(100, 1900)
        phone = f"650-{rng.randrange(200, 999)}-{rng.randrange(0, 10000):04d}"
        if index < DEMO_PEOPLE:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            kind, name = CustomerKind.PERSON, f"{last}, {first}"
            local = f"{first}.{last}".lower().replace("'", "")
            care_of = (
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" if index % 29 == 0 else ""
            )
        else:
            words = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_KINDS)}"
            kind, name = CustomerKind.BUSINESS, f"{words} {rng.choice(SUFFIXES)}".strip()
            local = "office"
            care_of = ""
        email = (
            f"{local}{rng.randrange(1, 99)}@{rng.choice(MAIL_DOMAINS)}"
            if rng.random() < 0.45
            else ""
        )
        customers.append(
            build_customer(
                kind=kind,
                name=name,
                care_of=care_of,
                address_line1=f"{number} {street}",
                address_line2=f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.12 else "",
                city=city,
                state="CA",
                postal_code=zip_code,
                phone=phone,
                phone_alt=f"650-{rng.randrange(200, 999)}-{rng.randrange(0, 10000):04d}"
                if rng.random() < 0.1
                else "",
                email=email,
                preferred_contact=ContactMethod.EMAIL
                if email and rng.random() < 0.5
                else ContactMethod.MAIL,
                notes=rng.choice(DEMO_NOTES),
                do_not_accept_checks=rng.random() < 0.03,
            )
        )
    return customers


def seed_customers(log: Callable[[str], None]) -> None:
    with transaction.atomic():
        if Customer.objects.exists():
            log("Customers: already seeded.")
            return
        made = Customer.objects.bulk_create(demo_customers(random.Random(SEED)), batch_size=1000)
        # created_at is auto_now_add, so the insert dated every customer today; the
        # since-dates are set after, in one statement per batch.
        for customer, since in zip(made, demo_since_dates(len(made)), strict=True):
            customer.created_at = since
        Customer.objects.bulk_update(made, ["created_at"], batch_size=1000)
        log(f"Customers: {len(made)} added.")


def demo_since_dates(count: int) -> list[datetime.datetime]:
    """When each demo customer became one: spread over SINCE_FROM..SINCE_TO, at a time of
    a business day's opening hours, the same every run (its own generator, so the
    customers themselves do not change)."""
    rng = random.Random(SEED + 1)
    days = (SINCE_TO - SINCE_FROM).days
    zone = timezone.get_current_timezone()
    return [
        datetime.datetime.combine(
            SINCE_FROM + datetime.timedelta(days=rng.randrange(days + 1)),
            datetime.time(rng.randrange(8, 17), rng.randrange(60)),
            tzinfo=zone,
        )
        for _ in range(count)
    ]


@dataclass(frozen=True)
class DemoFee:
    code: str
    description: str
    account: str
    rule: FeeRule
    amount: str | None = None
    rate: str | None = None
    tiers: tuple[tuple[str | None, str], ...] = ()
    minimum: str | None = None
    unit_name: str = "unit"
    effective_from: datetime.date = FEES_FROM
    effective_to: datetime.date | None = None
    notes: str = ""
    # The citation kind this fee is the fine of; blank for a fee that is not a violation.
    violation_kind: str = ""


# A city's master fee schedule, adopted by council resolution for the fiscal year.
DEMO_FEES = [
    DemoFee(
        "FACILITY-RENTAL",
        "Community center room rental",
        "101-6100-4710",
        FeeRule.PER_UNIT,
        rate="85.00",
        unit_name="hour",
        minimum="170.00",
        effective_to=datetime.date(2027, 6, 30),
        notes="Two-hour minimum.",
    ),
    DemoFee(
        "FACILITY-RENTAL",
        "Community center room rental",
        "101-6100-4710",
        FeeRule.PER_UNIT,
        rate="92.00",
        unit_name="hour",
        minimum="184.00",
        effective_from=datetime.date(2027, 7, 1),
        notes="FY 2027-28 rate, Resolution 27-041. Two-hour minimum.",
    ),
    DemoFee(
        "FALSE-ALARM",
        "False alarm response, by alarms in a calendar year",
        "101-1100-4920",
        FeeRule.TIERED,
        tiers=(("2", "0.00"), ("3", "100.00"), (None, "250.00")),
        unit_name="alarm",
        notes="First two alarms in a year are free; the third $100; each after $250.",
    ),
    DemoFee(
        "DAMAGE-CITY-PROPERTY",
        "Damage to city property, cost pass-through",
        "101-1100-4920",
        FeeRule.PER_UNIT,
        rate="1.00",
        unit_name="dollar of repair cost",
    ),
    DemoFee(
        "REINSPECTION",
        "Building permit re-inspection",
        "101-5100-4520",
        FeeRule.FLAT,
        amount="148.00",
    ),
    DemoFee("RETURNED-CHECK", "Returned check fee", "101-1100-4920", FeeRule.FLAT, amount="25.00"),
    DemoFee(
        "LATE-PAYMENT",
        "Late payment penalty",
        "101-1100-4920",
        FeeRule.PERCENT,
        rate="10",
        minimum="5.00",
    ),
    DemoFee(
        "PKG-EXPIRED-METER",
        "Parking: expired meter",
        "101-2100-4610",
        FeeRule.FLAT,
        "45.00",
        violation_kind=CitationKind.PARKING,
    ),
    DemoFee(
        "PKG-RED-ZONE",
        "Parking: red zone",
        "101-2100-4610",
        FeeRule.FLAT,
        "60.00",
        violation_kind=CitationKind.PARKING,
    ),
    DemoFee(
        "PKG-STREET-SWEEP",
        "Parking: no parking, street sweeping",
        "101-2100-4610",
        FeeRule.FLAT,
        "55.00",
        violation_kind=CitationKind.PARKING,
    ),
    DemoFee(
        "ADMIN-CITATION",
        "Administrative citation, first violation",
        "101-2100-4620",
        FeeRule.FLAT,
        "100.00",
        violation_kind=CitationKind.ADMINISTRATIVE,
    ),
]


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def seed_fees(log: Callable[[str], None]) -> None:
    """The demo fee schedule, prepared by the demo technician and approved by the demo
    supervisor; added once. Terms are checked by problems_with as the services check them."""
    with transaction.atomic():
        if Fee.objects.exists():
            log("Fees: already seeded.")
            return
        preparer = User.objects.get(username="tech")
        approver = User.objects.get(username="supervisor")
        fallback = Account.objects.get(number="101-1100-4920")
        accounts = {account.number: account for account in Account.objects.postable()}
        for demo in DEMO_FEES:
            tiers = tuple(Tier(_money(up_to), Decimal(rate)) for up_to, rate in demo.tiers)
            terms = FeeTerms(
                rule=demo.rule,
                amount=_money(demo.amount),
                rate=_money(demo.rate),
                tiers=tiers,
                minimum=_money(demo.minimum),
                unit_name=demo.unit_name,
            )
            if problems := problems_with(terms):
                raise ValueError(f"Demo fee {demo.code}: {problems}")
            fee = Fee.objects.create(
                code=demo.code,
                description=demo.description,
                revenue_account=accounts.get(demo.account, fallback),
                rule=demo.rule,
                amount=terms.amount,
                rate=terms.rate,
                minimum=terms.minimum,
                unit_name=demo.unit_name,
                violation_kind=demo.violation_kind,
                effective_from=demo.effective_from,
                effective_to=demo.effective_to,
                notes=demo.notes,
                status=FeeStatus.APPROVED,
                prepared_by=preparer,
                approved_by=approver,
                approved_at=timezone.now(),
            )
            FeeTier.objects.bulk_create(
                FeeTier(fee=fee, position=number, up_to=tier.up_to, rate=tier.rate)
                for number, tier in enumerate(tiers, start=1)
            )
        log(f"Fees: {len(DEMO_FEES)} fee versions added.")
