"""The manual journal form takes dates as every other form does (2000-2099), and puts
the cursor in its first field."""

import re

import pytest
from django.urls import reverse

from ledger.models import JournalDraft
from tests.ledger.test_journals import CASH, POSTAGE, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(chart, november):
    return november


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_the_manual_journal_form_refuses_a_date_outside_2000_to_2099(
    client, books, technician, day
):
    client.force_login(technician)
    data = form_data((POSTAGE, "80", "", ""), (CASH, "", "80", ""), day=day)

    response = client.post(reverse("ledger:journal_create"), data)

    assert response.status_code == 200
    assert "Enter a date between 2000 and 2099." in response.content.decode()
    assert not JournalDraft.objects.exists()


def test_the_journal_import_and_entry_filters_take_the_same_dates(client, books, technician):
    client.force_login(technician)
    response = client.get(reverse("ledger:entry_list"), {"date_from": "0001-01-01"})
    assert "Enter a date between 2000 and 2099." in response.content.decode()


def autofocused(html: str) -> set[str]:
    """The names of the fields that carry autofocus."""
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    return {
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in tags
        if re.search(r"\sautofocus\b", tag)
    }


def test_the_journal_form_puts_the_cursor_in_its_first_field(client, books, technician):
    client.force_login(technician)
    page = client.get(reverse("ledger:journal_create")).content.decode()
    assert autofocused(page) == {"entry_date"}


def test_a_refused_journal_form_puts_the_cursor_in_the_field_at_fault(client, books, technician):
    client.force_login(technician)
    data = form_data((POSTAGE, "80", "", ""), (CASH, "", "80", ""), memo="")
    page = client.post(reverse("ledger:journal_create"), data).content.decode()
    assert autofocused(page) == {"memo"}


@pytest.mark.parametrize(
    "url_name", ["ledger:fund_create", "ledger:account_create", "ledger:chart_import"]
)
def test_chart_forms_put_the_cursor_in_their_first_field(client, books, url_name):
    from millbrae_finance.roles import Role
    from tests.conftest import make_user

    client.force_login(make_user(Role.ADMINISTRATOR))
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert len(autofocused(response.content.decode())) == 1


def test_list_filters_get_no_autofocus_from_the_entry_form_base(client, books, technician):
    client.force_login(technician)
    assert autofocused(client.get(reverse("ledger:entry_list")).content.decode()) == set()
