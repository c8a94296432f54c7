"""The close form (count by denomination, checks, totals; errors beside the row at
fault; nothing half saved), the session page's expected against counted, and Verify for
a lead or the supervisor only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cashiering.models import SessionCount
from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
from millbrae_finance.roles import Role
from tests.conftest import make_user

D = Decimal


def _pay_by_check(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    return post_receipt(
        counter["session"],
        items=[ItemSpec("utility-account", a1.number, D("50.00"))],
        tenders=[
            TenderSpec("cash", D("20.00")),
            TenderSpec("check", D("30.00"), check_number="501"),
        ],
        idempotency_key="v-1",
        actor=counter["users"]["clerk"],
    )


def test_the_close_form_lists_the_expected_checks_and_closes_with_the_count(client, counter):
    _pay_by_check(counter)
    session = counter["session"]
    url = reverse("cashiering:session_close", args=[session.pk])
    client.force_login(counter["users"]["clerk"])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["check_number_1"].value() == "501"
    assert D(form["check_amount_1"].value()) == D("30.00")
    html = page.content.decode()
    assert "$20 bills" in html and "25¢ coins" in html

    # Float 100.00 + cash 20.00 = 120.00; counted 119.00: short 1.00.
    data = {"bill_100": "1", "bill_10": "1", "bill_5": "1", "bill_1": "4"}
    data |= {"check_number_1": "501", "check_amount_1": "30.00"}
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cashiering:session_detail", args=[session.pk])
    html = response.content.decode()
    assert "is closed, short 1.00" in html
    assert "Counted against expected" in html and "($1.00)" in html
    count = SessionCount.objects.get(session=session)
    assert (count.cash_counted, count.checks_counted, count.over_short) == (
        D("119.00"),
        D("30.00"),
        D("-1.00"),
    )
    # A double-submitted close answers with the closed session and posts nothing more.
    again = client.post(url, data)
    assert again.status_code == 302
    assert SessionCount.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bill_20": "-2"}, "bill_20"),
        ({"coin_0_25": "1.5"}, "coin_0_25"),
        ({"coin_0_05": "many"}, "coin_0_05"),
        ({"check_number_2": "", "check_amount_2": "5.00"}, "check_amount_2"),
        ({"card_total": "-3"}, "card_total"),
    ],
)
def test_a_bad_count_comes_back_beside_its_row_and_nothing_is_saved(client, counter, data, field):
    session = counter["session"]
    client.force_login(counter["users"]["clerk"])
    response = client.post(
        reverse("cashiering:session_close", args=[session.pk]), {"bill_100": "1", **data}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    session.refresh_from_db()
    assert session.status == "open"
    assert SessionCount.objects.count() == 0


@pytest.mark.parametrize("role", ["senior", "supervisor", "auditor", "tech", "admin"])
def test_only_the_sessions_clerk_opens_the_close_form(client, counter, role):
    client.force_login(counter["users"][role])
    response = client.get(reverse("cashiering:session_close", args=[counter["session"].pk]))
    assert response.status_code == 403


def test_a_colleague_clerk_cannot_close_the_session(client, counter):
    client.force_login(make_user(Role.COUNTER_CLERK, "other_clerk"))
    url = reverse("cashiering:session_close", args=[counter["session"].pk])
    assert client.post(url, {"bill_100": "1"}).status_code == 404


def test_a_lead_verifies_and_the_clerk_sees_no_verify_button(client, counter):
    users = counter["users"]
    session = counter["session"]
    client.force_login(users["clerk"])
    client.post(reverse("cashiering:session_close", args=[session.pk]), {"bill_100": "1"})
    detail = reverse("cashiering:session_detail", args=[session.pk])
    verify = reverse("cashiering:session_verify", args=[session.pk])
    assert "Verify the count" not in client.get(detail).content.decode()
    assert client.post(verify).status_code == 403
    client.force_login(users["auditor"])
    assert "Verify the count" not in client.get(detail).content.decode()
    assert client.post(verify).status_code == 403
    client.force_login(users["senior"])
    assert "Verify the count" in client.get(detail).content.decode()
    response = client.post(verify, follow=True)
    assert "is verified" in response.content.decode()
    session.refresh_from_db()
    assert (session.status, session.verified_by) == ("verified", users["senior"])
    assert "Verify the count" not in response.content.decode()


def test_verifying_an_open_session_says_why_not(client, counter):
    client.force_login(counter["users"]["supervisor"])
    url = reverse("cashiering:session_verify", args=[counter["session"].pk])
    response = client.post(url, follow=True)
    assert "Only a closed session is verified." in response.content.decode()
