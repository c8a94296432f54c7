"""Demo customers: a few hundred people and businesses of Millbrae and its neighbours,
the same every run (seeded random), added once (a second seed adds none)."""

import random
from collections.abc import Callable

from django.db import transaction

from receivables.models import ContactMethod, Customer, CustomerKind
from receivables.services import build_customer

DEMO_PEOPLE = 300
DEMO_BUSINESSES = 60
SEED = 94030

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
        log(f"Customers: {len(made)} added.")
