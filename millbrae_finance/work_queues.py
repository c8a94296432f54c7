"""Home-page work queues: each module registers what waits for which role.

A queue is a title, the roles it is for, a function returning the waiting items for a
user (each item a (label, url) pair), and the URL of the full list. Modules register from
AppConfig.ready(); this module imports none of them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from millbrae_finance.roles import Role

WorkItem = tuple[str, str]


@dataclass(frozen=True)
class WorkQueue:
    key: str
    title: str
    roles: frozenset[Role]
    items: Callable[[AbstractBaseUser], Sequence[WorkItem]]
    list_url_name: str | None = None


_queues: dict[str, WorkQueue] = {}


def register_work_queue(queue: WorkQueue) -> None:
    """Register (or replace, by key) a work queue."""
    _queues[queue.key] = queue


def queues_for(roles: frozenset[Role]) -> list[WorkQueue]:
    return [queue for queue in _queues.values() if queue.roles & roles]
