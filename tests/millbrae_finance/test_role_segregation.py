"""Segregation of duties for the Administrator: nobody changes their own roles, the
Administrator role is never combined with a role that handles or audits money (the admin
says why; the database refuses it from any path), and every role change is on a report
the finance supervisor and the auditor read."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from millbrae_finance.roles import (
    MONEY_ROLES,
    NOT_WITH_ADMINISTRATOR,
    Role,
    has_role,
    role_combination_error,
    user_roles,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SELF_CHANGE = "You cannot change your own roles"
NOT_WITH_SUPERVISOR = "The Administrator role cannot be combined with Finance Supervisor"


def group(role: Role) -> Group:
    return Group.objects.get(name=role.value)


def change_form(user: User, *roles: Role, **extra) -> dict:
    """What the admin's user change form posts."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [group(role).pk for role in roles],
        **extra,
    }


def role_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_admin_refuses_an_administrator_adding_themselves_to_finance_supervisor(
    client, administrator
):
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[administrator.pk])
    data = change_form(administrator, Role.ADMINISTRATOR, Role.FINANCE_SUPERVISOR)

    response = client.post(url, data)

    assert response.status_code == 200
    assert SELF_CHANGE in response.text
    assert "Another administrator must make the change" in response.text
    assert role_names(administrator) == {"Administrator"}


def test_admin_refuses_an_administrator_removing_their_own_role(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[administrator.pk])

    response = client.post(url, change_form(administrator, Role.AUDITOR))

    assert response.status_code == 200
    assert SELF_CHANGE in response.text
    assert role_names(administrator) == {"Administrator"}


def test_admin_saves_an_administrators_own_name_when_roles_stay(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[administrator.pk])
    data = change_form(administrator, Role.ADMINISTRATOR) | {"first_name": "Samantha"}

    response = client.post(url, data)

    assert response.status_code == 302
    administrator.refresh_from_db()
    assert administrator.first_name == "Samantha"


def test_admin_refuses_administrator_with_finance_supervisor_for_another_user(
    client, administrator
):
    other = make_user(Role.COUNTER_CLERK, "other_user")
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[other.pk])

    response = client.post(url, change_form(other, Role.ADMINISTRATOR, Role.FINANCE_SUPERVISOR))

    assert response.status_code == 200
    assert NOT_WITH_SUPERVISOR in response.text
    assert "segregation of duties" in response.text
    assert role_names(other) == {"Counter Clerk"}


@pytest.mark.parametrize("role", sorted(NOT_WITH_ADMINISTRATOR))
def test_admin_refuses_administrator_with_each_money_or_audit_role(client, administrator, role):
    other = make_user(None, "other_user")
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[other.pk])

    response = client.post(url, change_form(other, Role.ADMINISTRATOR, role))

    assert response.status_code == 200
    assert f"The Administrator role cannot be combined with {role.label}" in response.text
    assert role_names(other) == set()


def test_admin_gives_another_user_a_second_administrator_role(client, administrator):
    other = make_user(None, "new_admin")
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[other.pk])

    response = client.post(url, change_form(other, Role.ADMINISTRATOR))

    assert response.status_code == 302
    assert role_names(other) == {"Administrator"}


def test_admin_does_not_let_an_administrator_make_anyone_superuser_or_grant_permissions(
    client, administrator
):
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="change_user")
    other = make_user(Role.COUNTER_CLERK, "other_user")
    client.force_login(administrator)
    for user in (administrator, other):
        roles = [Role(name) for name in role_names(user)]
        data = change_form(
            user,
            *roles,
            is_superuser="on",
            is_staff="on",
            user_permissions=[permission.pk],
        )
        response = client.post(reverse("admin:auth_user_change", args=[user.pk]), data)
        assert response.status_code == 302, user.username
        user.refresh_from_db()
        assert not user.is_superuser
        assert not user.is_staff
        assert not user.user_permissions.exists()


def test_admin_does_not_let_an_administrator_deactivate_or_delete_themselves(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[administrator.pk])
    data = change_form(administrator, Role.ADMINISTRATOR)
    del data["is_active"]

    assert client.post(url, data).status_code == 302
    administrator.refresh_from_db()
    assert administrator.is_active
    delete_url = reverse("admin:auth_user_delete", args=[administrator.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=administrator.pk).exists()


def test_admin_shows_role_groups_but_does_not_rename_or_delete_them(client, administrator):
    supervisors = group(Role.FINANCE_SUPERVISOR)
    make_user(Role.FINANCE_SUPERVISOR)
    client.force_login(administrator)
    change_url = reverse("admin:auth_group_change", args=[supervisors.pk])

    page = client.get(change_url)
    assert page.status_code == 200
    assert "t_supervisor" in page.text  # its members, read-only

    response = client.post(change_url, {"name": "Administrator helpers", "permissions": []})
    assert response.status_code == 403
    delete_url = reverse("admin:auth_group_delete", args=[supervisors.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [supervisors.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    supervisors.refresh_from_db()
    assert supervisors.name == "Finance Supervisor"


@pytest.mark.parametrize("role", sorted(NOT_WITH_ADMINISTRATOR))
def test_database_refuses_administrator_with_a_money_or_audit_role(role):
    user = make_user(Role.ADMINISTRATOR, "raw_admin")
    refused = pytest.raises(IntegrityError, match="cannot hold the Administrator role")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
            [user.pk, group(role).pk],
        )
    assert role_names(user) == {"Administrator"}


def test_database_refuses_administrator_added_to_a_money_role_holder():
    """Order does not matter: a supervisor made Administrator is refused as well, through
    the ORM (a shell, a data migration) as through raw SQL."""
    user = make_user(Role.FINANCE_SUPERVISOR, "raw_supervisor")
    with pytest.raises(IntegrityError, match="Finance Supervisor"), transaction.atomic():
        user.groups.add(group(Role.ADMINISTRATOR))
    assert role_names(user) == {"Finance Supervisor"}


def test_database_accepts_roles_that_may_be_combined():
    user = make_user(Role.COUNTER_CLERK, "two_hats")
    user.groups.add(group(Role.ACCOUNTING_TECHNICIAN))
    assert role_names(user) == {"Counter Clerk", "Accounting Technician"}


def test_database_refuses_renaming_or_deleting_a_role():
    supervisors = group(Role.FINANCE_SUPERVISOR)
    for sql in (
        "UPDATE auth_group SET name = 'Retired supervisors' WHERE id = %s",
        "DELETE FROM auth_group WHERE id = %s",
    ):
        refused = pytest.raises(IntegrityError, match="cannot be renamed or deleted")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [supervisors.pk])
    assert Group.objects.filter(name="Finance Supervisor").exists()
    # A group that is not a role is the Administrator's to rename.
    other = Group.objects.create(name="Newsletter")
    other.name = "Bulletin"
    other.save()


def test_the_python_rule_names_every_money_role_and_the_auditor():
    money = {
        Role.COUNTER_CLERK,
        Role.ACCOUNTING_TECHNICIAN,
        Role.SENIOR_ACCOUNTING_TECHNICIAN,
        Role.FINANCE_SUPERVISOR,
    }
    assert money == MONEY_ROLES
    assert money | {Role.AUDITOR} == NOT_WITH_ADMINISTRATOR
    assert role_combination_error({Role.ADMINISTRATOR}) is None
    assert role_combination_error({Role.FINANCE_SUPERVISOR, Role.AUDITOR}) is None
    message = role_combination_error(
        {Role.ADMINISTRATOR, Role.COUNTER_CLERK, Role.FINANCE_SUPERVISOR}
    )
    assert message.startswith(
        "The Administrator role cannot be combined with Counter Clerk or Finance Supervisor."
    )


def test_an_administrator_is_never_treated_as_holding_a_money_role():
    """Defence in depth behind the database: if an Administrator ever held a money role,
    every role check would still see only the Administrator. (The database refuses such
    a row, so a stand-in user reads the group names.)"""

    class Names:
        def values_list(self, *args, **kwargs):
            return ["Administrator", "Finance Supervisor", "Auditor"]

    class Stub:
        is_authenticated = True
        groups = Names()

    stub = Stub()
    assert user_roles(stub) == {Role.ADMINISTRATOR}
    assert not has_role(stub, Role.FINANCE_SUPERVISOR)


# ------------------------------------------------------------------ the report


@pytest.fixture
def staff(db) -> dict:
    return {
        "admin": make_user(Role.ADMINISTRATOR),
        "supervisor": make_user(Role.FINANCE_SUPERVISOR),
        "auditor": make_user(Role.AUDITOR),
        "clerk": make_user(Role.COUNTER_CLERK),
        "nora": make_user(Role.COUNTER_CLERK, "nora"),
    }


def promote_nora(client, staff) -> None:
    """The Administrator moves Nora from the counter to accounting, in the admin."""
    nora = staff["nora"]
    client.force_login(staff["admin"])
    url = reverse("admin:auth_user_change", args=[nora.pk])
    response = client.post(url, change_form(nora, Role.ACCOUNTING_TECHNICIAN))
    assert response.status_code == 302
    assert role_names(nora) == {"Accounting Technician"}


def report_rows(response) -> list[list[str]]:
    body = response.text.split('<div id="results">', 1)[1]
    rows = re.findall(r"<tr>\s*(.*?)</tr>", body, flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells if row]


def test_role_change_appears_on_the_report_for_the_supervisor(client, staff):
    promote_nora(client, staff)
    client.force_login(staff["supervisor"])

    response = client.get(reverse("role_change_list"), {"user": staff["nora"].pk})

    assert response.status_code == 200
    rows = [row[1:] for row in report_rows(response)]
    url = reverse("admin:auth_user_change", args=[staff["nora"].pk])
    assert ["nora", "Added", "Accounting Technician", "t_admin", url] in rows
    assert ["nora", "Removed", "Counter Clerk", "t_admin", url] in rows
    # Nora's first role was given outside any request (the test's set-up): it shows so.
    assert ["nora", "Added", "Counter Clerk", "(no one signed in)", ""] in rows
    assert len(rows) == 3


def test_role_change_report_filters_by_who_changed_and_by_role(client, staff):
    promote_nora(client, staff)
    client.force_login(staff["auditor"])
    report = reverse("role_change_list")
    admin = staff["admin"].pk

    by_admin = report_rows(client.get(report, {"changed_by": admin}))
    assert {(row[1], row[2], row[3]) for row in by_admin} == {
        ("nora", "Added", "Accounting Technician"),
        ("nora", "Removed", "Counter Clerk"),
    }
    removed = report_rows(client.get(report, {"changed_by": admin, "change": "delete"}))
    assert [(row[1], row[3]) for row in removed] == [("nora", "Counter Clerk")]
    technicians = report_rows(client.get(report, {"role": group(Role.ACCOUNTING_TECHNICIAN).pk}))
    assert [(row[1], row[2]) for row in technicians] == [("nora", "Added")]
    refused = client.get(report, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The end date is before the start date." in refused.text
    assert report_rows(refused) == [["No role changes match."]]


def test_role_change_report_exports_csv(client, staff):
    promote_nora(client, staff)
    client.force_login(staff["supervisor"])

    response = client.get(
        reverse("role_change_list"), {"changed_by": staff["admin"].pk, "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="role-changes.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["when", "user", "change", "role", "changed by", "page"]
    assert sorted(row[1:5] for row in rows[1:]) == [
        ["nora", "Added", "Accounting Technician", "t_admin"],
        ["nora", "Removed", "Counter Clerk", "t_admin"],
    ]


def test_role_change_report_reads_a_page_in_a_fixed_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    for index in range(12):
        make_user(Role.COUNTER_CLERK, f"clerk_{index}")
    client.force_login(staff["supervisor"])
    # Session, user, roles; count and page; names; the two user lists and the roles
    # list of the filters; the session saved.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("role_change_list"))
    assert response.status_code == 200
    assert "17 changes" in response.text


def test_role_change_report_is_refused_to_a_counter_clerk(client, staff):
    client.force_login(staff["clerk"])
    assert client.get(reverse("role_change_list")).status_code == 403
    assert client.get(reverse("role_change_list"), {"format": "csv"}).status_code == 403


def test_role_change_report_is_in_the_navigation_of_its_readers_only(client, staff):
    link = f'href="{reverse("role_change_list")}"'
    for name, sees in [("supervisor", True), ("auditor", True), ("clerk", False)]:
        client.force_login(staff[name])
        assert (link in client.get(reverse("home")).text) is sees, name
