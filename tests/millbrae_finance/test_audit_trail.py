"""The audit trail's list on data shaped like the demo's: a record with a field named
`items`, events in many tables, filters read inside each table, a page of constant cost."""

import datetime as dt
import itertools
import json
from decimal import Decimal

import pghistory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from millbrae_finance.audit import COUNT_LIMIT, AuditTrail, audit_events
from millbrae_finance.models import CityClosure
from receivables.models import DunningNotice
from tests.receivables.conftest import make_customer

pytestmark = pytest.mark.django_db

NOTICE_ITEMS = [
    {
        "due": "2026-03-06",
        "days": 259,
        "kind": "citation",
        "balance": "82.50",
        "reference": "P2600161",
    }
]


def make_notice(customer, sent_by, *, day=dt.date(2026, 11, 20)) -> DunningNotice:
    return DunningNotice.objects.create(
        customer=customer,
        notice_date=day,
        level=3,
        amount_past_due=Decimal("82.50"),
        items=NOTICE_ITEMS,
        sent_by=sent_by,
    )


def test_audit_trail_lists_a_record_with_a_field_named_items(client, auditor):
    # A dunning notice keeps the items it named in a JSON field called `items`: the
    # template once read `.items` on the event's data and got that list (a 500, "Need 2
    # values to unpack in for loop; got 5", on a fresh demo database).
    notice = make_notice(make_customer(), auditor)
    notice.level = 2
    notice.save()
    client.force_login(auditor)

    response = client.get(reverse("audit_log"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Dunning notice #{notice.pk}" in html
    assert "<dt>items</dt>" in html
    assert "P2600161" in html
    assert "<dt>level</dt><dd><del>3</del> → <ins>2</ins></dd>" in html

    history = client.get(reverse("audit_history", args=["receivables.DunningNotice", notice.pk]))
    assert history.status_code == 200
    assert "P2600161" in history.content.decode()


def test_audit_trail_page_costs_the_same_queries_for_any_number_of_events(client, auditor):
    with pghistory.context(user=auditor.pk):
        make_notice(make_customer(), auditor)
        CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    client.force_login(auditor)
    client.get(reverse("audit_log"))  # the session and caches settle
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("audit_log")).status_code == 200

    for day in range(1, 29):
        make_notice(make_customer(f"Customer {day}"), auditor, day=dt.date(2026, 10, day))
        CityClosure.objects.create(date=dt.date(2031, 1, day), name=f"Closed {day}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("audit_log"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50

    # Session, user, roles; the count; the page's keys; the page's events; their users;
    # the session saved (in a savepoint, under a test). "Changed by" is a text box with
    # suggestions fetched as typed: no list of every user.
    assert len(many.captured_queries) == len(few.captured_queries) == 10


def test_audit_trail_filters_match_the_events_they_name(auditor, administrator):
    customer = make_customer()
    with pghistory.context(user=administrator.pk, url="/admin/"):
        closure = CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    notice = make_notice(customer, auditor)
    closure.name = "Christmas Eve closure"
    closure.save()
    # The database stamps events with its own clock; a day of the trail is the city's.
    today = timezone.localdate(audit_events(model=CityClosure).first().pgh_created_at)
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)

    cases = [
        {},
        {"model": CityClosure},
        {"model": CityClosure, "object_id": str(closure.pk)},
        {"model": DunningNotice, "object_id": str(notice.pk)},
        {"model": DunningNotice, "object_id": "not-a-number"},
        {"user": administrator},
        {"user": auditor},
        {"model": CityClosure, "user": administrator},
        {"date_from": today, "date_to": today},
        {"date_from": tomorrow},
        {"date_to": yesterday},
        {"model": CityClosure, "date_from": yesterday, "date_to": today},
    ]
    for filters in cases:
        trail = AuditTrail(**filters)
        # pghistory's own query, in the trail's order (its ties are unordered).
        old = sorted(
            audit_events(**filters),
            key=lambda e: (e.pgh_created_at, e.pgh_id, e.pgh_model),
            reverse=True,
        )
        expected = [(e.pgh_model, e.pgh_id) for e in old]
        got = [(e.pgh_model, e.pgh_id) for e in trail[0:100]]
        assert got == expected, filters
        assert trail.count() == len(expected), filters
        paged, page = [], trail.page(size=2)
        while True:
            paged += [(e.pgh_model, e.pgh_id) for e in page]
            if page.older is None:
                break
            page = trail.page(before=page.older, size=2)
        assert paged == expected, filters

    assert AuditTrail(date_from=today, date_to=today).count() >= 3
    assert AuditTrail(date_to=yesterday).count() == 0
    # (pghistory's context lasts to the end of the transaction: under a test, that is the
    # whole test, so the later save is the administrator's too.)
    by_admin = AuditTrail(model=CityClosure, user=administrator)[0:10]
    assert (administrator.pk, "/admin/", "insert") in [
        (e.user_id, e.url, e.pgh_label) for e in by_admin
    ]
    update = AuditTrail(model=CityClosure)[0:1][0]
    assert update.pgh_diff == {"name": ["Christmas Eve", "Christmas Eve closure"]}


def test_audit_trail_pages_in_a_stable_order_across_tables(auditor):
    # Everything one transaction writes has the same time; pages must still not repeat
    # or skip an event.
    customer = make_customer()
    for day in range(1, 8):
        make_notice(customer, auditor, day=dt.date(2026, 10, day))
        CityClosure.objects.create(date=dt.date(2031, 1, day), name=f"Closed {day}")
    trail = AuditTrail()
    total = trail.count()
    pages = [trail[start : start + 4] for start in range(0, total, 4)]
    keys = [(e.pgh_model, e.pgh_id) for page in pages for e in page]
    assert len(keys) == len(set(keys)) == total

    # Page by page from each page's last event, as the Older links go, the same events in
    # the same order; and back by the Newer links.
    walked, page = [], trail.page(size=4)
    newest_pages = [page]
    while True:
        walked += [(e.pgh_model, e.pgh_id) for e in page]
        if page.older is None:
            break
        page = trail.page(before=page.older, size=4)
        newest_pages.append(page)
    assert walked == keys
    for newer, older in itertools.pairwise(newest_pages):
        back = trail.page(after=older.newer, size=4)
        assert [e.pgh_id for e in back] == [e.pgh_id for e in newer]


# A page reads at most a page (and one more row) from each event table, however many
# events it holds: proved on the plan PostgreSQL runs (EXPLAIN ANALYZE's row counts),
# never on timings.
MANY = 20_000
BIG_TABLE = "millbrae_finance_cityclosureevent"


def add_many_closure_events(count: int = MANY) -> None:
    # One statement, so every event has the same time, as the demo's 125,000 reads do:
    # the index must order them by id as well.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BIG_TABLE} (pgh_created_at, pgh_label, id, date, name, pgh_obj_id)"
            " SELECT now(), 'insert', 900000 + g, date '2040-01-01' + g, 'Closed ' || g,"
            " 900000 + g FROM generate_series(1, %s) g",
            [count],
        )


def plan_nodes(sql: str) -> list[dict]:
    """Every node of the plan PostgreSQL runs for `sql`, with its actual row counts."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def reads_of(sql: str, table: str) -> list[tuple[str, int]]:
    """(scan, rows it returned) of each scan of `table` in the plan of `sql`."""
    return [
        (node["Node Type"], node["Actual Rows"] * node["Actual Loops"])
        for node in plan_nodes(sql)
        if node.get("Relation Name") == table
    ]


def key_query(queries) -> str:
    return next(q["sql"] for q in queries if q["sql"].startswith("SELECT event_model, pgh_id"))


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"model": "millbrae_finance.CityClosure"},
        {"date_from": "2000-01-01", "date_to": "2099-12-31"},
    ],
)
def test_audit_trail_page_reads_a_page_from_each_table_however_many_events(
    client, auditor, filters
):
    add_many_closure_events()
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("audit_log"), filters)
    assert "More than 10,000 events" in response.content.decode()
    older = response.context["page"].older
    deep = AuditTrail().page(size=50)
    for _ in range(5):
        deep = AuditTrail().page(before=deep.older, size=50)
    with CaptureQueriesContext(connection) as later:
        client.get(reverse("audit_log"), {**filters, "before": deep.older.token})

    for queries in (first, later):
        sql = key_query(queries)
        # A LIMIT inside every table's branch of the union, before the union is sorted.
        branches = sql.split(" UNION ALL ")
        assert len(branches) >= (1 if filters.get("model") else 30)
        assert all("ORDER BY e.pgh_created_at DESC, e.pgh_id DESC LIMIT 51)" in b for b in branches)
        reads = reads_of(sql, BIG_TABLE)
        assert reads and all(scan != "Seq Scan" and rows <= 51 for scan, rows in reads), reads
    assert older is not None


def test_audit_trail_count_stops_at_its_limit(auditor):
    add_many_closure_events()
    trail = AuditTrail(model=CityClosure)
    with CaptureQueriesContext(connection) as queries:
        assert trail.count() == COUNT_LIMIT + 1
    reads = reads_of(queries[0]["sql"], BIG_TABLE)
    assert reads and all(rows <= COUNT_LIMIT + 1 for _, rows in reads), reads
    assert AuditTrail(model=CityClosure, date_to=dt.date(2000, 1, 1)).count() == 0


def test_audit_history_reads_only_the_records_events(client, auditor):
    add_many_closure_events()
    closure = CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    closure.name = "Christmas Eve closure"
    closure.save()
    client.force_login(auditor)
    url = reverse("audit_history", args=["millbrae_finance.CityClosure", closure.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert [e.pgh_label for e in response.context["events"]] == ["insert", "update"]
    reads = reads_of(key_query(queries), BIG_TABLE)
    assert reads and all(scan != "Seq Scan" and rows == 2 for scan, rows in reads), reads
