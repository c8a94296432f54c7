"""The fee schedule screens: list with filters and CSV, detail with versions, draft
create and edit with errors by field, approval (supervisor, never the preparer), retire,
and the calculator with its steps and errors beside the field; roles enforced."""

import datetime

import pytest
from django.urls import reverse

from millbrae_finance.roles import Role
from receivables.models import Fee, FeeStatus
from tests.conftest import make_user
from tests.receivables.conftest import make_fee, revenue_account

pytestmark = pytest.mark.django_db

LIST = reverse("receivables:fee_list")
CREATE = reverse("receivables:fee_create")
CALCULATOR = reverse("receivables:fee_calculator")


@pytest.fixture
def people(db):
    return {role: make_user(role) for role in Role}


@pytest.fixture
def schedule(people):
    tech, boss = people[Role.ACCOUNTING_TECHNICIAN], people[Role.FINANCE_SUPERVISOR]
    return {
        "check": make_fee("RETURNED-CHECK", prepared_by=tech, approved_by=boss),
        "alarm": make_fee(
            "FALSE-ALARM",
            prepared_by=tech,
            approved_by=boss,
            rule="tiered",
            amount=None,
            unit_name="alarm",
            tiers=(("2", "0"), ("3", "100"), (None, "250")),
        ),
        "late": make_fee(
            "LATE-PAYMENT",
            prepared_by=tech,
            approved_by=boss,
            rule="percent",
            amount=None,
            rate="10",
            minimum="5.00",
        ),
        "rental_old": make_fee(
            "RENTAL",
            prepared_by=tech,
            approved_by=boss,
            rule="per_unit",
            amount=None,
            rate="85",
            unit_name="hour",
            effective_to=datetime.date(2027, 6, 30),
        ),
        "rental_new": make_fee(
            "RENTAL",
            prepared_by=tech,
            rule="per_unit",
            amount=None,
            rate="92",
            unit_name="hour",
            effective_from=datetime.date(2027, 7, 1),
        ),
    }


def login(client, people, role):
    client.force_login(people[role])
    return client


def test_fee_list_shows_filters_and_exports(client, people, schedule):
    response = login(client, people, Role.COUNTER_CLERK).get(LIST)
    assert response.status_code == 200
    assert b"5 fee versions" in response.content
    assert b"Fee calculator" in response.content
    assert b"New fee" not in response.content
    assert b"10% of the base, at least $5.00" in response.content
    response = client.get(LIST, {"q": "rental", "on_date": "2027-07-01"})
    assert b"0 fee versions" in response.content  # the July rate is still a draft
    response = client.get(LIST, {"q": "rental", "on_date": "2027-06-30"})
    assert b"1 fee version<" in response.content
    response = client.get(LIST, {"status": "draft"}, headers={"HX-Request": "true"})
    assert b"<html" not in response.content
    assert b"1 fee version<" in response.content
    response = client.get(LIST, {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("code,description,rule")
    assert "FALSE-ALARM" in body and "101-1100-4920" in body


def test_fee_list_bad_filters_do_not_fail(client, people, schedule):
    response = login(client, people, Role.AUDITOR).get(LIST, {"on_date": "not a day", "q": "\x00"})
    assert response.status_code == 200


def test_fee_detail_shows_versions_and_hides_approve_from_the_preparer(client, people, schedule):
    draft = schedule["rental_new"]
    url = reverse("receivables:fee_detail", args=[draft.pk])
    response = login(client, people, Role.FINANCE_SUPERVISOR).get(url)
    assert response.status_code == 200
    assert b"2026-07-01 to 2027-06-30" in response.content
    assert b"2027-07-01 to open-ended" in response.content
    assert b">Approve<" in response.content
    own = make_fee("OWN", prepared_by=people[Role.FINANCE_SUPERVISOR])
    response = client.get(reverse("receivables:fee_detail", args=[own.pk]))
    assert b">Approve<" not in response.content
    response = login(client, people, Role.ACCOUNTING_TECHNICIAN).get(url)
    assert b">Approve<" not in response.content
    assert b"Edit draft" in response.content


VALID = {
    "code": "pkg-red-zone",
    "description": "Parking: red zone",
    "rule": "flat",
    "amount": "60.00",
    "unit_name": "unit",
    "effective_from": "2026-07-01",
}


def test_fee_create_saves_a_draft(client, people):
    account = revenue_account()
    response = login(client, people, Role.ACCOUNTING_TECHNICIAN).post(
        CREATE, {**VALID, "revenue_account": account.pk}
    )
    fee = Fee.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("receivables:fee_detail", args=[fee.pk])
    assert (fee.code, fee.status, fee.prepared_by) == (
        "PKG-RED-ZONE",
        FeeStatus.DRAFT,
        people[Role.ACCOUNTING_TECHNICIAN],
    )


def test_fee_create_tiers_and_errors_beside_the_field(client, people):
    account = revenue_account()
    client = login(client, people, Role.SENIOR_ACCOUNTING_TECHNICIAN)
    response = client.post(
        CREATE,
        {
            **VALID,
            "revenue_account": account.pk,
            "rule": "tiered",
            "tier_1_up_to": "5",
            "tier_1_rate": "10",
            "tier_2_up_to": "3",
            "tier_2_rate": "20",
        },
    )
    assert response.status_code == 200
    assert "Tier 2 must end above 5 units." in response.content.decode()
    response = client.post(CREATE, {**VALID, "revenue_account": account.pk, "amount": "-1"})
    assert response.status_code == 200
    assert b"A flat fee must be more than zero." in response.content
    response = client.post(CREATE, {**VALID, "revenue_account": account.pk, "code": "bad code!"})
    assert b"capitals, digits and dashes" in response.content
    response = client.post(
        CREATE,
        {
            **VALID,
            "revenue_account": account.pk,
            "rule": "tiered",
            "tier_1_up_to": "2",
            "tier_1_rate": "0",
            "tier_2_rate": "100",
        },
    )
    assert response.status_code == 302
    fee = Fee.objects.get()
    assert [tier.up_to for tier in fee.tiers.all()] == [2, None]
    assert not Fee.objects.filter(amount__isnull=False).exists()


def test_fee_edit_shows_the_draft_and_saves(client, people, schedule):
    fee = schedule["rental_new"]
    url = reverse("receivables:fee_edit", args=[fee.pk])
    client = login(client, people, Role.ACCOUNTING_TECHNICIAN)
    response = client.get(url)
    assert response.status_code == 200
    assert b'value="92.000000"' in response.content
    response = client.post(
        url,
        {
            **VALID,
            "code": "RENTAL",
            "rule": "per_unit",
            "rate": "95",
            "unit_name": "hour",
            "effective_from": "2027-07-01",
            "revenue_account": fee.revenue_account_id,
        },
    )
    assert response.status_code == 302
    fee.refresh_from_db()
    assert fee.rate == 95


def test_fee_edit_refuses_an_approved_version(client, people, schedule):
    fee = schedule["check"]
    response = login(client, people, Role.FINANCE_SUPERVISOR).post(
        reverse("receivables:fee_edit", args=[fee.pk]),
        {**VALID, "code": "RETURNED-CHECK", "revenue_account": fee.revenue_account_id},
    )
    assert response.status_code == 200
    assert b"only a draft can be edited" in response.content


def test_fee_approve_and_retire(client, people, schedule):
    fee = schedule["rental_new"]
    client = login(client, people, Role.FINANCE_SUPERVISOR)
    response = client.post(reverse("receivables:fee_approve", args=[fee.pk]))
    assert response.status_code == 302
    fee.refresh_from_db()
    assert fee.status == FeeStatus.APPROVED
    response = client.post(reverse("receivables:fee_retire", args=[fee.pk]), follow=True)
    assert b"retired" in response.content
    fee.refresh_from_db()
    assert fee.status == FeeStatus.RETIRED


def test_fee_approve_overlap_is_refused_with_a_message(client, people, schedule):
    overlapping = make_fee(
        "RETURNED-CHECK",
        prepared_by=people[Role.ACCOUNTING_TECHNICIAN],
        effective_from=datetime.date(2027, 1, 1),
    )
    response = login(client, people, Role.FINANCE_SUPERVISOR).post(
        reverse("receivables:fee_approve", args=[overlapping.pk]), follow=True
    )
    assert b"already has an approved version for 2026-07-01 to open-ended" in response.content
    overlapping.refresh_from_db()
    assert overlapping.status == FeeStatus.DRAFT


def test_fee_roles_are_enforced(client, people, schedule):
    draft = schedule["rental_new"]
    response = login(client, people, Role.COUNTER_CLERK).get(
        reverse("receivables:fee_edit", args=[draft.pk])
    )
    assert response.status_code == 403
    assert login(client, people, Role.COUNTER_CLERK).get(CREATE).status_code == 403
    for role in (Role.ACCOUNTING_TECHNICIAN, Role.SENIOR_ACCOUNTING_TECHNICIAN):
        response = login(client, people, role).post(
            reverse("receivables:fee_approve", args=[draft.pk])
        )
        assert response.status_code == 403
    own = make_fee("OWN", prepared_by=people[Role.FINANCE_SUPERVISOR])
    response = login(client, people, Role.FINANCE_SUPERVISOR).post(
        reverse("receivables:fee_approve", args=[own.pk])
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    own.refresh_from_db()
    assert draft.status == own.status == FeeStatus.DRAFT


def test_fee_calculator_shows_amount_and_steps(client, people, schedule):
    client = login(client, people, Role.COUNTER_CLERK)
    response = client.get(CALCULATOR)
    assert response.status_code == 200
    assert b"FALSE-ALARM" in response.content
    response = client.get(
        CALCULATOR, {"code": "FALSE-ALARM", "on_date": "2026-08-01", "units": "4"}
    )
    content = response.content.decode()
    assert '<span class="amount">$350.00</span>' in content
    assert "2 to 3 alarms: 1 × $100.00 = $100.00" in content
    assert "3 to 4 alarms: 1 × $250.00 = $250.00" in content
    response = client.get(
        CALCULATOR, {"code": "LATE-PAYMENT", "on_date": "2026-08-01", "base": "20"}
    )
    assert "Raised to the minimum, $5.00" in response.content.decode()
    response = client.get(CALCULATOR, {"code": "RETURNED-CHECK"})  # today, from a fee's page
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code": "RENTAL", "on_date": "2026-08-01"}, "computed from the units; enter it"),
        ({"code": "RENTAL", "on_date": "2026-08-01", "units": "-2"}, "cannot be negative"),
        ({"code": "LATE-PAYMENT", "on_date": "2026-08-01"}, "computed from the base"),
        ({"code": "RENTAL", "on_date": "2027-08-01", "units": "2"}, "No approved version"),
        ({"code": "RENTAL", "on_date": "2020-01-01", "units": "2"}, "No approved version"),
        ({"code": "NOPE", "on_date": "2026-08-01"}, "Select a valid choice"),
        ({"code": "RENTAL", "on_date": "31/31/2026", "units": "x"}, "Enter a valid date"),
        ({"code": "RENTAL", "on_date": "2026-08-01", "units": "1e999"}, "no more than 14 digits"),
    ],
)
def test_fee_calculator_errors_beside_the_field(client, people, schedule, params, message):
    response = login(client, people, Role.AUDITOR).get(CALCULATOR, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"How it was reached" not in response.content


def test_fee_calculator_beyond_the_last_tier(client, people):
    tech, boss = people[Role.ACCOUNTING_TECHNICIAN], people[Role.FINANCE_SUPERVISOR]
    make_fee(
        "CAPPED",
        prepared_by=tech,
        approved_by=boss,
        rule="tiered",
        amount=None,
        tiers=(("10", "1"),),
    )
    response = login(client, people, Role.COUNTER_CLERK).get(
        CALCULATOR, {"code": "CAPPED", "on_date": "2026-08-01", "units": "11"}
    )
    assert "beyond the last tier" in response.content.decode()


def test_fee_list_query_count_is_pinned(client, people, schedule, django_assert_num_queries):
    client = login(client, people, Role.COUNTER_CLERK)
    # Session, user, roles, count, a page of rows, their tiers; the session's refresh
    # (savepoint, update, release). The same for 25 versions as for 5: none per row.
    with django_assert_num_queries(9):
        client.get(LIST)
    for number in range(20):
        make_fee(f"CODE-{number}", prepared_by=people[Role.ACCOUNTING_TECHNICIAN])
    with django_assert_num_queries(9):
        client.get(LIST, {"q": "code"})


def test_fee_form_saves_the_violation_kind(client, people):
    account = revenue_account()
    client = login(client, people, Role.ACCOUNTING_TECHNICIAN)
    page = client.get(CREATE).content.decode()
    assert "— not a violation —" in page
    response = client.post(
        CREATE, {**VALID, "revenue_account": account.pk, "violation_kind": "parking"}
    )
    fee = Fee.objects.get()
    assert response.status_code == 302
    assert fee.violation_kind == "parking"
    detail = client.get(reverse("receivables:fee_detail", args=[fee.pk])).content.decode()
    assert "Parking citations: the fine of this violation code" in detail
    edit = reverse("receivables:fee_edit", args=[fee.pk])
    assert client.get(edit).context["form"]["violation_kind"].value() == "parking"
    client.post(edit, {**VALID, "revenue_account": account.pk, "violation_kind": ""})
    fee.refresh_from_db()
    assert fee.violation_kind == ""


def test_fee_form_refuses_a_violation_that_is_not_flat(client, people):
    account = revenue_account()
    response = login(client, people, Role.ACCOUNTING_TECHNICIAN).post(
        CREATE,
        {
            **VALID,
            "revenue_account": account.pk,
            "rule": "per_unit",
            "amount": "",
            "rate": "10",
            "violation_kind": "administrative",
        },
    )
    assert response.status_code == 200
    assert "A violation's fine is a flat amount" in " ".join(
        response.context["form"].errors["violation_kind"]
    )
    page = response.content.decode()
    slot = page.index('id="id_violation_kind_error"')
    assert "flat amount" in page[slot : slot + 300]
    assert not Fee.objects.exists()
