"""Demo drawers: the finance counter's two cash drawers and the mail desk's."""

from collections.abc import Callable

from cashiering.models import Drawer

DRAWERS = [
    ("D1", "Front counter, window 1"),
    ("D2", "Front counter, window 2"),
    ("M1", "Mail desk"),
]


def seed_drawers(log: Callable[[str], None]) -> None:
    for code, name in DRAWERS:
        Drawer.objects.get_or_create(code=code, defaults={"name": name})
    log(f"{len(DRAWERS)} cash drawers")
