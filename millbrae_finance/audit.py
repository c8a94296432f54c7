"""Reads of the audit trail: the events django-pghistory's triggers write for every
insert, update and delete on a tracked model, with the request's user and URL."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from pghistory.core import event_models
from pghistory.models import MiddlewareEvents

from millbrae_finance.templatetags.millbrae import money


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


def _is_money(field: models.Field) -> bool:
    # Amounts are NUMERIC(14,2) (money.MoneyField); rates and quantities have more places.
    return isinstance(field, models.DecimalField) and field.decimal_places == 2


def _shown(model: type[models.Model] | None, name: str, value: object) -> object:
    """A recorded value as a person reads it: an amount as money ($80.00, not 80.0)."""
    if value is None or model is None:
        return value
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = next((f for f in model._meta.concrete_fields if f.attname == name), None)
    if field is not None and _is_money(field) and not isinstance(value, bool):
        try:
            return money(Decimal(str(value)))
        except InvalidOperation:
            return value
    return value


def record_name(model: type[models.Model] | None, object_id: object, data: dict | None) -> str:
    """A record as people name it: "Citation P2000510", "Invoice INV-000012", "Customer
    C000045"; a record with no number of its own keeps its id ("Fiscal period #12")."""
    if model is None:
        return f"#{object_id}"
    name = str(model._meta.verbose_name).capitalize()
    number = None
    try:
        field = model._meta.get_field("number")
    except FieldDoesNotExist:
        # A number derived from the id (INV-000012, CM-000003): no query needed.
        if isinstance(getattr(model, "number", None), property) and str(object_id).isdigit():
            number = model(pk=int(object_id)).number
    else:
        # A stored number, unique, as the event recorded it (a period's number is not).
        if field.unique and data:
            number = data.get(field.attname)
    return f"{name} {number}" if number else f"{name} #{object_id}"


def describe_events(events: list) -> list:
    """Each event with what a person reads beside it: `record_name`, and `changes` as
    (field, before, after) or `values` as (field, value), amounts shown as money. Lists
    of pairs, not the diff dict, so a field named "items" cannot shadow dict.items."""
    models_by_label: dict[str, type[models.Model] | None] = {}
    for event in events:
        label = event.pgh_obj_model
        if label not in models_by_label:
            models_by_label[label] = model_from_label(label)
        model = models_by_label[label]
        data = event.pgh_data or {}
        event.record_name = record_name(model, event.pgh_obj_id, data)
        diff = event.pgh_diff or {}
        event.changes = [
            (name, _shown(model, name, change[0]), _shown(model, name, change[1]))
            for name, change in diff.items()
        ]
        event.values = [] if diff else [(k, _shown(model, k, v)) for k, v in data.items()]
    return events
