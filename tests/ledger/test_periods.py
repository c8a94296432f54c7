import pytest
from django.urls import reverse

from ledger.models import FiscalYear, PeriodStatus
from millbrae_finance.audit import audit_events

pytestmark = pytest.mark.django_db


def test_supervisor_closes_and_reopens_a_period_with_a_reason(client, november, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("ledger:period_list"))
    assert response.status_code == 200
    assert "FY 2027" in response.content.decode()
    assert "Close</button>" in response.content.decode()

    response = client.post(
        reverse("ledger:period_close", args=[november.pk]),
        {"reason": "November books done"},
        follow=True,
    )
    november.refresh_from_db()
    assert november.status == PeriodStatus.CLOSED
    assert november.status_changed_by == supervisor
    assert "is closed" in response.content.decode()

    # Reopening needs a reason.
    response = client.post(
        reverse("ledger:period_reopen", args=[november.pk]), {"reason": ""}, follow=True
    )
    november.refresh_from_db()
    assert november.status == PeriodStatus.CLOSED
    assert "Say why the period is being reopened." in response.content.decode()

    client.post(reverse("ledger:period_reopen", args=[november.pk]), {"reason": "Late deposit"})
    november.refresh_from_db()
    assert november.status == PeriodStatus.OPEN
    assert november.status_reason == "Late deposit"
    events = list(audit_events(model=type(november), object_id=str(november.pk)))
    assert [e.pgh_diff.get("status") for e in events if e.pgh_label == "update"] == [
        ["closed", "open"],
        ["open", "closed"],
    ]
    assert all(e.user_id == supervisor.pk for e in events if e.pgh_label == "update")


def test_closing_needs_a_reason(client, november, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("ledger:period_close", args=[november.pk]), {"reason": " "}, follow=True
    )
    assert "Say why the period is being closed." in response.content.decode()
    november.refresh_from_db()
    assert november.status == PeriodStatus.OPEN


def test_closing_a_closed_period_says_so(client, november, supervisor):
    client.force_login(supervisor)
    url = reverse("ledger:period_close", args=[november.pk])
    client.post(url, {"reason": "done"})
    response = client.post(url, {"reason": "again"}, follow=True)
    assert "is already closed" in response.content.decode()


def test_technician_sees_periods_but_cannot_close(client, november, technician):
    client.force_login(technician)
    page = client.get(reverse("ledger:period_list")).content.decode()
    assert "Close</button>" not in page
    response = client.post(reverse("ledger:period_close", args=[november.pk]), {"reason": "x"})
    assert response.status_code == 403
    november.refresh_from_db()
    assert november.status == PeriodStatus.OPEN


def test_supervisor_adds_a_fiscal_year_and_bad_input_is_shown(client, supervisor):
    client.force_login(supervisor)
    client.post(reverse("ledger:fiscal_year_create"), {"year": "2028"})
    year = FiscalYear.objects.get(year=2028)
    assert year.periods.count() == 13
    response = client.post(reverse("ledger:fiscal_year_create"), {"year": "banana"})
    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()
