"""Demo data: users for every role, and the registry later modules add their part to.

Every seeder is idempotent: running `seed_demo` twice leaves the same data as once. The
whole seed is one transaction: a run killed halfway leaves nothing, and the next run
loads everything.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils.module_loading import import_string

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

# The demo's "today": every module's history ends on it (receivables' and utility
# billing's demos end the same day), and nothing is dated later.
DEMO_TODAY = dt.date(2026, 11, 27)

# City Hall closures beyond the state holidays, as a small city's council adopts them.
DEMO_CLOSURES = [
    (dt.date(2026, 12, 24), "Christmas Eve (City Hall closed)"),
    (dt.date(2026, 12, 31), "New Year's Eve (City Hall closed)"),
    (dt.date(2027, 12, 24), "Christmas Eve (City Hall closed)"),
    (dt.date(2027, 12, 31), "New Year's Eve (City Hall closed)"),
]

Seeder = Callable[[Callable[[str], None]], None]
_seeders: list[tuple[int, str, Seeder | str]] = []


def register_demo_seeder(name: str, seeder: Seeder | str, *, order: int) -> None:
    """Add a module's demo data; seeders run by `order`, each gets a `log` function.

    `seeder` is the function or, so that no demo module is imported when the site starts,
    its dotted path ("receivables.demo.customers:seed_customers"), imported when the seed
    runs."""
    if name not in {existing for _, existing, _ in _seeders}:
        _seeders.append((order, name, seeder))


def load_seeder(seeder: Seeder | str) -> Seeder:
    """The seeder itself, its module imported now if it was registered by dotted path."""
    return import_string(seeder.replace(":", ".")) if isinstance(seeder, str) else seeder


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
    """Every seeder, in order, all in one transaction: all of the demo data or none."""
    with all_or_nothing():
        _run_seeders(log)


# pg_advisory_xact_lock key of the seed ("SEED" in ASCII): a second seed started while one
# runs waits for it, then finds everything in place, instead of failing on duplicates.
SEED_LOCK_KEY = 0x53454544


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """One transaction around the whole seed, inside which the services' durable blocks
    run as savepoints.

    The seed calls the same services the screens call, and each of those is a durable
    transaction (STYLE.md): on its own, a seed killed halfway left half a year committed,
    and the "already seeded" checks of the next run then skipped what was missing. A
    durable block may nest only in a block Django marks `_from_testcase`, the mark its
    TestCase puts on the transaction it wraps each test in; the seed's outer block is that
    kind of block, so it carries the mark. Only this block: a durable block nested
    anywhere else still raises. Should Django rename the mark, the first durable service
    the seed calls raises RuntimeError, so it cannot silently commit piecemeal again.
    """
    outer = transaction.atomic()
    outer._from_testcase = True
    with outer:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEED_LOCK_KEY])
        yield


def _run_seeders(log: Callable[[str], None]) -> None:
    seed_users(log)
    for _, name, seeder in sorted(_seeders, key=lambda item: (item[0], item[1])):
        log(f"seeding {name}")
        load_seeder(seeder)(log)
