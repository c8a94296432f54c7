"""Demo data: users for every role, and the registry later modules add their part to.

Every seeder is idempotent: running `seed_demo` twice leaves the same data as once.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from millbrae_finance.models import CityClosure
from millbrae_finance.roles import Role


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    role: Role


# Demo passwords are for the embedded demo database only; `make run` prints them.
DEMO_USERS = [
    DemoUser("clerk", "demo-clerk", "Carmen", "Delgado", Role.COUNTER_CLERK),
    DemoUser("clerk2", "demo-clerk2", "Marcus", "Lee", Role.COUNTER_CLERK),
    DemoUser("tech", "demo-tech", "Priya", "Shah", Role.ACCOUNTING_TECHNICIAN),
    DemoUser("tech2", "demo-tech2", "Daniel", "Okafor", Role.ACCOUNTING_TECHNICIAN),
    DemoUser("senior", "demo-senior", "Grace", "Tanaka", Role.SENIOR_ACCOUNTING_TECHNICIAN),
    DemoUser("supervisor", "demo-supervisor", "Robert", "Alvarez", Role.FINANCE_SUPERVISOR),
    DemoUser("auditor", "demo-auditor", "Helen", "Brooks", Role.AUDITOR),
    DemoUser("admin", "demo-admin", "Sam", "Rivera", Role.ADMINISTRATOR),
]

# City Hall closures beyond the state holidays, as a small city's council adopts them.
DEMO_CLOSURES = [
    (dt.date(2026, 12, 24), "Christmas Eve (City Hall closed)"),
    (dt.date(2026, 12, 31), "New Year's Eve (City Hall closed)"),
    (dt.date(2027, 12, 24), "Christmas Eve (City Hall closed)"),
    (dt.date(2027, 12, 31), "New Year's Eve (City Hall closed)"),
]

Seeder = Callable[[Callable[[str], None]], None]
_seeders: list[tuple[int, str, Seeder]] = []


def register_demo_seeder(name: str, seeder: Seeder, *, order: int) -> None:
    """Add a module's demo data; seeders run by `order`, each gets a `log` function."""
    if name not in {existing for _, existing, _ in _seeders}:
        _seeders.append((order, name, seeder))


def seed_users(log: Callable[[str], None]) -> None:
    with transaction.atomic():
        for demo in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={"first_name": demo.first_name, "last_name": demo.last_name},
            )
            if created:
                user.email = f"{demo.username}@millbrae.example"
                user.set_password(demo.password)
                # The Administrator works in Django's admin for users and reference data.
                user.is_staff = demo.role == Role.ADMINISTRATOR
                user.save()
                log(f"created user {demo.username} ({demo.role.label})")
            user.groups.add(Group.objects.get(name=demo.role.value))
        for day, name in DEMO_CLOSURES:
            CityClosure.objects.get_or_create(date=day, defaults={"name": name})


def run_seeders(log: Callable[[str], None]) -> None:
    seed_users(log)
    for _, name, seeder in sorted(_seeders, key=lambda item: (item[0], item[1])):
        log(f"seeding {name}")
        seeder(log)
