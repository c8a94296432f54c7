import csv
import datetime as dt
import html
import io
import re

import pghistory
import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.utils import DatabaseError
from django.urls import reverse
from pghistory.core import event_models
from pypdf import PdfReader

from millbrae_finance.audit import audit_events, tracked_models
from millbrae_finance.models import CityClosure

pytestmark = pytest.mark.django_db

# Models that are not the project's records: Django's plumbing, and the audit's own tables.
UNTRACKED = {
    "contenttypes.ContentType",
    "sessions.Session",
    "admin.LogEntry",
    "auth.Permission",
    "auth.Group_permissions",
    "auth.User_user_permissions",
    "pghistory.Context",
    # The ledger is its own append-only record: the database refuses any change to an
    # entry or line, and each entry names its preparer, approver and posting time.
    # Balances are derived from the lines in the same transaction.
    "ledger.JournalEntry",
    "ledger.JournalLine",
    "ledger.AccountBalance",
    # Written only by the database, append-only: the log of period closes and reopens.
    "ledger.PeriodStatusChange",
    # The background job queue (django-tasks-db) and the job rows: plumbing and progress
    # counters. A job row names who started it and when; the work it does writes its own
    # audited records (a penalty batch, its charges, its journal entry).
    "django_tasks_database.DBTaskResult",
    "millbrae_finance.Job",
    "millbrae_finance.JobFile",
    # A bill run's output, written once in bulk (a hundred thousand bills a run): the
    # database refuses any change to a bill or a line, and deletes them only with a run
    # discarded before approval. The run itself and its exception rows are audited.
    "utility_billing.Bill",
    "utility_billing.BillLine",
    # The utility AR subledger is its own record, as the ledger's lines are: append-only
    # (the database refuses any change or delete), each movement naming who wrote it,
    # when, its cause and its journal entry.
    "utility_billing.UtilityTransaction",
    # A posted run's print file, its chunks and parts: a job's output, as JobFile is, laid
    # out again from the audited bills whenever asked; the job row names who started it.
    "utility_billing.BillPrintFile",
    "utility_billing.BillPrintChunk",
    "utility_billing.BillPrintPart",
    # A confidential value (bank account number, tax ID), insert-only and unreadable by
    # the app's role: the audit trail would copy it in clear. The vendor's bank change
    # that points at it is audited, with who prepared and who approved it.
    "payables.SealedValue",
    # A scanned invoice's bytes (up to 10 MB), written once with its invoice and never
    # changed: the trail would copy each scan whole. The invoice itself is audited.
    "payables.InvoiceAttachment",
}


def test_every_project_model_is_tracked_by_the_audit_trail():
    tracked = {item.label for item in tracked_models()}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if (
            label in UNTRACKED
            or model._meta.app_label in {"pghistory", "pgtrigger"}
            or issubclass(model, pghistory.models.Event)
            or not model._meta.managed
        ):
            continue
        assert label in tracked, f"{label} is not tracked: decorate it with @pghistory.track()"


def test_every_tracked_table_has_its_triggers_installed():
    expected = set()
    for event_model in event_models():
        tracked = event_model._meta.get_field("pgh_obj").related_model
        expected.add(tracked._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers"
            " WHERE trigger_name LIKE 'pgtrigger_%%'"
        )
        installed = {row[0] for row in cursor.fetchall()}
    assert expected <= installed


def test_every_event_table_has_the_indexes_the_trail_reads_through():
    # A model tracked with pghistory.track instead of audit_tracking.track would have the
    # audit trail read its whole event table for each page.
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        indexes = cursor.fetchall()
    for event_model in event_models():
        table = event_model._meta.db_table
        for columns in ("(pgh_created_at, pgh_id)", "(pgh_obj_id, pgh_id)"):
            assert any(
                name == table and indexdef.endswith(columns) for name, indexdef in indexes
            ), f"{table} has no {columns} index: track it with audit_tracking.track"


def test_changes_through_a_request_record_the_user_and_url(client, administrator):
    client.force_login(administrator)
    clerk = User.objects.create_user("newclerk", password="a-long-password-9")
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    data = {
        "username": "newclerk",
        "first_name": "Nora",
        "last_name": "Quinn",
        "email": "",
        "is_active": "on",
        "groups": [Group.objects.get(name="Counter Clerk").pk],
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]

    events = list(audit_events(model=User, object_id=str(clerk.pk)))
    labels = [event.pgh_label for event in events]
    assert labels == ["update", "insert"]
    update = events[0]
    assert update.user_id == administrator.pk
    assert update.url == url
    assert update.pgh_diff["first_name"] == ["", "Nora"]
    assert "password" not in update.pgh_data
    membership = audit_events(model=User.groups.through).first()
    assert membership.pgh_label == "insert"
    assert membership.user_id == administrator.pk


def test_deletes_are_recorded_and_the_trail_refuses_edits():
    closure = CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    pk = closure.pk
    closure.delete()
    labels = [e.pgh_label for e in audit_events(model=CityClosure, object_id=str(pk))]
    assert labels == ["delete", "insert"]
    with (
        # The app's role may not delete audit rows at all (the owner meets pghistory's
        # append-only trigger instead).
        pytest.raises(DatabaseError, match="permission denied"),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM millbrae_finance_cityclosureevent")


def test_audit_log_lists_and_filters_events(client, auditor):
    CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    client.force_login(auditor)
    response = client.get(reverse("audit_log"), {"model": "millbrae_finance.CityClosure"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Christmas Eve" in page
    assert "1 event" in page
    # An HTMX request gets the results, with the fields' error slots out of band.
    response = client.get(
        reverse("audit_log"),
        {"model": "millbrae_finance.CityClosure"},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    assert 'id="id_date_to_error" role="alert" hx-swap-oob="true"' in fragment
    assert "<html" not in fragment


def test_audit_log_shows_errors_next_to_bad_filters(client, auditor):
    client.force_login(auditor)
    response = client.get(
        reverse("audit_log"), {"date_from": "2026-12-01", "date_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    response = client.get(reverse("audit_log"), {"object_id": "5"})
    assert "Choose a record type" in response.content.decode()
    response = client.get(reverse("audit_log"), {"date_from": "not a date", "page": "x"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_audit_log_exports_csv(client, auditor):
    CityClosure.objects.create(date="2026-12-24", name="=HYPERLINK(evil)")
    client.force_login(auditor)
    response = client.get(
        reverse("audit_log"), {"model": "millbrae_finance.CityClosure", "format": "csv"}
    )
    assert response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0] == "when,event,record type,record id,record,user,url,changes"
    assert len(lines) == 2
    assert "millbrae_finance.CityClosure" in lines[1]


def test_audit_csv_names_each_record_as_the_page_does(client, auditor):
    user = User.objects.create_user("csvreview", password="x")
    client.force_login(auditor)
    response = client.get(reverse("audit_log"), {"model": "auth.User", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    mine = [row for row in rows if row["record id"] == str(user.pk)]
    assert mine and all(row["record"] == "User csvreview" for row in mine)


def test_audit_history_page_and_pdf(client, auditor):
    closure = CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    closure.name = "Christmas Eve closure"
    closure.save()
    client.force_login(auditor)
    url = reverse("audit_history", args=["millbrae_finance.CityClosure", closure.pk])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Christmas Eve closure" in page
    assert page.index(">insert<") < page.index(">update<")

    response = client.get(url, {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "History of City closure" in text
    assert "Christmas Eve closure" in text
    assert "Page 1 of 1" in text


def test_audit_history_404_for_unknown_type_or_record(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("audit_history", args=["auth.Permission", 1])).status_code == 404
    assert client.get(reverse("audit_history", args=["nope.Nope", 1])).status_code == 404
    url = reverse("audit_history", args=["millbrae_finance.CityClosure", 999999])
    assert client.get(url).status_code == 404


def test_audit_log_pages_link_to_the_older_and_newer_events(client, auditor):
    # Pages follow each other by position (the last event shown), not by page number.
    CityClosure.objects.bulk_create(
        CityClosure(date=dt.date(2030, 1, 1) + dt.timedelta(days=i), name=f"Closed {i}")
        for i in range(55)
    )
    client.force_login(auditor)
    first = client.get(reverse("audit_log"), {"model": "millbrae_finance.CityClosure"})
    page = first.content.decode()
    assert "55 events" in page
    older = re.search(r'<a href="([^"]+)" rel="next">Older</a>', page).group(1)
    assert older.startswith("?model=millbrae_finance.CityClosure&amp;before=")
    assert 'rel="prev"' not in page

    second = client.get(reverse("audit_log") + html.unescape(older))
    assert len(second.context["page"].object_list) == 5
    seen = {e.pgh_id for e in first.context["page"]} | {e.pgh_id for e in second.context["page"]}
    assert len(seen) == 55
    page = second.content.decode()
    assert 'rel="next"' not in page
    newer = re.search(r'<a href="([^"]+)" rel="prev">Newer</a>', page).group(1)
    back = client.get(reverse("audit_log") + html.unescape(newer))
    assert [e.pgh_id for e in back.context["page"]] == [e.pgh_id for e in first.context["page"]]
    # A mangled position is the first page, not an error.
    mangled = client.get(reverse("audit_log"), {"before": "12.x.y", "after": "-"})
    assert mangled.status_code == 200
    assert len(mangled.context["page"].object_list) == 50


def test_audit_trail_names_a_user_by_username_not_database_id(client, auditor):
    user = User.objects.create_user("rreview", password="x")
    user.first_name = "Rae"
    user.save()
    client.force_login(auditor)
    page = client.get(reverse("audit_log"), {"model": "auth.User"}).content.decode()
    assert "User rreview" in page
    assert f"User #{user.pk}<" not in page
    history = client.get(reverse("audit_history", args=["auth.User", user.pk])).content.decode()
    assert "User rreview: history" in history


def test_audit_trail_shows_a_recorded_moment_in_local_time_like_the_event(client, auditor):
    user = User.objects.create_user("tzreview", password="x")
    user.last_login = dt.datetime(2026, 12, 4, 17, 53, 43, 806289, tzinfo=dt.UTC)
    user.save()
    client.force_login(auditor)
    history = client.get(reverse("audit_history", args=["auth.User", user.pk])).content.decode()
    # 17:53:43 UTC is 09:53:43 in Millbrae (Pacific standard time).
    assert "2026-12-04 09:53:43" in history
    assert "2026-12-04T17:53:43" not in history


def test_changed_by_is_a_text_box_with_bounded_suggestions(
    client, auditor, administrator, clerk, django_assert_max_num_queries
):
    User.objects.bulk_create(
        User(username=f"staff{n:03d}", first_name="Sam", last_name=f"Staff {n}") for n in range(60)
    )
    with pghistory.context(user=administrator.pk):
        CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    client.force_login(auditor)
    page = client.get(reverse("audit_log")).content.decode()
    # No list of every user on the page: a box, fed by the suggestions URL.
    filters = page.split('<div id="results">')[0]
    assert "staff0" not in filters and 'select name="user"' not in filters
    box = re.search(r'<input[^>]*id="id_user"[^>]*>', page).group(0)
    assert 'list="user-options"' in box and reverse("audit_changed_by") in box
    assert '<datalist id="user-options"></datalist>' in page
    with django_assert_max_num_queries(7):  # the session, roles, and one for the users
        options = client.get(reverse("audit_changed_by"), {"user": "staff"}).content.decode()
    assert options.count("<option") == 20
    assert 'value="staff000"' in options and "staff020" not in options
    by_first_name = client.get(reverse("audit_changed_by"), {"q": "sam"}).content.decode()
    assert by_first_name.count("<option") == 20
    assert client.get(reverse("audit_changed_by"), {"q": ""}).content.decode().strip() == ""
    # Filtered by the name typed; an unknown name says so next to the box.
    named = client.get(reverse("audit_log"), {"user": administrator.username}).content.decode()
    assert "Christmas Eve" in named
    assert "Christmas Eve" not in client.get(reverse("audit_log"), {"user": "staff001"}).text
    unknown = client.get(reverse("audit_log"), {"user": "nobody-here"})
    assert unknown.status_code == 200 and "No user named nobody-here." in unknown.text
    huge = client.get(reverse("audit_log"), {"user": "x" * 500})
    assert huge.status_code == 200
    nul = client.get(reverse("audit_changed_by"), {"q": "st\x00"})
    assert nul.status_code == 200 and "<option" not in nul.text
    assert "Null characters" in client.get(reverse("audit_log"), {"user": "st\x00"}).text
    client.force_login(clerk)
    assert client.get(reverse("audit_changed_by"), {"q": "staff"}).status_code == 403


def test_the_role_change_report_takes_user_names_too(client, auditor, administrator):
    client.force_login(auditor)
    page = client.get(reverse("role_change_list")).content.decode()
    for name in ("user", "changed_by"):
        box = re.search(rf'<input[^>]*id="id_{name}"[^>]*>', page).group(0)
        assert 'list="user-options"' in box
    answer = client.get(reverse("role_change_list"), {"changed_by": administrator.username})
    assert answer.status_code == 200 and "No user named" not in answer.text
    refused = client.get(reverse("role_change_list"), {"user": "nobody-here"})
    assert "No user named nobody-here." in refused.text
