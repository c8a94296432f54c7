"""Reads of the audit trail: the events django-pghistory's triggers write for every
insert, update and delete on a tracked model, with the request's user and URL."""

import datetime as dt
import json
from collections.abc import Iterator
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


# A page tells the exact number of events it is one of up to here, and "more than" past
# it: counting further would read every event, as the rest of the page never does.
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class Position:
    """Where a page of the trail starts or ends: one event, by its time, id and table.

    The trail is in (time, id, table) order, newest first; a page is the events just
    older (or just newer) than a position, so reading it costs the same on the first page
    as on the thousandth, however many events there are."""

    created_at: dt.datetime
    pgh_id: int
    label: str  # the event model's label: ids repeat across tables

    @classmethod
    def of_key(cls, key: tuple[str, int, dt.datetime]) -> "Position":
        label, pgh_id, created_at = key
        return cls(created_at, pgh_id, label)

    @property
    def token(self) -> str:
        """The position in a URL: "<microseconds since 1970>.<id>.<label>"."""
        micros = (self.created_at - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self.pgh_id}.{self.label}"

    @classmethod
    def from_token(cls, token: str | None) -> "Position | None":
        """The position a URL names, or None for a missing or mangled one."""
        micros, _, rest = (token or "").partition(".")
        pgh_id, _, label = rest.partition(".")
        if not label or not micros.lstrip("-").isdigit() or not pgh_id.isdigit():
            return None
        try:
            created_at = _EPOCH + dt.timedelta(microseconds=int(micros))
        except OverflowError:
            return None
        return cls(created_at, int(pgh_id), label)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class AuditPage:
    """One page of the trail, newest first, and where the pages around it start."""

    object_list: list
    count: int  # of every event the filters match, up to COUNT_LIMIT + 1
    older: Position | None = None  # the page's last event, when older ones follow
    newer: Position | None = None  # the page's first event, when newer ones precede

    count_limit = COUNT_LIMIT

    @property
    def count_is_exact(self) -> bool:
        return self.count <= COUNT_LIMIT

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


@dataclass(frozen=True)
class _Branch:
    """One event table's part of the trail: its rows that pass the filters."""

    label: str  # the event model's label
    table: str
    joins: str
    where: tuple[str, ...]
    params: tuple

    def sql(
        self, *, beyond: Position | None = None, newer: bool = False, limit: int | None = None
    ) -> tuple[str, list]:
        """(event_model, pgh_id, pgh_created_at) of the table's matching rows; past `beyond`
        (older, or newer), the first `limit` of them in the trail's order."""
        where, params = list(self.where), list(self.params)
        if beyond is not None:
            # Past (time, id, label) in the trail's order; this table's label is fixed, so
            # its rows at the same (time, id) are past it only on one side of the label.
            # Python compares labels as PostgreSQL's "C" collation does.
            same_is_past = self.label > beyond.label if newer else self.label < beyond.label
            operator = (">" if newer else "<") + ("=" if same_is_past else "")
            where.append(f"(e.pgh_created_at, e.pgh_id) {operator} (%s, %s)")
            params += [beyond.created_at, beyond.pgh_id]
        # The table name is the model's, quoted; every value is a parameter.
        sql = f"SELECT %s::text AS event_model, e.pgh_id, e.pgh_created_at FROM {self.table} e"  # noqa: S608
        sql += self.joins
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        if limit is not None:
            # Through the (pgh_created_at, pgh_id) index (audit_tracking.track): at most
            # `limit` rows of this table are read, however many it holds.
            order = "ASC" if newer else "DESC"
            sql += f" ORDER BY e.pgh_created_at {order}, e.pgh_id {order} LIMIT {int(limit)}"
        return sql, [self.label, *params]


class AuditTrail:
    """Audit events newest first, narrowed like `audit_events`, read a page at a time.

    pghistory's aggregate query renders each event's JSON and diff against the event
    before it, in every event table, before it can sort and count. Here a page's keys
    come from a UNION of the event tables that reads only (table, id, time), with the
    filters and a LIMIT inside each table's branch, walking the table's
    (pgh_created_at, pgh_id) index from the page's position: a page reads at most a page
    of rows from each table. Then only that page's events are read in full. The count
    stops at COUNT_LIMIT.
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
        self._branches: list[_Branch] = []
        for event_model in sources:
            branch = _branch(event_model, object_id, user, date_from, date_to)
            if branch is not None:
                self._branches.append(branch)

    def count(self, upto: int = COUNT_LIMIT + 1) -> int:
        """How many events match, counted up to `upto` (a larger trail answers `upto`)."""
        if not self._branches:
            return 0
        parts = [branch.sql() for branch in self._branches]
        union = " UNION ALL ".join(sql for sql, _ in parts)
        with connection.cursor() as cursor:
            # The LIMIT stops the union's scans as soon as `upto` rows have come.
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM ({union}) keys LIMIT %s) counted",  # noqa: S608
                [param for _, params in parts for param in params] + [upto],
            )
            return cursor.fetchone()[0]

    def page(
        self, *, before: Position | None = None, after: Position | None = None, size: int
    ) -> AuditPage:
        """The `size` events just older than `before` (or just newer than `after`; from the
        newest when neither), newest first."""
        if after is not None:
            keys = self._keys(beyond=after, newer=True, limit=size + 1)
            if len(keys) <= size:
                # No page's worth of newer events: the newest page is that page.
                return self.page(size=size)
            keys = keys[:size][::-1]
            older, newer = True, True
        else:
            keys = self._keys(beyond=before, limit=size + 1)
            older, newer = len(keys) > size, before is not None
            keys = keys[:size]
        page = AuditPage(
            object_list=_events_by_key([(label, pgh_id) for label, pgh_id, _ in keys]),
            count=self.count(),
        )
        if keys and older:
            page.older = Position.of_key(keys[-1])
        if newer:
            # Past the oldest event (a stale link), the page is empty but leads back.
            page.newer = Position.of_key(keys[0]) if keys else before
        return page

    def chunks(self, *, limit: int, size: int = 1_000) -> Iterator[list]:
        """Up to `limit` events, newest first, in lists of `size` (an export): each list
        is a page, read from where the one before it ended."""
        position, done = None, 0
        while done < limit:
            keys = self._keys(beyond=position, limit=min(size, limit - done))
            if not keys:
                return
            yield _events_by_key([(label, pgh_id) for label, pgh_id, _ in keys])
            done += len(keys)
            position = Position.of_key(keys[-1])

    def oldest_first(self) -> list:
        """Every matching event, oldest first: one record's history."""
        keys = self._keys(newer=True, limit=None)
        return _events_by_key([(label, pgh_id) for label, pgh_id, _ in keys])

    def __getitem__(self, index: slice) -> list:
        """Events by offset: each table's branch reads the first `stop` of its rows."""
        if not isinstance(index, slice) or index.step not in (None, 1) or index.stop is None:
            raise TypeError("An audit trail is read a page (a bounded slice) at a time.")
        start = index.start or 0
        if index.stop <= start:
            return []
        keys = self._keys(limit=index.stop - start, offset=start)
        return _events_by_key([(label, pgh_id) for label, pgh_id, _ in keys])

    def _keys(
        self,
        *,
        beyond: Position | None = None,
        newer: bool = False,
        limit: int | None,
        offset: int = 0,
    ) -> list[tuple[str, int, dt.datetime]]:
        """(label, pgh_id, pgh_created_at) of the events past `beyond`, in the trail's
        order (or its reverse, newer=True)."""
        if not self._branches:
            return []
        branch_limit = None if limit is None else limit + offset
        parts = [
            branch.sql(beyond=beyond, newer=newer, limit=branch_limit) for branch in self._branches
        ]
        union = " UNION ALL ".join(f"({sql})" for sql, _ in parts)
        order = "ASC" if newer else "DESC"
        # Within one transaction every event has the same time; the id, then the table,
        # keep the order (and so the pages) stable.
        sql = (
            f"SELECT event_model, pgh_id, pgh_created_at FROM ({union}) keys "  # noqa: S608
            f'ORDER BY pgh_created_at {order}, pgh_id {order}, event_model COLLATE "C" {order}'
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [param for _, params in parts for param in params])
            return cursor.fetchall()


def record_history(model: type[models.Model], object_id: str) -> list:
    """Every event of one record, oldest first, found through the event tables' index on
    the record's id."""
    return AuditTrail(model=model, object_id=object_id).oldest_first()


def _branch(
    event_model: type[models.Model],
    object_id: str | None,
    user: User | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> _Branch | None:
    """One event table's part of the trail, or None if no row of it can match."""
    table = connection.ops.quote_name(event_model._meta.db_table)
    joins, where, params = "", [], []
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
        # Matches the expression index on the context's user (millbrae_finance 0007).
        joins = f" JOIN {Context._meta.db_table} c ON c.id = e.pgh_context_id"
        where.append("c.metadata->>'user' = %s")
        params.append(str(user.pk))
    if date_from:
        where.append("e.pgh_created_at >= %s")
        params.append(_start_of(date_from))
    if date_to:
        where.append("e.pgh_created_at < %s")
        params.append(_start_of(date_to + dt.timedelta(days=1)))
    return _Branch(event_model._meta.label, table, joins, tuple(where), tuple(params))


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


AUDIT_CSV_HEADER = ["when", "event", "record type", "record id", "record", "user", "url", "changes"]


def audit_csv_rows(trail: AuditTrail, *, limit: int) -> Iterator[list]:
    """The trail's first `limit` events as the export's rows, read a thousand at a time."""
    models_by_label: dict[str, type[models.Model] | None] = {}
    for events in trail.chunks(limit=limit):
        usernames = usernames_by_id(events)
        for event in events:
            label = event.pgh_obj_model
            if label not in models_by_label:
                models_by_label[label] = model_from_label(label)
            yield [
                timezone.localtime(event.pgh_created_at).isoformat(),
                event.pgh_label,
                label,
                event.pgh_obj_id,
                # As the page names it: "Citation P2600479", not only its database id.
                record_name(models_by_label[label], event.pgh_obj_id, event.pgh_data),
                usernames.get(event.user_id, ""),
                event.url or "",
                json.dumps(event.pgh_diff or event.pgh_data, sort_keys=True, default=str),
            ]


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
