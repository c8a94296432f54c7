"""Role changes in a browser: the admin refuses an administrator's own promotion and says
why; the supervisor reads the role-change report from the Books menu."""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from millbrae_finance.roles import Role
from tests.browser.conftest import nav_to
from tests.browser.test_foundation import log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_role(page, role: Role) -> None:
    """Move a role into "Chosen groups" in the admin's two-list widget."""
    page.select_option("#id_groups_from", label=role.value)
    page.click("#id_groups_add")


def test_administrator_cannot_promote_themselves_and_the_supervisor_sees_role_changes(
    page, live_server, screenshot
):
    admin = make_user(Role.ADMINISTRATOR)
    make_user(Role.FINANCE_SUPERVISOR)
    nora = make_user(Role.COUNTER_CLERK, "nora")
    log_in(page, live_server, "t_admin")

    page.goto(f"{live_server.url}/admin/auth/user/{admin.pk}/change/")
    choose_role(page, Role.FINANCE_SUPERVISOR)
    page.click("input[name=_save]")
    error = page.locator(".field-groups .errorlist")
    expect(error).to_contain_text("You cannot change your own roles.")
    error.scroll_into_view_if_needed()
    screenshot(page, "admin-refuses-own-role-change")
    assert set(admin.groups.values_list("name", flat=True)) == {"Administrator"}

    page.goto(f"{live_server.url}/admin/auth/user/{nora.pk}/change/")
    choose_role(page, Role.ADMINISTRATOR)
    page.click("input[name=_save]")
    expect(page.locator(".field-groups .errorlist")).to_contain_text(
        "The Administrator role cannot be combined with Counter Clerk."
    )
    screenshot(page, "admin-refuses-administrator-with-money-role")

    page.select_option("#id_groups_to", label=Role.ADMINISTRATOR.value)
    page.click("#id_groups_remove")
    choose_role(page, Role.ACCOUNTING_TECHNICIAN)
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/auth/user/")
    assert set(User.objects.get(pk=nora.pk).groups.values_list("name", flat=True)) == {
        "Counter Clerk",
        "Accounting Technician",
    }

    # Django's admin asks for /favicon.ico, which the app does not serve: a 404 of the
    # admin's, not a problem of the pages under test.
    page.problems.clear()
    page.context.clear_cookies()
    log_in(page, live_server, "t_supervisor")
    nav_to(page, "Role changes")
    page.wait_for_url("**/audit/role-changes/")
    # A text box with suggestions (not a list of every user): type the name, press Enter.
    page.fill("#id_changed_by", "t_admin")
    page.press("#id_changed_by", "Enter")
    page.wait_for_url("**/audit/role-changes/?**changed_by=**")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("nora")
    expect(rows.first).to_contain_text("Accounting Technician")
    expect(rows.first).to_contain_text("t_admin")
    assert Group.objects.get(name="Accounting Technician").user_set.filter(pk=nora.pk).exists()
    assert page.problems == []
    screenshot(page, "role-changes-report")
