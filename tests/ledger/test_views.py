import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from ledger.models import FiscalPeriod, Fund
from millbrae_finance.roles import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def period(number: int) -> FiscalPeriod:
    return FiscalPeriod.objects.get(fiscal_year__year=2027, number=number)


@time_machine.travel("2026-11-27 10:00 -08:00", tick=False)
def test_trial_balance_defaults_to_the_year_to_date_and_sums_to_zero(client, activity):
    client.force_login(make_user(Role.AUDITOR))
    response = client.get(reverse("ledger:trial_balance"))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.first.number, report.last.number) == (1, 5)
    assert report.ending == Decimal("0.00")
    assert report.debits == report.credits == Decimal("395.25")
    page = response.content.decode()
    assert "501-1100-4411" in page
    assert "Water Fund: Water sales" in page


def test_trial_balance_by_fund_and_range(client, activity, technician):
    client.force_login(technician)
    water = Fund.objects.get(code="501")
    params = {"first": period(2).pk, "last": period(3).pk, "fund": water.pk}
    report = client.get(reverse("ledger:trial_balance"), params).context["report"]
    assert {row.account.fund.code for row in report.rows} == {"501"}
    assert report.ending == 0
    cash = next(r for r in report.rows if r.account.number == "501-0000-1010")
    assert (cash.beginning, cash.debits, cash.credits, cash.ending) == (
        Decimal("100.00"),
        Decimal("255.25"),
        Decimal("40.00"),
        Decimal("315.25"),
    )
    general = Fund.objects.get(code="101")
    params["fund"] = general.pk
    assert client.get(reverse("ledger:trial_balance"), params).context["report"].rows == []


def test_trial_balance_refuses_a_backwards_range(client, activity):
    client.force_login(make_user(Role.FINANCE_SUPERVISOR))
    response = client.get(
        reverse("ledger:trial_balance"), {"first": period(3).pk, "last": period(2).pk}
    )
    assert response.status_code == 200
    assert "The last period is before the first." in response.content.decode()
    response = client.get(reverse("ledger:trial_balance"), {"first": "x", "last": "99999"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_trial_balance_pdf_and_csv(client, activity):
    client.force_login(make_user(Role.AUDITOR))
    params = {"first": period(1).pk, "last": period(4).pk}
    response = client.get(reverse("ledger:trial_balance"), params | {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Trial balance" in text
    assert "501-1100-4411" in text
    response = client.get(reverse("ledger:trial_balance"), params | {"format": "csv"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "account,name,beginning,debits,credits,ending"
    assert lines[-1] == ",Total,0.00,395.25,395.25,0.00"


def test_trial_balance_query_count_does_not_grow_with_accounts(
    client, activity, django_assert_max_num_queries
):
    client.force_login(make_user(Role.AUDITOR))
    params = {"first": period(1).pk, "last": period(4).pk}
    with django_assert_max_num_queries(12):
        client.get(reverse("ledger:trial_balance"), params)
