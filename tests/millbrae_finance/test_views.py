import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from millbrae_finance.roles import Role
from millbrae_finance.work_queues import WorkQueue, _queues, register_work_queue
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_labelled_fields(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_username">' in page
    assert '<label for="id_password">' in page
    assert "/static/vendor/htmx-2.0.11.min.js" in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Vary"].count("HX-Request") == 1


def test_login_takes_a_clerk_to_the_clerks_home(client, clerk):
    response = client.post(
        reverse("login"), {"username": clerk.username, "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "Work waiting for Counter Clerk" in page
    assert "Nothing waiting" in page


def test_login_refuses_a_wrong_password_with_a_message(client, clerk):
    response = client.post(reverse("login"), {"username": clerk.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_ends_the_session(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_change_validates_and_changes(client, clerk):
    client.force_login(clerk)
    url = reverse("password_change")
    response = client.post(
        url, {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your old password was entered incorrectly" in page
    assert "The two password fields" in page
    response = client.post(
        url,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-much-better-passphrase-7",
            "new_password2": "a-much-better-passphrase-7",
        },
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("a-much-better-passphrase-7")


def test_session_expires_after_inactivity(client, clerk, settings):
    start = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(clerk)
        assert client.get(reverse("home")).status_code == 200
        # Activity pushes the deadline back...
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get(reverse("home")).status_code == 200
        # ...and idleness past it ends the session.
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_navigation_shows_each_role_only_what_it_may_open(client, role_users):
    client.force_login(role_users[Role.COUNTER_CLERK])
    page = client.get(reverse("home")).content.decode()
    assert 'href="/audit/"' not in page
    client.force_login(role_users[Role.AUDITOR])
    page = client.get(reverse("home")).content.decode()
    assert 'href="/audit/"' in page


def test_home_lists_the_work_queues_of_the_users_role(client, role_users):
    register_work_queue(
        WorkQueue(
            key="test-approvals",
            title="Invoices to approve",
            roles=frozenset({Role.FINANCE_SUPERVISOR}),
            items=lambda user: [("Invoice 1001", "/x/1001/")],
        )
    )
    try:
        client.force_login(role_users[Role.FINANCE_SUPERVISOR])
        page = client.get(reverse("home")).content.decode()
        assert "Invoices to approve" in page
        assert "Invoice 1001" in page
        client.force_login(role_users[Role.COUNTER_CLERK])
        assert "Invoices to approve" not in client.get(reverse("home")).content.decode()
    finally:
        _queues.pop("test-approvals")


def test_roles_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {role.value for role in Role} <= names
    auditor = Group.objects.get(name=Role.AUDITOR.value)
    codenames = set(auditor.permissions.values_list("codename", flat=True))
    assert "view_user" in codenames
    assert not any(code.startswith(("add_", "change_", "delete_")) for code in codenames)
    admin = Group.objects.get(name=Role.ADMINISTRATOR.value)
    assert admin.permissions.filter(codename="change_user").exists()


def test_logout_by_get_asks_to_confirm(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("logout"))
    assert response.status_code == 200
    assert "Log out?" in response.content.decode()
    assert client.get(reverse("home")).status_code == 200


def test_admin_site_answers_403_to_other_roles_and_lists_reference_data(client, role_users):
    client.force_login(role_users[Role.COUNTER_CLERK])
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/login/").status_code == 403
    client.force_login(role_users[Role.ADMINISTRATOR])
    assert client.get("/admin/millbrae_finance/cityclosure/").status_code == 200


def test_user_changes_logins_and_password_changes_are_separate_audit_events(client, clerk):
    from millbrae_finance.audit import audit_events

    client.post(reverse("login"), {"username": clerk.username, "password": TEST_PASSWORD})
    clerk.refresh_from_db()
    clerk.set_password("another-long-passphrase-3")
    clerk.save()
    labels = [e.pgh_label for e in audit_events(model=User, object_id=str(clerk.pk))]
    assert labels.count("login") == 1
    assert labels.count("password_change") == 1
    assert "update" not in labels
    for event in audit_events(model=User, object_id=str(clerk.pk)):
        assert "password" not in event.pgh_data


def test_administration_link_shows_for_the_administrator_only(client, role_users):
    client.force_login(role_users[Role.ADMINISTRATOR])
    assert 'href="/admin/">Administration' in client.get(reverse("home")).content.decode()
    client.force_login(role_users[Role.AUDITOR])
    assert 'href="/admin/"' not in client.get(reverse("home")).content.decode()


def test_a_page_without_a_link_of_its_own_shows_its_section(client, role_users):
    client.force_login(role_users[Role.FINANCE_SUPERVISOR])
    page = client.get(reverse("receivables:write_off_list")).content.decode()
    assert 'class="subnav"' in page
    assert 'class="section-link current"' in page
    assert "Receivables" in page.split('class="section-link current"')[1][:40]


def test_admin_events_list_with_facets_answers(client, role_users):
    """pghistory's events admin under Django's facets (?_facets=True) answered 500."""
    from millbrae_finance.models import CityClosure
    from millbrae_finance.roles import Role

    CityClosure.objects.create(date="2026-12-24", name="Christmas Eve")
    client.force_login(role_users[Role.ADMINISTRATOR])
    response = client.get(
        "/admin/pghistory/events/", {"_facets": "True", "model": "millbrae_finance.cityclosure"}
    )
    assert response.status_code == 200
    assert "Christmas Eve" in response.content.decode() or "insert" in response.content.decode()


def test_admin_events_list_reads_no_events_until_a_filter_narrows_them(client, role_users):
    """Unfiltered, pghistory's aggregate query renders and sorts every event of every
    table (minutes on the utility demo): the list waits for a filter (/audit/ pages
    through everything)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from millbrae_finance.roles import Role

    client.force_login(role_users[Role.ADMINISTRATOR])
    for params in ({}, {"_facets": "True"}):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/pghistory/events/", params)
        assert response.status_code == 200
        assert not [q for q in queries if "pghistory_events" in q["sql"]]
