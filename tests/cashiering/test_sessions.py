"""Drawers and sessions: one open session per drawer and per clerk, refused by the
database itself; a clerk closes only their own session; cards keep four digits only."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from cashiering.models import CashSession
from cashiering.services.sessions import open_session
from millbrae_finance.roles import Role
from tests.cashiering.conftest import make_drawer, make_session
from tests.conftest import make_user

D = Decimal


def test_a_clerk_opens_a_session_with_the_counted_float(ub_users):
    drawer = make_drawer()
    session = open_session(drawer, opening_float=D("150.00"), actor=ub_users["clerk"])
    assert (session.status, session.opening_float, session.clerk) == (
        "open",
        D("150.00"),
        ub_users["clerk"],
    )


def test_one_open_session_per_drawer_and_per_clerk(ub_users):
    d1, d2 = make_drawer("D1"), make_drawer("D2")
    open_session(d1, opening_float=D("100.00"), actor=ub_users["clerk"])
    with pytest.raises(ValidationError) as refused:
        open_session(d1, opening_float=D("100.00"), actor=make_user(Role.COUNTER_CLERK, "c2"))
    assert "drawer" in refused.value.message_dict
    with pytest.raises(ValidationError):
        open_session(d2, opening_float=D("100.00"), actor=ub_users["clerk"])


def test_a_bad_float_or_role_is_refused(ub_users):
    drawer = make_drawer()
    for amount in (D("-1.00"), D("1.005")):
        with pytest.raises(ValidationError) as refused:
            open_session(drawer, opening_float=amount, actor=ub_users["clerk"])
        assert "opening_float" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        open_session(drawer, opening_float=D("1.00"), actor=ub_users["auditor"])
    drawer.active = False
    drawer.save()
    with pytest.raises(ValidationError):
        open_session(drawer, opening_float=D("1.00"), actor=ub_users["clerk"])


def test_the_database_refuses_a_second_open_session(ub_users):
    session = make_session(ub_users["clerk"])
    with pytest.raises(IntegrityError), transaction.atomic():
        CashSession.objects.create(
            drawer=session.drawer, clerk=ub_users["tech"], opening_float=D("0")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CashSession.objects.create(
            drawer=make_drawer("D9"), clerk=ub_users["clerk"], opening_float=D("0")
        )


@pytest.mark.parametrize("last_four", ["4111111111111111", "411", "41a1", ""])
def test_the_database_keeps_no_more_than_four_card_digits(counter, last_four):
    from cashiering.models import ReceiptTender
    from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt

    a1 = counter["billing"]["accounts"]["A1"]
    receipt = post_receipt(
        counter["session"],
        items=[ItemSpec("utility-account", a1.number, D("5.00"))],
        tenders=[TenderSpec("cash", D("5.00"))],
        idempotency_key="k",
        actor=counter["users"]["clerk"],
    )
    tender = ReceiptTender.objects.get(receipt=receipt)
    # A whole card number does not even fit the column; anything else is refused by the
    # check constraint.
    with (
        pytest.raises((IntegrityError, DataError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE cashiering_receipttender SET kind = 'card', card_last_four = %s,"
            " authorization_code = 'X' WHERE id = %s",
            [last_four, tender.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cashiering_receipt (session_id, drawer_id, number, idempotency_key,"
            " posted_at, total, customer_name, created_by_id, prints, void_reason)"
            " VALUES (%s, %s, %s, 'other', now(), 1, '', %s, 0, '')",
            [receipt.session_id, receipt.drawer_id, receipt.number, receipt.created_by_id],
        )
