"""Reads of role changes: who gave or took which role from whom, when, through which page.

Role membership is Django group membership, the rows of `auth_user_groups`. Its
django-pghistory triggers (millbrae_finance.models) record an event for every row added
or removed, in the same transaction, whatever made the change (the admin, a shell, raw
SQL); a change made through a request carries the signed-in user and the URL.
"""

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import models

CHANGE_LABELS = {"insert": "Added", "delete": "Removed", "update": "Changed to"}


def _event_model() -> type[models.Model]:
    return apps.get_model("millbrae_finance", "UserGroupEvent")


@dataclass(frozen=True)
class RoleChange:
    when: dt.datetime
    user: str  # whose roles changed
    change: str  # Added, Removed
    role: str
    changed_by: str  # "" when no one was signed in (a shell, a command, raw SQL)
    url: str


def role_changes(
    *,
    user: User | None = None,
    changed_by: User | None = None,
    role: Group | None = None,
    change: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> models.QuerySet:
    """Role-change events, newest first, narrowed by whose roles, by whom, which role,
    added or removed, and a date range (days in the site's time zone)."""
    events = _event_model().objects.select_related("pgh_context")
    if user is not None:
        events = events.filter(user_id=user.pk)
    if changed_by is not None:
        events = events.filter(pgh_context__metadata__user=changed_by.pk)
    if role is not None:
        events = events.filter(group_id=role.pk)
    if change:
        events = events.filter(pgh_label=change)
    if date_from:
        events = events.filter(pgh_created_at__date__gte=date_from)
    if date_to:
        events = events.filter(pgh_created_at__date__lte=date_to)
    return events.order_by("-pgh_created_at", "-pgh_id")


def describe_role_changes(events: list) -> list[RoleChange]:
    """A page of events as people read them: names, not ids, in two queries. A user or
    group deleted since keeps its id."""
    metadata = [(event.pgh_context.metadata if event.pgh_context else {}) for event in events]
    user_ids = {event.user_id for event in events} | {
        data["user"] for data in metadata if isinstance(data.get("user"), int)
    }
    usernames = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    groups = dict(
        Group.objects.filter(pk__in={event.group_id for event in events}).values_list("pk", "name")
    )
    return [
        RoleChange(
            when=event.pgh_created_at,
            user=usernames.get(event.user_id, f"user #{event.user_id} (deleted)"),
            change=CHANGE_LABELS.get(event.pgh_label, event.pgh_label),
            role=groups.get(event.group_id, f"group #{event.group_id} (deleted)"),
            changed_by=_actor(data.get("user"), usernames),
            url=data.get("url") or "",
        )
        for event, data in zip(events, metadata, strict=True)
    ]


def _actor(user_id: object, usernames: dict[int, str]) -> str:
    if not isinstance(user_id, int):
        return ""
    return usernames.get(user_id, f"user #{user_id} (deleted)")
