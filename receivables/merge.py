"""The customer merge registry: every module whose rows belong to a customer (utility
accounts, invoices, citations, ...) registers how to move them from a duplicate customer
to the one that survives. Modules register from AppConfig.ready(); this module imports
none of them, so receivables never reaches into another app's tables.
"""

from collections.abc import Callable
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser

from receivables.models import Customer


class MoveRows(Protocol):
    def __call__(
        self, *, duplicate: Customer, survivor: Customer, actor: AbstractBaseUser
    ) -> int: ...


_movers: dict[str, Callable[..., int]] = {}


def register_customer_merge(name: str, fn: MoveRows) -> None:
    """Register (or replace, by name) how a module moves its rows on a merge. `fn` runs
    inside the merge's transaction, both customers locked, and returns how many rows it
    moved; raising ValidationError refuses the merge."""
    _movers[name] = fn


def registered_customer_merges() -> dict[str, Callable[..., int]]:
    return dict(_movers)


def unregister_customer_merge(name: str) -> None:
    _movers.pop(name, None)
