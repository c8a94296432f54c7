"""Reads of the audit trail: the events django-pghistory's triggers write for every
insert, update and delete on a tracked model, with the request's user and URL."""

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import User
from django.db import models
from pghistory.core import event_models
from pghistory.models import MiddlewareEvents


@dataclass(frozen=True)
class TrackedModel:
    label: str  # "app_label.ModelName"
    name: str  # what a person reads


def tracked_models() -> list[TrackedModel]:
    """Every model whose changes are recorded, by the name an auditor would use."""
    found = {}
    for event_model in event_models():
        field = next((f for f in event_model._meta.fields if f.name == "pgh_obj"), None)
        if field is None:
            continue
        model = field.related_model
        label = model._meta.label
        found[label] = TrackedModel(label=label, name=str(model._meta.verbose_name).capitalize())
    return sorted(found.values(), key=lambda item: item.name)


def model_from_label(label: str) -> type[models.Model] | None:
    """The tracked model for an "app_label.ModelName" label, or None if it is not one."""
    if label not in {item.label for item in tracked_models()}:
        return None
    return apps.get_model(label)


def audit_events(
    *,
    model: type[models.Model] | None = None,
    object_id: str | None = None,
    user: User | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> models.QuerySet:
    """Audit events, newest first, narrowed by model, object, user and date range."""
    sources = event_models(tracks_model=model) if model is not None else event_models()
    events = MiddlewareEvents.objects.across(*sources)
    if object_id:
        events = events.filter(pgh_obj_id=object_id)
    if user is not None:
        events = events.filter(user=user.pk)
    if date_from:
        events = events.filter(pgh_created_at__date__gte=date_from)
    if date_to:
        events = events.filter(pgh_created_at__date__lte=date_to)
    return events.order_by("-pgh_created_at", "-pgh_id")


def usernames_by_id(events: list) -> dict[int, str]:
    """The usernames behind a page of events, in one query."""
    ids = {event.user_id for event in events if event.user_id}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
