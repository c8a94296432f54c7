"""Bank deposits: verified sessions grouped, cash (less the floats) and checks apart, the
exact entry from cash in drawers to cash in bank, once per key, one deposit a session
(the database refuses a second), and the slip that foots."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from cashiering.models import Deposit, DepositCheck, DepositSession
from cashiering.queries.deposits import deposit_for, sessions_to_deposit
from cashiering.services.deposits import make_deposit
from ledger.models import Account, JournalEntry, JournalLine
from millbrae_finance.roles import Role
from tests.cashiering.conftest import cash_in_bank
from tests.cashiering.deposit_helpers import second_session, take_and_close
from tests.conftest import make_user

D = Decimal


def _deposit(counter, sessions, key="dep-1", actor=None, **more):
    return make_deposit(
        sessions,
        deposit_date=_today(),
        bank_account=more.pop("bank_account", None) or cash_in_bank(),
        bank_name=more.pop("bank_name", "Bank of the Peninsula"),
        idempotency_key=key,
        actor=actor or counter["users"]["supervisor"],
    )


def _today():
    from django.utils import timezone

    return timezone.localdate()


def test_a_deposit_moves_the_sessions_cash_checks_and_cards_to_cash_in_bank(counter):
    session = take_and_close(counter)
    deposit = _deposit(counter, [session])

    assert (
        deposit.currency_total,
        deposit.coin_total,
        deposit.floats_kept,
        deposit.cash_total,
        deposit.check_count,
        deposit.check_total,
        deposit.card_total,
        deposit.total,
    ) == (D("118.00"), D("1.00"), D("100.00"), D("19.00"), 1, D("30.00"), D("25.00"), D("74.00"))
    assert list(DepositSession.objects.values_list("session_id", "amount")) == [
        (session.pk, D("74.00"))
    ]
    a1 = counter["billing"]["accounts"]["A1"]
    assert list(
        DepositCheck.objects.values_list("line", "kind", "check_number", "payer", "amount")
    ) == [(1, "check", "501", a1.customer.name, D("30.00"))]
    # The exact entry: cash in bank debited, cash in drawers credited for the session.
    entry = deposit.journal_entry
    assert (entry.source_module, entry.source_document) == ("cashiering", deposit.display_number)
    assert sorted(
        JournalLine.objects.filter(entry=entry).values_list("account__number", "amount", "memo")
    ) == [
        ("101-0000-1010", D("74.00"), f"Deposit {deposit.display_number} to 101-0000-1010"),
        ("101-0000-1020", D("-74.00"), f"{deposit.display_number}: drawer D1 session {session.pk}"),
    ]
    # Cash in drawers is empty again: receipts 75.00, short 1.00, deposited 74.00.
    drawers = JournalLine.objects.filter(account__number="101-0000-1020").aggregate(t=Sum("amount"))
    assert drawers["t"] == D("0.00")
    assert not sessions_to_deposit().exists()
    # The audit trail has the deposit, its session row and its check.
    assert Deposit.pgh_event_model.objects.filter(pgh_obj_id=deposit.pk).count() >= 1
    assert DepositSession.pgh_event_model.objects.filter(session_id=session.pk).count() == 1
    assert DepositCheck.pgh_event_model.objects.filter(deposit_id=deposit.pk).count() == 1


def test_the_slip_sums_the_denominations_counted_and_foots(counter):
    session = take_and_close(counter)
    deposit = deposit_for(_deposit(counter, [session]).pk)
    assert [(c["label"], c["quantity"], c["amount"]) for c in deposit.cash_lines] == [
        ("$100 bills", 1, D("100.00")),
        ("$10 bills", 1, D("10.00")),
        ("$5 bills", 1, D("5.00")),
        ("$1 bills", 3, D("3.00")),
        ("25¢ coins", 4, D("1.00")),
    ]
    assert deposit.slip_total == D("49.00")
    assert deposit.session_count == 1


def test_two_sessions_deposit_together_one_credit_line_each(counter):
    first = take_and_close(counter)
    clerk2 = make_user(Role.COUNTER_CLERK, "dep_clerk2")
    other = take_and_close(counter, session=second_session(counter, clerk2), key="e")
    deposit = _deposit(counter, [other, first])
    # Floats 100 + 50 stay; the second drawer counted the same 119.00 with a 50.00 float.
    assert (deposit.floats_kept, deposit.cash_total, deposit.check_count) == (
        D("150.00"),
        D("88.00"),
        2,
    )
    assert deposit.total == D("74.00") + D("124.00")
    lines = JournalLine.objects.filter(entry=deposit.journal_entry, account__number="101-0000-1020")
    assert sorted(lines.values_list("amount", flat=True)) == [D("-124.00"), D("-74.00")]


def test_a_repeat_of_the_key_returns_the_first_deposit_and_posts_nothing(counter):
    session = take_and_close(counter)
    first = _deposit(counter, [session])
    entries = JournalEntry.objects.count()
    again = _deposit(counter, [session])
    assert again.pk == first.pk
    assert (Deposit.objects.count(), JournalEntry.objects.count()) == (1, entries)


def test_a_session_goes_in_one_deposit_only(counter):
    session = take_and_close(counter)
    _deposit(counter, [session])
    with pytest.raises(ValidationError) as error:
        _deposit(counter, [session], key="dep-2")
    assert "already in a deposit" in str(error.value)
    assert Deposit.objects.count() == 1


def test_an_unverified_session_is_refused(counter):
    session = take_and_close(counter, verify=False)
    with pytest.raises(ValidationError) as error:
        _deposit(counter, [session])
    assert "not verified" in str(error.value)
    assert not Deposit.objects.exists()


def test_a_clerk_or_technician_may_not_deposit(counter):
    session = take_and_close(counter)
    for user in (counter["users"]["clerk"], counter["users"]["tech"]):
        with pytest.raises(PermissionDenied):
            _deposit(counter, [session], actor=user)
    # A lead may.
    assert _deposit(counter, [session], actor=counter["users"]["senior"]).total == D("74.00")


def test_only_a_cash_in_bank_account_takes_a_deposit(counter):
    session = take_and_close(counter)
    drawers = Account.objects.get(number="101-0000-1020")
    with pytest.raises(ValidationError) as error:
        _deposit(counter, [session], bank_account=drawers)
    assert "cash-in-bank" in str(error.value)


def _insert_deposit(cursor, key, *, total="74.00", cash="19.00", user_id):
    cursor.execute(
        """INSERT INTO cashiering_deposit (deposit_date, bank_account_id, bank_name,
             currency_total, coin_total, floats_kept, cash_total, check_count, check_total,
             card_total, total, idempotency_key, created_by_id, created_at)
           VALUES (CURRENT_DATE, %s, 'Bank', 119.00, 0, 100.00, %s, 1, 30.00, 25.00, %s, %s,
                   %s, now()) RETURNING id""",
        [cash_in_bank().pk, cash, total, key, user_id],
    )
    return cursor.fetchone()[0]


def test_the_database_refuses_a_session_in_two_deposits(counter):
    session = take_and_close(counter)
    deposit = _deposit(counter, [session])
    with transaction.atomic(), connection.cursor() as cursor:
        other = _insert_deposit(cursor, "raw-1", user_id=counter["users"]["supervisor"].pk)
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(
                "INSERT INTO cashiering_depositsession (deposit_id, session_id, amount) "
                "VALUES (%s, %s, 74.00)",
                [other, session.pk],
            )
    assert DepositSession.objects.get(session=session).deposit_id == deposit.pk


def test_the_database_refuses_a_deposit_that_does_not_foot_or_a_key_twice(counter):
    user_id = counter["users"]["supervisor"].pk
    with connection.cursor() as cursor:
        _insert_deposit(cursor, "raw-ok", user_id=user_id)
        for kwargs in ({"total": "75.00"}, {"cash": "20.00", "total": "75.00"}):
            with pytest.raises(IntegrityError), transaction.atomic():
                _insert_deposit(cursor, "raw-bad", user_id=user_id, **kwargs)
        with pytest.raises(IntegrityError), transaction.atomic():
            _insert_deposit(cursor, "raw-ok", user_id=user_id)
    # Through the ORM too: the unique key, and a check line with no number.
    deposit = Deposit.objects.get(idempotency_key="raw-ok")
    with pytest.raises(IntegrityError), transaction.atomic():
        DepositCheck.objects.create(deposit=deposit, line=1, kind="check", amount=D("1.00"))


def test_a_deposit_is_not_dated_before_its_sessions_closed(counter):
    import datetime as dt

    session = take_and_close(counter)
    with pytest.raises(ValidationError) as error:
        make_deposit(
            [session],
            deposit_date=_today() - dt.timedelta(days=1),
            bank_account=cash_in_bank(),
            bank_name="Bank",
            idempotency_key="early",
            actor=counter["users"]["supervisor"],
        )
    assert "date it later" in str(error.value)


def test_the_demo_step_deposits_each_days_verified_sessions_once(counter):
    from cashiering.demo.deposits import seed_deposits

    make_user(Role.FINANCE_SUPERVISOR, "supervisor")
    first = take_and_close(counter)
    clerk2 = make_user(Role.COUNTER_CLERK, "dep_clerk2")
    waiting = take_and_close(counter, session=second_session(counter, clerk2), verify=False)
    logged = []
    seed_deposits(logged.append)
    deposit = Deposit.objects.get()
    assert deposit.idempotency_key == f"demo-deposit-{_today():%Y-%m-%d}"
    assert list(deposit.session_rows.values_list("session_id", flat=True)) == [first.pk]
    assert not DepositSession.objects.filter(session=waiting).exists()
    seed_deposits(logged.append)
    assert Deposit.objects.count() == 1
    assert logged == ["1 deposits of 1 sessions", "no verified sessions waiting for a deposit"]
