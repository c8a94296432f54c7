"""The rate screens and the bill calculator: who may do what, what they see, and bad
input answered beside its field."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.receivables.conftest import revenue_account
from tests.utility_billing.conftest import (
    SEWER_REVENUE,
    STORM_REVENUE,
    WATER_FIXED,
    WATER_REVENUE,
    WATER_TIERS,
    make_schedule,
    make_version,
)
from utility_billing.models import (
    ChargeKind,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
)

pytestmark = pytest.mark.django_db


def role_matrix_samples() -> dict:
    """The rate URLs with a pk: one schedule and a draft version, prepared by a user
    outside the matrix (so every approver role may approve it)."""
    from django.contrib.auth.models import User

    from tests.conftest import make_user

    version = RateVersion.objects.filter(schedule__code="ROLE-MATRIX").first()
    if version is None:
        preparer = User.objects.filter(username="rate_matrix_preparer").first()
        schedule = make_schedule("ROLE-MATRIX", service_class="commercial")
        version = make_version(
            schedule,
            WATER_FIXED,
            prepared_by=preparer or make_user(None, "rate_matrix_preparer"),
        )
    return {
        "utility_billing:rate_schedule_detail": {"pk": version.schedule_id},
        "utility_billing:rate_version_create": {"pk": version.schedule_id},
        **{
            f"utility_billing:rate_version_{action}": {"pk": version.pk}
            for action in ("detail", "edit", "approve", "retire")
        },
    }


@pytest.fixture
def rates(ub_users) -> dict:
    """Water, sewer and storm drain schedules for single-family homes, approved from
    1 July 2025; water has new rates from 1 March 2026."""
    tech, senior = ub_users["tech"], ub_users["senior"]
    water = make_schedule("W-SFR")
    old = make_version(
        water,
        WATER_FIXED + WATER_TIERS,
        prepared_by=tech,
        approved_by=senior,
        effective_to=datetime.date(2026, 2, 28),
    )
    new_lines = [
        {**line, "rate": str(Decimal(line["rate"]) + Decimal("0.50"))}
        for line in WATER_FIXED + WATER_TIERS
    ]
    new = make_version(
        water,
        new_lines,
        prepared_by=tech,
        approved_by=senior,
        effective_from=datetime.date(2026, 3, 1),
    )
    sewer = make_schedule("S-SFR", service_kind="sewer")
    make_version(
        sewer,
        [
            {"kind": ChargeKind.FIXED_BY_METER_SIZE, "rate": "20.00"},
            {
                "kind": ChargeKind.VOLUMETRIC_UNIFORM,
                "rate": "4.10",
                "capped_by_winter_average": True,
            },
        ],
        prepared_by=tech,
        approved_by=senior,
    )
    storm = make_schedule("SD", service_kind="storm_drain", service_class="")
    make_version(
        storm,
        [{"kind": ChargeKind.PER_PARCEL, "rate": "3.50"}],
        prepared_by=tech,
        approved_by=senior,
    )
    return {"water": water, "old": old, "new": new, "sewer": sewer, "storm": storm}


def _line_data(rows: list[dict], prefix: str = "charges") -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for name, value in row.items():
            if value is None or value is False:
                continue
            data[f"{prefix}-{index}-{name}"] = "on" if value is True else str(value)
    return data


def _version_post(rows: list[dict], **header) -> dict:
    return {
        "action": "save",
        "effective_from": "2026-07-01",
        "effective_to": "",
        "authority": "Resolution 26-12",
        "notes": "",
        **header,
        **_line_data(rows),
    }


TIER_ROWS = [
    {"kind": "fixed_by_meter_size", "meter_size": "5/8", "rate": "31.00"},
    {"kind": "volumetric_tier", "tier_from": "0", "tier_to": "6", "rate": "5.50"},
    {"kind": "volumetric_tier", "tier_from": "6", "tier_to": "20", "rate": "7.00"},
    {"kind": "volumetric_tier", "tier_from": "20", "rate": "8.75"},
]


def _rows_with_account(rows: list[dict], account: str = WATER_REVENUE) -> list[dict]:
    revenue_account(account)
    return [{**row, "revenue_account": f"{account} Water sales"} for row in rows]


def test_schedule_list_and_detail_for_every_staff_role(client_for, ub_users, rates):
    for role in ("clerk", "tech", "senior", "supervisor", "auditor", "admin"):
        client = client_for(ub_users[role])
        page = client.get(reverse("utility_billing:rate_schedule_list"))
        assert page.status_code == 200
        assert "W-SFR" in page.text and "S-SFR" in page.text
        detail = client.get(
            reverse("utility_billing:rate_schedule_detail", args=[rates["water"].pk])
        )
        assert "2025-07-01 to 2026-02-28" in detail.text
        can_prepare = role in ("tech", "senior", "supervisor")
        assert ("Prepare new rates" in detail.text) == can_prepare


def test_version_page_shows_lines_and_who(client_for, ub_users, rates):
    page = client_for(ub_users["auditor"]).get(
        reverse("utility_billing:rate_version_detail", args=[rates["old"].pk])
    )
    assert page.status_code == 200
    assert "$5.25 an HCF" in page.text
    assert "20 and over" in page.text
    assert "$30.00 a month" in page.text
    assert "Approve</button>" not in page.text and "Edit draft" not in page.text


def test_technician_prepares_a_version_and_the_lines_are_saved(client_for, ub_users, rates):
    client = client_for(ub_users["tech2"])
    url = reverse("utility_billing:rate_version_create", args=[rates["water"].pk])
    form = client.get(url)
    # The form starts from the latest approved rates.
    assert "Started from the rates 2026-03-01 to open-ended" in form.text
    response = client.post(url, _version_post(_rows_with_account(TIER_ROWS)))
    version = RateVersion.objects.get(schedule=rates["water"], status="draft")
    assert response.status_code == 302
    assert response["Location"] == reverse("utility_billing:rate_version_detail", args=[version.pk])
    assert version.prepared_by == ub_users["tech2"]
    assert version.authority == "Resolution 26-12"
    assert sorted(version.charges.values_list("rate", flat=True)) == [
        Decimal("5.50"),
        Decimal("7.00"),
        Decimal("8.75"),
        Decimal("31.00"),
    ]
    # Audited: the insert of the version is in its event table.
    assert version.events.filter(pgh_label="insert").exists()


def test_a_tier_gap_or_overlap_is_refused_beside_the_row(client_for, ub_users, rates):
    client = client_for(ub_users["tech"])
    url = reverse("utility_billing:rate_version_create", args=[rates["water"].pk])
    gap = [dict(row) for row in TIER_ROWS]
    gap[2]["tier_from"] = "7"
    response = client.post(url, _version_post(_rows_with_account(gap)))
    assert response.status_code == 200
    assert "Gap: no tier covers 6 to 7 HCF." in response.text
    overlap = [dict(row) for row in TIER_ROWS]
    overlap[3]["tier_from"] = "18"
    response = client.post(url, _version_post(_rows_with_account(overlap)))
    assert response.status_code == 200
    assert "Overlap: this tier starts at 18 HCF" in response.text
    assert not RateVersion.objects.filter(status="draft").exists()


def test_bad_version_input_gets_field_messages(client_for, ub_users, rates):
    client = client_for(ub_users["tech"])
    url = reverse("utility_billing:rate_version_create", args=[rates["water"].pk])
    rows = [
        {"kind": "volumetric_uniform", "rate": "abc", "revenue_account": WATER_REVENUE},
        {"kind": "per_parcel", "rate": "3", "revenue_account": "999-9999-9999"},
    ]
    revenue_account(WATER_REVENUE)
    response = client.post(
        url, _version_post(rows, effective_from="2026-07-01", effective_to="2026-01-01")
    )
    assert response.status_code == 200
    assert "Enter a number." in response.text
    assert "There is no account 999-9999-9999." in response.text
    assert "The rates cannot end before they start." in response.text
    empty = client.post(url, _version_post([{}]))
    assert "Enter at least one charge line." in empty.text


def test_add_and_remove_a_line_redraw_the_form_without_saving(client_for, ub_users, rates):
    client = client_for(ub_users["tech"])
    url = reverse("utility_billing:rate_version_create", args=[rates["water"].pk])
    data = _version_post(_rows_with_account(TIER_ROWS[:2]))
    data["action"] = "add"
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'name="charges-TOTAL_FORMS" value="3"' in response.text
    data["action"] = "remove-0"
    response = client.post(url, data)
    assert 'name="charges-TOTAL_FORMS" value="1"' in response.text
    assert not RateVersion.objects.filter(status="draft").exists()


def test_the_preparer_may_not_approve_and_is_told_why(client_for, ub_users, rates):
    version = make_version(
        rates["water"],
        WATER_FIXED + WATER_TIERS,
        prepared_by=ub_users["senior"],
        effective_from=datetime.date(2026, 7, 1),
    )
    client = client_for(ub_users["senior"])
    page = client.get(reverse("utility_billing:rate_version_detail", args=[version.pk]))
    assert "You prepared these rates" in page.text
    assert "Approve</button>" not in page.text
    response = client.post(
        reverse("utility_billing:rate_version_approve", args=[version.pk]), follow=True
    )
    assert "You prepared this version: another person must approve it." in response.text
    version.refresh_from_db()
    assert version.status == RateVersionStatus.DRAFT


def test_another_approver_approves_and_supersedes_the_open_version(client_for, ub_users, rates):
    version = make_version(
        rates["water"],
        WATER_FIXED + WATER_TIERS,
        prepared_by=ub_users["tech"],
        effective_from=datetime.date(2026, 7, 1),
    )
    client = client_for(ub_users["supervisor"])
    page = client.get(reverse("utility_billing:rate_version_detail", args=[version.pk]))
    assert "Approve</button>" in page.text
    response = client.post(
        reverse("utility_billing:rate_version_approve", args=[version.pk]), follow=True
    )
    assert "Rates approved: they bill from 2026-07-01 to open-ended." in response.text
    version.refresh_from_db()
    assert (version.status, version.approved_by) == ("approved", ub_users["supervisor"])
    rates["new"].refresh_from_db()
    assert rates["new"].effective_to == datetime.date(2026, 6, 30)


def test_an_approval_overlapping_a_closed_version_is_refused(client_for, ub_users, rates):
    version = make_version(
        rates["water"],
        WATER_FIXED + WATER_TIERS,
        prepared_by=ub_users["tech"],
        effective_from=datetime.date(2026, 1, 1),
        effective_to=datetime.date(2026, 1, 31),
    )
    response = client_for(ub_users["senior"]).post(
        reverse("utility_billing:rate_version_approve", args=[version.pk]), follow=True
    )
    assert "overlaps it" in response.text
    version.refresh_from_db()
    assert version.status == RateVersionStatus.DRAFT


def test_technicians_may_not_approve_or_retire(client_for, ub_users, rates):
    client = client_for(ub_users["tech2"])
    for action in ("approve", "retire"):
        url = reverse(f"utility_billing:rate_version_{action}", args=[rates["old"].pk])
        assert client.post(url).status_code == 403
    for who in ("clerk", "auditor", "admin"):
        url = reverse("utility_billing:rate_version_create", args=[rates["water"].pk])
        assert client_for(ub_users[who]).get(url).status_code == 403


def test_retire_an_approved_version(client_for, ub_users, rates):
    response = client_for(ub_users["supervisor"]).post(
        reverse("utility_billing:rate_version_retire", args=[rates["old"].pk]), follow=True
    )
    assert "Rates retired" in response.text
    rates["old"].refresh_from_db()
    assert rates["old"].status == RateVersionStatus.RETIRED
    assert rates["old"].retired_by == ub_users["supervisor"]


def test_edit_a_draft_makes_the_editor_its_preparer(client_for, ub_users, rates):
    version = make_version(
        rates["water"],
        WATER_FIXED,
        prepared_by=ub_users["tech"],
        effective_from=datetime.date(2026, 7, 1),
    )
    client = client_for(ub_users["senior"])
    url = reverse("utility_billing:rate_version_edit", args=[version.pk])
    assert 'value="30"' in client.get(url).text
    response = client.post(url, _version_post(_rows_with_account(TIER_ROWS)))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.prepared_by == ub_users["senior"]
    assert version.charges.count() == 4
    # Approved rates are not edited.
    assert (
        client.get(reverse("utility_billing:rate_version_edit", args=[rates["old"].pk])).status_code
        == 302
    )


def test_new_schedule(client_for, ub_users, rates):
    client = client_for(ub_users["tech"])
    url = reverse("utility_billing:rate_schedule_create")
    response = client.post(
        url,
        {
            "code": "w-com",
            "name": "Water, commercial",
            "service_kind": "water",
            "service_class": "commercial",
        },
    )
    schedule = RateSchedule.objects.get(code="W-COM")
    assert response["Location"] == reverse(
        "utility_billing:rate_schedule_detail", args=[schedule.pk]
    )
    again = client.post(
        url,
        {
            "code": "W-SFR2",
            "name": "Again",
            "service_kind": "water",
            "service_class": "single_family",
        },
    )
    assert "There is already an active schedule for this service and class." in again.text


def test_revenue_account_search_offers_revenue_accounts_only(client_for, ub_users, rates):
    revenue_account(WATER_REVENUE)
    client = client_for(ub_users["tech"])
    response = client.get(
        reverse("utility_billing:revenue_account_search"), {"charges-0-revenue_account": "4411"}
    )
    assert WATER_REVENUE in response.text
    assert (
        client_for(ub_users["auditor"])
        .get(reverse("utility_billing:revenue_account_search"))
        .status_code
        == 403
    )


# ---------------------------------------------------------------- the bill calculator


def _calculate(client, **values):
    data = {
        "service_class": "single_family",
        "meter_size": "5/8",
        "start": "2026-01-10",
        "end": "2026-02-09",
        "consumption": "25",
        "winter_average": "8",
        "services": ["water", "sewer", "storm_drain"],
        **values,
    }
    return client.get(reverse("utility_billing:bill_calculator"), data)


def test_calculator_shows_the_bill_and_its_arithmetic_to_every_staff_role(
    client_for, ub_users, rates
):
    for role in ("clerk", "tech", "senior", "supervisor", "auditor", "admin"):
        page = _calculate(client_for(ub_users[role]))
        assert page.status_code == 200
        # The hand-worked bill of test_rating: 30.00 + 31.50 + 94.50 + 42.50 + 20.00
        # + 32.80 + 3.50.
        assert page.context["bill"].total == Decimal("254.80")
        assert "$254.80" in page.text
        assert "14 HCF × $6.75 = $94.50" in page.text
        assert "25 HCF capped at winter average 8 HCF a month × 1 month = 8 HCF" in page.text


def test_calculator_across_the_rate_change_shows_each_side_with_its_days(
    client_for, ub_users, rates
):
    page = _calculate(
        client_for(ub_users["clerk"]),
        start="2026-02-15",
        end="2026-03-16",
        consumption="20",
        services=["water"],
    )
    bill = page.context["bill"]
    # 14 days at the old rates, 16 at the new (each rate 50 cents higher).
    assert [(side.days, side.units) for side in bill.sides] == [
        (14, Decimal("9.333")),
        (16, Decimal("10.667")),
    ]
    assert "(14 of 30 days)" in page.text and "(16 of 30 days)" in page.text
    assert "20 HCF × 14/30 days = 9.333 HCF" in page.text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"end": "2025-12-01"}, "end", "The period cannot end before it starts."),
        ({"consumption": "-3"}, "consumption", "greater than or equal to 0"),
        ({"consumption": "lots"}, "consumption", "Enter a number."),
        ({"consumption": "1e400"}, "consumption", ""),
        ({"start": "2026-13-45"}, "start", "Enter a valid date."),
        ({"start": "9999-12-01", "end": "9999-12-31"}, "start", "between 2000 and 2099"),
        ({"meter_size": "6"}, "meter_size", 'no fixed charge for a 6" meter'),
        ({"start": "2025-06-01"}, "start", "no approved rate from 06/01/2025"),
        ({"service_class": "castle"}, "service_class", "Select a valid choice"),
        ({"services": ["fire_line"]}, "services", "No active rate schedule"),
        ({"end": "2027-06-30"}, "end", "at most 400 days"),
    ],
)
def test_calculator_bad_input_gets_field_messages(
    client_for, ub_users, rates, values, field, message
):
    page = _calculate(client_for(ub_users["clerk"]), **values)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.errors.get(field), form.errors
    assert message in " ".join(form.errors[field])
    assert page.context["bill"] is None


def test_calculator_blank_form_and_anonymous(client, client_for, ub_users):
    page = client_for(ub_users["clerk"]).get(reverse("utility_billing:bill_calculator"))
    assert page.status_code == 200
    assert "How a bill is computed" in page.text
    client.logout()
    assert client.get(reverse("utility_billing:bill_calculator")).status_code == 302


def test_storm_drain_and_sewer_accounts_are_kept(rates):
    """The fixtures' revenue accounts are those each service posts to."""
    assert rates["sewer"].versions.get().charges.first().revenue_account.number == SEWER_REVENUE
    assert rates["storm"].versions.get().charges.get().revenue_account.number == STORM_REVENUE
