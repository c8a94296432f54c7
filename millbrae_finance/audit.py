"""Reads of the audit trail: the events django-pghistory's triggers write for every
insert, update and delete on a tracked model, with the request's user and URL."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from pghistory.core import event_models
from pghistory.models import Context, MiddlewareEvents

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


class AuditTrail:
    """Audit events newest first, narrowed like `audit_events`, as a sequence a Paginator
    pages through without building every event.

    pghistory's aggregate query renders each event's JSON and diff against the event
    before it, in every event table, before it can sort and count: 1.2-1.5 s on the demo
    data for a page of 50. Here the count and a page's keys come from a UNION of the
    event tables that reads only (table, id, time), with the filters inside each table's
    branch; then only that page's events are read in full, from the tables on the page.
    """

    def __init__(
        self,
        *,
        model: type[models.Model] | None = None,
        object_id: str | None = None,
        user: User | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
    ) -> None:
        sources = event_models(tracks_model=model) if model is not None else event_models()
        self._branches: list[tuple[str, list]] = []
        for event_model in sources:
            branch = _key_branch(event_model, object_id, user, date_from, date_to)
            if branch is not None:
                self._branches.append(branch)
        self._count: int | None = None

    def _union(self) -> tuple[str, list]:
        sql = " UNION ALL ".join(f"({branch})" for branch, _ in self._branches)
        return sql, [param for _, params in self._branches for param in params]

    def count(self) -> int:
        if self._count is None:
            if not self._branches:
                self._count = 0
            else:
                union, params = self._union()
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT count(*) FROM ({union}) keys", params)  # noqa: S608
                    self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("An audit trail is read a page (a slice) at a time.")
        start = index.start or 0
        if not self._branches or (index.stop is not None and index.stop <= start):
            return []
        union, params = self._union()
        limit = "" if index.stop is None else f"LIMIT {int(index.stop) - int(start)}"
        with connection.cursor() as cursor:
            # Within one transaction every event has the same time; the id, then the
            # table, keep the order (and so the pages) stable.
            cursor.execute(
                f"SELECT event_model, pgh_id FROM ({union}) keys "  # noqa: S608
                f"ORDER BY pgh_created_at DESC, pgh_id DESC, event_model DESC "
                f"{limit} OFFSET {int(start)}",
                params,
            )
            keys = cursor.fetchall()
        return _events_by_key(keys)


def _key_branch(
    event_model: type[models.Model],
    object_id: str | None,
    user: User | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> tuple[str, list] | None:
    """One event table's part of the key UNION, or None if no row of it can match."""
    table = connection.ops.quote_name(event_model._meta.db_table)
    label = event_model._meta.label
    joins, where, params = "", [], [label]
    if object_id:
        try:
            obj_field = event_model._meta.get_field("pgh_obj")
        except FieldDoesNotExist:
            return None
        try:
            # The tracked model's own key type, so the index on pgh_obj_id is used.
            value = obj_field.target_field.to_python(object_id)
        except ValidationError:
            return None  # "abc" is no id of a table keyed by integers
        where.append(f"e.{connection.ops.quote_name(obj_field.column)} = %s")
        params.append(value)
    if user is not None:
        try:
            context_field = event_model._meta.get_field("pgh_context")
        except FieldDoesNotExist:
            return None
        if not isinstance(context_field, models.ForeignKey):
            return None
        joins = f" JOIN {Context._meta.db_table} c ON c.id = e.pgh_context_id"
        where.append("c.metadata->>'user' = %s")
        params.append(str(user.pk))
    if date_from:
        where.append("e.pgh_created_at >= %s")
        params.append(_start_of(date_from))
    if date_to:
        where.append("e.pgh_created_at < %s")
        params.append(_start_of(date_to + dt.timedelta(days=1)))
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    sql = (
        f"SELECT %s::text AS event_model, e.pgh_id, e.pgh_created_at "  # noqa: S608
        f"FROM {table} e{joins}{condition}"
    )
    return sql, params


def _start_of(day: dt.date) -> dt.datetime:
    # A day of the trail is a day in the city's time zone, as `__date` filters read it.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _events_by_key(keys: list[tuple[str, int]]) -> list:
    """The events named by (event model label, pgh_id), in that order, in one query."""
    if not keys:
        return []
    ids_by_model: dict[str, list[int]] = {}
    for label, pgh_id in keys:
        ids_by_model.setdefault(label, []).append(pgh_id)
    # pghistory's query, across only the tables on the page; PostgreSQL pushes the
    # pgh_model/pgh_id condition into each table's branch, so it reads those rows only.
    condition = Q()
    for label, ids in ids_by_model.items():
        condition |= Q(pgh_model=label, pgh_id__in=ids)
    rows = MiddlewareEvents.objects.across(*ids_by_model).filter(condition)
    found = {(event.pgh_model, event.pgh_id): event for event in rows}
    return [found[key] for key in map(tuple, keys) if key in found]


def usernames_by_id(events: list) -> dict[int, str]:
    """The usernames behind a page of events, in one query."""
    ids = {event.user_id for event in events if event.user_id}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))


def _is_money(field: models.Field) -> bool:
    # Amounts are NUMERIC(14,2) (money.MoneyField); rates and quantities have more places.
    return isinstance(field, models.DecimalField) and field.decimal_places == 2


def _shown(model: type[models.Model] | None, name: str, value: object) -> object:
    """A recorded value as a person reads it: an amount as money ($80.00, not 80.0), a
    moment in local time as the event's own time is shown, a document it points at by
    its number."""
    if value is None or model is None:
        return value
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = next((f for f in model._meta.concrete_fields if f.attname == name), None)
    if (
        isinstance(field, models.ForeignKey)
        and isinstance(getattr(field.related_model, "number", None), property)
        and str(value).isdigit()
    ):
        # A document it points at by its number ("Journal entry 0001352"), not its id.
        return record_name(field.related_model, value, None)
    if field is not None and _is_money(field) and not isinstance(value, bool):
        try:
            return money(Decimal(str(value)))
        except InvalidOperation:
            return value
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        # Recorded in UTC ("2026-12-04T17:53:43.806289+00:00"); read, like the event's own
        # time beside it, in Millbrae's time zone to the second.
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(moment):
            return value
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    return value


def record_name(model: type[models.Model] | None, object_id: object, data: dict | None) -> str:
    """A record as people name it: "Citation P2000510", "Invoice INV-000012", "Customer
    C000045", "User auditor"; a record with no number of its own keeps its id ("Fiscal
    period #12")."""
    if model is None:
        return f"#{object_id}"
    name = str(model._meta.verbose_name).capitalize()
    number = None
    # A user by their username ("User auditor"), as the audit trail's "By" column names them.
    username_field = getattr(model, "USERNAME_FIELD", None)
    try:
        field = model._meta.get_field(username_field or "number")
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
