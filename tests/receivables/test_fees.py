"""The fee schedule's services and the database's guard: drafts validated by field,
approval by a supervisor who did not prepare, no overlapping approved versions (refused
by the service and, around the ORM, by the database), the version in effect by date."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from millbrae_finance.audit import audit_events
from millbrae_finance.roles import Role
from receivables.models import Fee, FeeRule, FeeStatus
from receivables.queries.fees import Tier, calculate_fee, fee_in_effect, terms_of
from receivables.services.fees import (
    approve_fee,
    create_fee,
    retire_fee,
    update_fee,
)
from tests.conftest import make_user
from tests.receivables.conftest import make_fee, revenue_account

pytestmark = pytest.mark.django_db

JULY_2026 = datetime.date(2026, 7, 1)
JUNE_2027 = datetime.date(2027, 6, 30)
JULY_2027 = datetime.date(2027, 7, 1)


@pytest.fixture
def tech():
    return make_user(Role.ACCOUNTING_TECHNICIAN)


@pytest.fixture
def supervisor():
    return make_user(Role.FINANCE_SUPERVISOR)


def draft(actor, **values) -> Fee:
    defaults = {
        "code": "false-alarm",
        "description": "False alarm response",
        "revenue_account": revenue_account(),
        "rule": FeeRule.TIERED,
        "tiers": [Tier(Decimal("2"), Decimal("0")), Tier(None, Decimal("100"))],
        "unit_name": "alarm",
        "effective_from": JULY_2026,
    }
    return create_fee(**{**defaults, **values}, actor=actor)


def test_create_fee_makes_a_draft_with_its_tiers(tech):
    fee = draft(tech, amount=Decimal("99"))
    assert fee.code == "FALSE-ALARM"
    assert fee.status == FeeStatus.DRAFT
    assert fee.amount is None  # a tiered fee keeps no flat amount
    assert [(tier.up_to, tier.rate) for tier in fee.tiers.all()] == [
        (Decimal("2.000"), Decimal("0.000000")),
        (None, Decimal("100.000000")),
    ]
    assert audit_events(model=Fee, object_id=str(fee.pk)).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"rule": FeeRule.FLAT, "amount": Decimal("-5")}, "amount"),
        ({"rule": FeeRule.FLAT, "amount": Decimal("2500000")}, "amount"),
        ({"rule": FeeRule.PERCENT, "rate": Decimal("150")}, "rate"),
        ({"rule": FeeRule.PER_UNIT, "rate": None}, "rate"),
        ({"tiers": [Tier(Decimal("5"), Decimal("1")), Tier(Decimal("3"), Decimal("2"))]}, "tiers"),
        ({"minimum": Decimal("50"), "maximum": Decimal("10")}, "maximum"),
        ({"effective_to": datetime.date(2026, 6, 30)}, "effective_to"),
    ],
)
def test_create_fee_refuses_absurd_terms_by_field(tech, values, field):
    with pytest.raises(ValidationError) as caught:
        draft(tech, **values)
    assert field in caught.value.message_dict
    assert not Fee.objects.exists()


def test_create_fee_refuses_an_expense_account(tech):
    from tests.millbrae_finance.test_role_matrix import chart_samples

    chart_samples()  # 101-1100-5210 Postage, an expenditure account
    from ledger.models import Account

    postage = Account.objects.get(number="101-1100-5210")
    with pytest.raises(ValidationError) as caught:
        draft(tech, revenue_account=postage)
    assert "revenue_account" in caught.value.message_dict


def test_approve_fee_by_another_supervisor(tech, supervisor):
    fee = approve_fee(draft(tech), actor=supervisor)
    fee.refresh_from_db()
    assert fee.status == FeeStatus.APPROVED
    assert fee.approved_by == supervisor
    assert fee.approved_at is not None


def test_approve_fee_refuses_the_preparer_and_non_supervisors(tech, supervisor):
    own = draft(supervisor)
    with pytest.raises(ValidationError, match="You prepared this fee"):
        approve_fee(own, actor=supervisor)
    senior = make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)
    with pytest.raises(ValidationError, match="Only a Finance Supervisor"):
        approve_fee(draft(tech, code="OTHER"), actor=senior)
    assert not Fee.objects.approved().exists()


def test_approve_fee_refuses_overlapping_dates_naming_the_other_version(tech, supervisor):
    approve_fee(draft(tech, effective_to=JUNE_2027), actor=supervisor)
    overlapping = draft(tech, effective_from=datetime.date(2027, 1, 1))
    with pytest.raises(ValidationError) as caught:
        approve_fee(overlapping, actor=supervisor)
    assert "2026-07-01 to 2027-06-30" in str(caught.value)
    overlapping.refresh_from_db()
    assert overlapping.status == FeeStatus.DRAFT
    # The day after: no overlap, approved.
    approve_fee(draft(tech, effective_from=JULY_2027), actor=supervisor)
    assert Fee.objects.approved().filter(code="FALSE-ALARM").count() == 2


def test_open_ended_version_overlaps_any_later_one(tech, supervisor):
    approve_fee(draft(tech), actor=supervisor)
    with pytest.raises(ValidationError, match="open-ended"):
        approve_fee(draft(tech, effective_from=datetime.date(2030, 1, 1)), actor=supervisor)


def test_database_refuses_overlapping_approved_versions():
    preparer, approver = make_user(Role.ACCOUNTING_TECHNICIAN), make_user(Role.FINANCE_SUPERVISOR)
    make_fee("PKG-RED-ZONE", prepared_by=preparer, approved_by=approver, effective_to=JUNE_2027)
    later = make_fee(
        "PKG-RED-ZONE", prepared_by=preparer, effective_from=datetime.date(2027, 6, 30)
    )
    with (
        pytest.raises(DatabaseError, match="overlaps approved version"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE receivables_fee SET status = 'approved', approved_by_id = %s,"
            " approved_at = now() WHERE id = %s",
            [approver.pk, later.pk],
        )
    with pytest.raises(DatabaseError, match="overlaps approved version"), transaction.atomic():
        make_fee("PKG-RED-ZONE", prepared_by=preparer, approved_by=approver)
    # Drafts may overlap anything; the day after the first version ends is fine.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE receivables_fee SET status = 'approved', approved_by_id = %s,"
            " approved_at = now(), effective_from = %s WHERE id = %s",
            [approver.pk, JULY_2027, later.pk],
        )
    assert Fee.objects.approved().count() == 2


def test_database_refuses_approver_who_prepared():
    preparer = make_user(Role.FINANCE_SUPERVISOR)
    with pytest.raises(DatabaseError), transaction.atomic():
        make_fee(prepared_by=preparer, approved_by=preparer)


def test_fee_in_effect_around_a_rate_change(tech, supervisor):
    old = approve_fee(
        draft(
            tech, code="RENTAL", rule=FeeRule.PER_UNIT, rate=Decimal("85"), effective_to=JUNE_2027
        ),
        actor=supervisor,
    )
    new = approve_fee(
        draft(
            tech, code="RENTAL", rule=FeeRule.PER_UNIT, rate=Decimal("92"), effective_from=JULY_2027
        ),
        actor=supervisor,
    )
    draft(tech, code="RENTAL", rule=FeeRule.PER_UNIT, rate=Decimal("1"), effective_from=JULY_2026)
    assert fee_in_effect("RENTAL", datetime.date(2026, 6, 30)) is None
    assert fee_in_effect("rental", JULY_2026) == old
    assert fee_in_effect("RENTAL", JUNE_2027) == old
    assert fee_in_effect("RENTAL", JULY_2027) == new
    assert fee_in_effect("RENTAL", datetime.date(2040, 1, 1)) == new
    amount = calculate_fee(terms_of(new), units=Decimal("3")).amount
    assert amount == Decimal("276.00")


def test_update_fee_changes_a_draft_only(tech, supervisor):
    fee = draft(tech)
    fee = update_fee(
        fee,
        code="FALSE-ALARM",
        description="False alarm",
        revenue_account=revenue_account(),
        rule=FeeRule.FLAT,
        amount=Decimal("75"),
        effective_from=JULY_2026,
        actor=tech,
    )
    assert fee.amount == Decimal("75")
    assert not fee.tiers.exists()
    approve_fee(fee, actor=supervisor)
    with pytest.raises(ValidationError, match="only a draft"):
        update_fee(
            fee,
            code="FALSE-ALARM",
            description="x",
            revenue_account=revenue_account(),
            rule=FeeRule.FLAT,
            amount=Decimal("80"),
            effective_from=JULY_2026,
            actor=tech,
        )


def test_retire_fee_takes_it_out_of_effect(tech, supervisor):
    fee = approve_fee(draft(tech), actor=supervisor)
    retire_fee(fee, actor=supervisor)
    assert fee_in_effect("FALSE-ALARM", JULY_2026) is None
    with pytest.raises(ValidationError, match="already retired"):
        retire_fee(fee, actor=supervisor)
