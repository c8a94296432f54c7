"""Go around the ORM and the posting service: PostgreSQL itself must refuse each
violation of the ledger's invariants."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from ledger.models import JournalEntry
from ledger.services import LineSpec, post_entry
from millbrae_finance.db_roles import as_owner

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def connected_as_owner(transactional_db):
    """These triggers hold even for the owner, who may do what the app's role may not
    (tests/ledger/test_db_roles.py shows the app's role refused before any trigger)."""
    with as_owner():
        yield


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchone() if cursor.description else None


def insert_entry(period_id: int, user_id: int, key: str, day: str = "2026-11-15") -> int:
    return sql(
        """
        INSERT INTO ledger_journalentry (entry_date, period_id, source_module, source_document,
            memo, prepared_by_id, posted_at, idempotency_key, fingerprint)
        VALUES (%s, %s, 'raw', '', 'raw SQL', %s, now(), %s, '') RETURNING id
        """,
        [day, period_id, user_id, key],
    )[0]


def insert_line(entry_id: int, account_id: int, amount: str, fund_id: int | None = None) -> None:
    sql(
        "INSERT INTO ledger_journalline (entry_id, account_id, fund_id, amount, memo)"
        " VALUES (%s, %s, %s, %s, '')",
        [entry_id, account_id, fund_id, amount],
    )


@pytest.fixture
def posted(chart, november, technician):
    return post_entry(
        entry_date=dt.date(2026, 11, 15),
        lines=[
            LineSpec("501-0000-1010", Decimal("50.00")),
            LineSpec("501-1100-4411", Decimal("-50.00")),
        ],
        memo="posted",
        source_module="test",
        idempotency_key="posted-1",
        prepared_by=technician,
    )


def refused(statements, match: str) -> None:
    """Run statements in one transaction and expect the database to refuse by commit."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        statements()


def test_unbalanced_entry_is_refused_at_commit(chart, november, technician):
    def statements():
        entry = insert_entry(november.pk, technician.pk, "raw-1")
        insert_line(entry, chart["501-0000-1010"].pk, "10.00", chart["501-0000-1010"].fund_id)
        insert_line(entry, chart["501-1100-4411"].pk, "-9.99", chart["501-1100-4411"].fund_id)

    refused(statements, "does not balance")
    assert not JournalEntry.objects.filter(idempotency_key="raw-1").exists()


def test_entry_unbalanced_within_a_fund_is_refused(chart, november, technician):
    def statements():
        entry = insert_entry(november.pk, technician.pk, "raw-2")
        # Balances in total, but the Water Fund is up 10 and the General Fund down 10.
        insert_line(entry, chart["501-0000-1010"].pk, "10.00")
        insert_line(entry, chart["101-0000-1010"].pk, "-10.00")

    refused(statements, "does not balance in fund")


def test_fund_on_a_line_is_taken_from_its_account(chart, november, technician):
    def statements():
        entry = insert_entry(november.pk, technician.pk, "raw-3")
        # A lying fund_id is overwritten from the account, so the fund check still sees
        # the General Fund line and refuses.
        insert_line(entry, chart["501-0000-1010"].pk, "10.00", chart["501-0000-1010"].fund_id)
        insert_line(entry, chart["101-0000-1010"].pk, "-10.00", chart["501-0000-1010"].fund_id)

    refused(statements, "does not balance in fund")


def test_entry_with_one_line_or_none_is_refused(chart, november, technician):
    refused(lambda: insert_entry(november.pk, technician.pk, "raw-4"), "at least two")


def test_checked_entry_cannot_gain_lines_after_immediate_check(chart, november, technician):
    def statements():
        entry = insert_entry(november.pk, technician.pk, "raw-5")
        insert_line(entry, chart["501-0000-1010"].pk, "10.00")
        insert_line(entry, chart["501-1100-4411"].pk, "-10.00")
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql("SET CONSTRAINTS ALL DEFERRED")
        insert_line(entry, chart["501-0000-1010"].pk, "99.00")

    refused(statements, "already checked for balance")


def test_posted_line_cannot_be_updated_or_deleted(posted):
    line = posted.lines.first()
    refused(
        lambda: sql("UPDATE ledger_journalline SET amount = 1 WHERE id = %s", [line.pk]),
        "cannot be changed",
    )
    refused(
        lambda: sql("DELETE FROM ledger_journalline WHERE id = %s", [line.pk]), "cannot be changed"
    )


def test_posted_entry_cannot_be_updated_or_deleted(posted):
    refused(
        lambda: sql("UPDATE ledger_journalentry SET memo = 'x' WHERE id = %s", [posted.pk]),
        "cannot be changed",
    )
    refused(
        lambda: sql("DELETE FROM ledger_journalentry WHERE id = %s", [posted.pk]),
        "cannot be changed",
    )


def test_posted_entry_cannot_gain_a_line_later(posted, chart):
    def statements():
        insert_line(posted.pk, chart["501-0000-1010"].pk, "5.00")
        insert_line(posted.pk, chart["501-1100-4411"].pk, "-5.00")

    refused(statements, "lines cannot be added")


CLOSE_SQL = (
    "UPDATE ledger_fiscalperiod SET status = 'closed', status_changed_at = now(),"
    " status_changed_by_id = %s, status_reason = 'Month end' WHERE id = %s"
)


def test_no_entry_or_line_in_a_closed_period(chart, november, technician, supervisor):
    sql(CLOSE_SQL, [supervisor.pk, november.pk])
    refused(lambda: insert_entry(november.pk, technician.pk, "raw-6"), "is closed")


def test_no_line_when_the_period_closed_under_the_entry(chart, november, technician, supervisor):
    def statements():
        entry = insert_entry(november.pk, technician.pk, "raw-7")
        sql(CLOSE_SQL, [supervisor.pk, november.pk])
        insert_line(entry, chart["501-0000-1010"].pk, "10.00")

    refused(statements, "is closed")


def test_entry_date_outside_its_period_is_refused(chart, november, technician):
    refused(
        lambda: insert_entry(november.pk, technician.pk, "raw-8", day="2026-12-01"),
        "outside period",
    )


def test_no_line_on_an_inactive_or_non_posting_account(chart, november, technician):
    account = chart["501-1100-4411"]
    sql("UPDATE ledger_account SET is_active = false WHERE id = %s", [account.pk])

    def inactive():
        entry = insert_entry(november.pk, technician.pk, "raw-9")
        insert_line(entry, account.pk, "-10.00")

    refused(inactive, "inactive or does not allow posting")
    sql(
        "UPDATE ledger_account SET is_active = true, allows_posting = false WHERE id = %s",
        [account.pk],
    )
    refused(inactive, "inactive or does not allow posting")


def test_no_zero_or_null_amount(chart, november, technician):
    def zero():
        entry = insert_entry(november.pk, technician.pk, "raw-10")
        insert_line(entry, chart["501-0000-1010"].pk, "0.00")

    refused(zero, "ledger_journalline_amount_nonzero")

    def null():
        entry = insert_entry(november.pk, technician.pk, "raw-11")
        insert_line(entry, chart["501-0000-1010"].pk, None)

    refused(null, "null value")


def test_idempotency_key_is_unique(posted, november, technician):
    refused(lambda: insert_entry(november.pk, technician.pk, "posted-1"), "idempotency_key")


def test_posted_account_keeps_its_number_type_and_control_flag(posted):
    account_id = posted.lines.first().account_id
    for change in (
        "control_subledger = 'utility_ar'",
        "number = '501-0000-1011'",
        "account_type = 'liability'",
    ):
        refused(
            lambda change=change: sql(
                f"UPDATE ledger_account SET {change} WHERE id = %s", [account_id]
            ),
            "has journal lines",
        )
    # Its name and flags may change.
    sql("UPDATE ledger_account SET name = 'Cash', is_active = false WHERE id = %s", [account_id])
