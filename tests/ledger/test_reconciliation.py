import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import Account, Subledger
from ledger.reconciliation import (
    control_balance,
    reconciliation,
    register_subledger,
    registered_subledger,
    unregister_subledger,
)
from ledger.services import LineSpec, post_entry

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def receivable(chart, fiscal_year, technician):
    ar = Account.objects.get(number="501-0000-1010")
    ar.control_subledger = Subledger.UTILITY_AR
    ar.save()
    for key, day, amount in [
        ("a", dt.date(2026, 9, 30), "100.00"),
        ("b", dt.date(2026, 10, 10), "25.50"),
        ("c", dt.date(2026, 10, 20), "4.50"),
    ]:
        post_entry(
            entry_date=day,
            lines=[LineSpec(ar, D(amount)), LineSpec("501-1100-4411", -D(amount))],
            memo="bill",
            source_module="test",
            idempotency_key=key,
            prepared_by=technician,
        )
    # The tests register their own utility AR total; the app's comes back after.
    registered = registered_subledger(Subledger.UTILITY_AR)
    yield ar
    unregister_subledger(Subledger.UTILITY_AR)
    if registered is not None:
        register_subledger(
            registered.subledger, module=registered.module, total_at=registered.total_at
        )


def test_control_balance_at_a_date_uses_whole_periods_and_the_days_of_the_last(receivable):
    assert control_balance([receivable], dt.date(2026, 9, 30)) == D("100.00")
    assert control_balance([receivable], dt.date(2026, 10, 15)) == D("125.50")
    assert control_balance([receivable], dt.date(2026, 10, 31)) == D("130.00")
    assert control_balance([receivable], dt.date(2026, 7, 1)) == D("0.00")


def test_reconciliation_shows_the_difference_to_the_cent(receivable):
    register_subledger(Subledger.UTILITY_AR, module="test", total_at=lambda day: D("125.49"))
    rows = {row.subledger: row for row in reconciliation(dt.date(2026, 10, 15))}
    row = rows[Subledger.UTILITY_AR]
    assert (row.gl_balance, row.subledger_total, row.difference) == (
        D("125.50"),
        D("125.49"),
        D("0.01"),
    )
    assert row.reconciles is False
    assert rows[Subledger.AP].module is None
    register_subledger(Subledger.UTILITY_AR, module="test", total_at=lambda day: D("125.50"))
    assert {r.subledger: r for r in reconciliation(dt.date(2026, 10, 15))}[
        Subledger.UTILITY_AR
    ].reconciles


def test_reconciliation_page_pdf_and_csv(client, receivable, auditor):
    register_subledger(Subledger.UTILITY_AR, module="test", total_at=lambda day: D("130.00"))
    client.force_login(auditor)
    url = reverse("ledger:reconciliation")
    page = client.get(url, {"as_of": "2026-10-31"}).content.decode()
    assert "Reconciles" in page
    assert "No subledger module yet" in page
    rows = b"".join(
        client.get(url, {"as_of": "2026-10-31", "format": "csv"}).streaming_content
    ).decode()
    assert "Utility accounts receivable,501-0000-1010,130.00,130.00,0.00" in rows
    pdf = client.get(url, {"as_of": "2026-10-31", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    response = client.get(url, {"as_of": "31/10/2026"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
