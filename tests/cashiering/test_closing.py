"""Closing and balancing a drawer: the count by denomination, expected against counted,
the over/short posted once to cash over and short, and the lead's sign-off (never the
clerk who counted)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from cashiering.models import CashSession, SessionCount, SessionCountLine
from cashiering.services.closing import (
    CASH_OVER_SHORT,
    CheckCounted,
    CountSpec,
    close_and_count,
    verify_session,
)
from cashiering.services.receipts import CASH_IN_DRAWERS, ItemSpec, TenderSpec, post_receipt
from ledger.models import JournalEntry, JournalLine
from tests.cashiering.conftest import cash_in_drawers, cash_over_short, make_session
from tests.utility_billing.payment_helpers import billed

D = Decimal
UA = "utility-account"


def _take(session, *, cash="60.00", check=None):
    """A1 pays 50.00 (cash 60.00, change 10.00) or 50.00 by check 1001."""
    a1 = session_account(session)
    tenders = (
        [TenderSpec("check", D(check), check_number="1001")]
        if check
        else [TenderSpec("cash", D(cash))]
    )
    return post_receipt(
        session,
        items=[ItemSpec(UA, a1.number, D("50.00"), customer=a1.customer.name)],
        tenders=tenders,
        idempotency_key=f"k-{session.pk}-{check or cash}",
        actor=session.clerk,
    )


def session_account(session):
    from utility_billing.models import UtilityAccount

    return UtilityAccount.objects.order_by("number").first()


def _posted(number: str) -> Decimal:
    return JournalLine.objects.filter(
        account__number=number, entry__source_module="cashiering", entry__memo__contains="session"
    ).aggregate(t=Sum("amount"))["t"] or D("0")


def _cash(total_twenties: int, **more) -> dict:
    return {"bill_20": total_twenties, **more}


def test_an_exact_count_closes_the_drawer_and_posts_nothing(counter):
    session = counter["session"]  # float 100.00
    _take(session)  # 50.00 cash net
    count = close_and_count(
        session,
        spec=CountSpec(quantities=_cash(7, bill_10=1)),  # 140 + 10 = 150.00
        actor=session.clerk,
    )
    session.refresh_from_db()
    assert session.status == "closed" and session.closed_at is not None
    assert (count.cash_expected, count.cash_counted, count.over_short) == (
        D("150.00"),
        D("150.00"),
        D("0.00"),
    )
    assert count.journal_entry is None
    assert sorted(
        (line.denomination, line.quantity, line.amount) for line in count.lines.all()
    ) == [
        (D("10.00"), 1, D("10.00")),
        (D("20.00"), 7, D("140.00")),
    ]


def test_a_drawer_short_posts_to_over_and_short_against_cash_in_drawers(counter):
    session = counter["session"]
    _take(session)
    # 149.63: seven twenties, a five, four ones... less than the 150.00 expected.
    quantities = {
        "bill_20": 7,
        "bill_5": 1,
        "bill_1": 4,
        "coin_0_25": 2,
        "coin_0_10": 1,
        "coin_0_01": 3,
    }
    count = close_and_count(session, spec=CountSpec(quantities=quantities), actor=session.clerk)
    assert count.cash_counted == D("149.63")
    assert count.over_short == D("-0.37")
    lines = {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry=count.journal_entry).select_related("account")
    }
    assert lines == {CASH_OVER_SHORT: D("0.37"), CASH_IN_DRAWERS: D("-0.37")}


def test_a_drawer_over_credits_over_and_short(counter):
    session = counter["session"]
    _take(session)
    count = close_and_count(
        session, spec=CountSpec(quantities=_cash(7, bill_10=1, bill_1=2)), actor=session.clerk
    )
    assert count.over_short == D("2.00")
    assert _posted(CASH_OVER_SHORT) == D("-2.00")
    assert _posted(CASH_IN_DRAWERS) == D("2.00")


def test_checks_cards_and_money_orders_are_counted_beside_the_cash(counter):
    session = counter["session"]
    _take(session, check="50.00")
    count = close_and_count(
        session,
        spec=CountSpec(
            quantities={"bill_100": 1},
            checks=[CheckCounted("1001", D("50.00"))],
        ),
        actor=session.clerk,
    )
    assert (count.checks_expected, count.checks_counted, count.over_short) == (
        D("50.00"),
        D("50.00"),
        D("0.00"),
    )
    assert count.lines.filter(kind="check", check_number="1001").exists()
    rows = {row["label"]: row["difference"] for row in count.by_tender()}
    assert rows["Checks"] == D("0.00") and rows["Card"] == D("0.00")


def test_a_check_missing_from_the_count_is_short(counter):
    session = counter["session"]
    _take(session, check="50.00")
    count = close_and_count(
        session, spec=CountSpec(quantities={"bill_100": 1}), actor=session.clerk
    )
    assert count.over_short == D("-50.00")
    assert _posted(CASH_OVER_SHORT) == D("50.00")


def test_closing_again_returns_the_first_count_and_posts_once(counter):
    session = counter["session"]
    _take(session)
    spec = CountSpec(quantities=_cash(7))  # 140.00: 10.00 short
    first = close_and_count(session, spec=spec, actor=session.clerk)
    again = close_and_count(session, spec=CountSpec(quantities=_cash(9)), actor=session.clerk)
    assert again.pk == first.pk and again.over_short == D("-10.00")
    assert SessionCount.objects.count() == 1
    assert JournalEntry.objects.filter(idempotency_key__startswith="over-short:").count() == 1
    assert _posted(CASH_OVER_SHORT) == D("10.00")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (CountSpec(quantities={"bill_20": -1}), "bill_20"),
        (CountSpec(quantities={"coin_0_25": 2.5}), "coin_0_25"),
        (CountSpec(quantities={"bill_3": 1}), "bill_3"),
        (CountSpec(checks=[CheckCounted("", D("5.00"))]), "check_1"),
        (CountSpec(checks=[CheckCounted("7", D("5.001"))]), "check_1"),
        (CountSpec(card_total=D("-1.00")), "card_total"),
        (CountSpec(money_order_total=D("1.234")), "money_order_total"),
    ],
)
def test_bad_counts_are_refused_beside_the_row_and_nothing_is_saved(counter, spec, field):
    session = counter["session"]
    with pytest.raises(ValidationError) as refused:
        close_and_count(session, spec=spec, actor=session.clerk)
    assert field in refused.value.message_dict
    session.refresh_from_db()
    assert session.status == "open"
    assert SessionCount.objects.count() == 0 and SessionCountLine.objects.count() == 0


def test_a_clerk_closes_only_their_own_session(counter):
    users = counter["users"]
    with pytest.raises(PermissionDenied):
        close_and_count(counter["session"], spec=CountSpec(), actor=users["senior"])


def test_a_lead_verifies_and_the_clerk_who_counted_cannot(counter):
    users = counter["users"]
    session = counter["session"]
    close_and_count(session, spec=CountSpec(quantities={"bill_100": 1}), actor=session.clerk)
    with pytest.raises(PermissionDenied):
        verify_session(session, actor=session.clerk)  # a clerk is no verifier
    for who in ("tech", "auditor"):
        with pytest.raises(PermissionDenied):
            verify_session(session, actor=users[who])
    verified = verify_session(session, actor=users["senior"])
    assert (verified.status, verified.verified_by) == ("verified", users["senior"])
    assert verified.verified_at is not None
    # A repeat (or the supervisor after the lead) changes nothing.
    again = verify_session(session, actor=users["supervisor"])
    assert again.verified_by == users["senior"]


def test_a_lead_who_counted_their_own_drawer_cannot_verify_it(counter):
    """Were a lead to work a drawer (given the clerk role too), their own sign-off is
    refused with a message."""
    from django.contrib.auth.models import Group

    from millbrae_finance.roles import Role

    users = counter["users"]
    lead = users["senior"]
    lead.groups.add(Group.objects.get_or_create(name=Role.COUNTER_CLERK)[0])
    drawer = counter["session"].drawer
    CashSession.objects.filter(pk=counter["session"].pk).delete()
    session = make_session(lead, drawer)
    close_and_count(session, spec=CountSpec(quantities={"bill_100": 1}), actor=lead)
    with pytest.raises(ValidationError) as refused:
        verify_session(session, actor=lead)
    assert "does not verify" in " ".join(refused.value.messages)


def test_an_open_session_is_not_verified(counter):
    with pytest.raises(ValidationError):
        verify_session(counter["session"], actor=counter["users"]["supervisor"])


def test_the_database_refuses_a_clerk_verifying_their_own_session(counter):
    session = counter["session"]
    with pytest.raises(IntegrityError), transaction.atomic():
        CashSession.objects.filter(pk=session.pk).update(
            status="verified",
            closed_at=timezone.now(),
            verified_by=session.clerk,
            verified_at=timezone.now(),
        )


def test_count_and_verification_are_audited(counter):
    users = counter["users"]
    session = counter["session"]
    count = close_and_count(
        session, spec=CountSpec(quantities={"bill_100": 1}), actor=session.clerk
    )
    verify_session(session, actor=users["supervisor"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM cashiering_sessioncountevent WHERE pgh_obj_id = %s", [count.pk]
        )
        assert cursor.fetchone()[0] >= 1
        cursor.execute(
            "SELECT status FROM cashiering_cashsessionevent WHERE pgh_obj_id = %s ORDER BY pgh_id",
            [session.pk],
        )
        assert [row[0] for row in cursor.fetchall()][-2:] == ["closed", "verified"]


@pytest.mark.django_db(transaction=True)
def test_two_closes_at_once_post_once(request):
    users = request.getfixturevalue("ub_users")
    request.getfixturevalue("pay_day")
    billed(users, second=True)
    cash_in_drawers()
    cash_over_short()
    session = make_session(users["clerk"])
    results, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            results.append(
                close_and_count(
                    session, spec=CountSpec(quantities={"bill_50": 1}), actor=users["clerk"]
                )
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.pk for r in results}) == 1
    assert SessionCount.objects.count() == 1
    assert JournalEntry.objects.filter(idempotency_key__startswith="over-short:").count() == 1
    assert results[0].over_short == D("-50.00")
