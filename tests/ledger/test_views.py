import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from ledger.models import FiscalPeriod
from millbrae_finance.roles import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(db):
    call_command("seed_demo", verbosity=0)


@time_machine.travel("2026-11-27 10:00 -08:00", tick=False)
def test_trial_balance_defaults_to_the_year_to_date_and_sums_to_zero(client, books):
    client.force_login(make_user(Role.AUDITOR))
    response = client.get(reverse("ledger:trial_balance"))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.first.number, report.last.number) == (1, 5)
    assert report.ending == Decimal("0.00")
    assert report.debits == report.credits > 0
    page = response.content.decode()
    assert "501-4100-4411" in page
    assert "Water Enterprise: Water sales" in page


def test_trial_balance_by_fund_and_range(client, books):
    client.force_login(make_user(Role.ACCOUNTING_TECHNICIAN))
    first = FiscalPeriod.objects.get(fiscal_year__year=2027, number=2)
    last = FiscalPeriod.objects.get(fiscal_year__year=2027, number=3)
    response = client.get(
        reverse("ledger:trial_balance"), {"first": first.pk, "last": last.pk, "fund": ""}
    )
    report = response.context["report"]
    assert report.ending == 0
    water = response.context["form"].fields["fund"].queryset.get(code="501")
    response = client.get(
        reverse("ledger:trial_balance"), {"first": first.pk, "last": last.pk, "fund": water.pk}
    )
    report = response.context["report"]
    assert {row.account.fund.code for row in report.rows} == {"501"}
    # Each fund balances on its own.
    assert report.ending == 0
    assert report.beginning == 0
    # August and September water billing, on the water sales line.
    sales = next(r for r in report.rows if r.account.number == "501-4100-4411")
    assert sales.credits == Decimal("486310.25") * 2


def test_trial_balance_refuses_a_backwards_range(client, books):
    client.force_login(make_user(Role.FINANCE_SUPERVISOR))
    first = FiscalPeriod.objects.get(fiscal_year__year=2027, number=3)
    last = FiscalPeriod.objects.get(fiscal_year__year=2027, number=2)
    response = client.get(reverse("ledger:trial_balance"), {"first": first.pk, "last": last.pk})
    assert response.status_code == 200
    assert "The last period is before the first." in response.content.decode()
    response = client.get(reverse("ledger:trial_balance"), {"first": "x", "last": "99999"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_trial_balance_pdf_and_csv(client, books):
    client.force_login(make_user(Role.AUDITOR))
    first = FiscalPeriod.objects.get(fiscal_year__year=2027, number=1)
    last = FiscalPeriod.objects.get(fiscal_year__year=2027, number=4)
    params = {"first": first.pk, "last": last.pk}
    response = client.get(reverse("ledger:trial_balance"), params | {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Trial balance" in text
    assert "501-4100-4411" in text
    response = client.get(reverse("ledger:trial_balance"), params | {"format": "csv"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "account,name,beginning,debits,credits,ending"
    assert lines[-1].startswith(",Total,")
    assert lines[-1].endswith(",0.00")
