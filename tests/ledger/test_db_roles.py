"""Least privilege: the suite connects as the app's role, as the web app and workers do.
Each attack an auditor of a ledger would try, replayed as that role, is refused; none of
the ledger's invariants rests on something the session itself can change."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from ledger.models import AccountBalance, FiscalPeriod, JournalLine, PeriodStatusChange
from ledger.services import LineSpec, close_period, post_entry
from millbrae_finance.db_roles import app_role, as_owner, audit_tables

pytestmark = pytest.mark.django_db(transaction=True)


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchone() if cursor.description else None


def refused(statement: str, params=None, match: str = "permission denied|must be owner"):
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        sql(statement, params)


@pytest.fixture
def posted(chart, november, technician):
    return post_entry(
        entry_date=dt.date(2026, 11, 15),
        lines=[
            LineSpec("501-0000-1010", Decimal("10.00")),
            LineSpec("501-1100-4411", Decimal("-10.00")),
        ],
        memo="posted",
        source_module="test",
        idempotency_key="roles-1",
        prepared_by=technician,
    )


def test_the_suite_connects_as_a_role_that_owns_nothing_and_is_no_superuser():
    user, superuser = sql("SELECT current_user, usesuper FROM pg_user WHERE usename = current_user")
    assert user == app_role() == "millbrae_app"
    assert superuser is False
    owned = sql(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )
    assert owned == (0,)
    assert sql(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'ledger_journalline'"
    ) == ("millbrae_owner",)


def test_balance_check_cannot_be_switched_off_from_sql(chart, november, technician):
    """The review's exact sequence: a balanced entry, the check forced early, the old
    session setting reset, then a +7.00 line. It must not commit."""
    cash, revenue = chart["501-0000-1010"], chart["501-1100-4411"]
    with pytest.raises(DatabaseError, match="already checked for balance"), transaction.atomic():
        entry_id = sql(
            "INSERT INTO ledger_journalentry (entry_date, period_id, source_module,"
            " source_document, memo, prepared_by_id, posted_at, idempotency_key, fingerprint)"
            " VALUES ('2026-11-15', %s, 'raw', '', 'attack', %s, now(), 'attack-1', '')"
            " RETURNING id",
            [november.pk, technician.pk],
        )[0]
        sql(
            "INSERT INTO ledger_journalline (entry_id, account_id, fund_id, amount, memo)"
            " VALUES (%s, %s, %s, 10.00, ''), (%s, %s, %s, -10.00, '')",
            [entry_id, cash.pk, cash.fund_id, entry_id, revenue.pk, revenue.fund_id],
        )
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql("SELECT set_config('ledger.balanced_through', '0', true)")
        sql(
            "INSERT INTO ledger_journalline (entry_id, account_id, fund_id, amount, memo)"
            " VALUES (%s, %s, %s, 7.00, '')",
            [entry_id, cash.pk, cash.fund_id],
        )
    assert sql("SELECT COALESCE(SUM(amount), 0) FROM ledger_journalline") == (Decimal("0.00"),)


def test_an_entry_cannot_be_inserted_already_marked_checked(chart, november, technician):
    with pytest.raises(DatabaseError, match="at least two"), transaction.atomic():
        sql(
            "INSERT INTO ledger_journalentry (entry_date, period_id, source_module,"
            " source_document, memo, prepared_by_id, posted_at, idempotency_key, fingerprint,"
            " balance_checked) VALUES ('2026-11-15', %s, 'raw', '', 'x', %s, now(), 'x-1', '',"
            " true)",
            [november.pk, technician.pk],
        )


def test_posted_rows_cannot_be_updated_deleted_or_truncated(posted):
    line = posted.lines.first()
    refused("UPDATE ledger_journalline SET amount = 1 WHERE id = %s", [line.pk])
    refused("DELETE FROM ledger_journalline WHERE id = %s", [line.pk])
    refused("UPDATE ledger_journalentry SET memo = 'x' WHERE id = %s", [posted.pk])
    refused("DELETE FROM ledger_journalentry WHERE id = %s", [posted.pk])
    refused("UPDATE ledger_journalentry SET balance_checked = false WHERE id = %s", [posted.pk])
    for table in ("ledger_journalline", "ledger_journalentry", "ledger_accountbalance"):
        refused(f"TRUNCATE {table} CASCADE")
    assert JournalLine.objects.filter(entry=posted).count() == 2


def test_kept_balances_change_only_by_posting_lines(posted, chart):
    balance = AccountBalance.objects.get(account=chart["501-0000-1010"])
    assert (balance.debits, balance.credits) == (Decimal("10.00"), Decimal("0.00"))
    refused("UPDATE ledger_accountbalance SET debits = debits + 1000000")
    refused(
        "INSERT INTO ledger_accountbalance (account_id, period_id, debits, credits)"
        " VALUES (%s, %s, 5, 0)",
        [chart["101-0000-1010"].pk, posted.period_id],
    )
    # The owner, who may write the table, is refused by the trigger all the same.
    with as_owner():
        refused(
            "UPDATE ledger_accountbalance SET debits = debits + 1000000",
            match="change only by posting lines",
        )
    balance.refresh_from_db()
    assert balance.debits == Decimal("10.00")


def test_period_status_changes_only_with_who_and_why(november, technician, supervisor):
    close_period(november, actor=supervisor, reason="November books closed")
    refused(
        "UPDATE ledger_fiscalperiod SET status = 'open' WHERE id = %s",
        [november.pk],
        "who, when and why",
    )
    refused(
        "UPDATE ledger_fiscalperiod SET status = 'open', status_changed_at = now(),"
        " status_changed_by_id = %s, status_reason = 'because' WHERE id = %s",
        [technician.pk, november.pk],
        "only an active Finance Supervisor",
    )
    refused(
        "UPDATE ledger_fiscalperiod SET status_reason = 'rewritten' WHERE id = %s",
        [november.pk],
        "cannot be rewritten",
    )
    refused("DELETE FROM ledger_periodstatuschange")
    refused("DELETE FROM ledger_fiscalperiod WHERE id = %s", [november.pk])
    november.refresh_from_db()
    assert november.status == "closed"
    change = PeriodStatusChange.objects.get(period=november)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "open",
        "closed",
        supervisor,
        "November books closed",
    )


def test_the_app_role_cannot_switch_off_triggers_or_alter_tables(db):
    refused("ALTER TABLE ledger_journalline DISABLE TRIGGER ALL")
    refused("ALTER TABLE ledger_journalentry DISABLE TRIGGER ledger_journalentry_balanced")
    refused("ALTER TABLE ledger_journalline ADD COLUMN note text")
    refused("DROP TRIGGER ledger_journalline_valid ON ledger_journalline")
    refused("SET session_replication_role = replica", match="permission denied")
    refused("CREATE TABLE sneaky (id int)", match="permission denied")


def test_audit_rows_and_their_context_cannot_be_deleted(posted, supervisor, november):
    close_period(november, actor=supervisor, reason="audited")
    assert sql("SELECT count(*) FROM ledger_fiscalperiodevent")[0] > 0
    tables = audit_tables()
    assert "ledger_fiscalperiodevent" in tables
    for table in tables:
        refused(f'DELETE FROM "{table}"')
        refused(f'UPDATE "{table}" SET pgh_label = pgh_label')
        refused(f'TRUNCATE "{table}"')
    refused("DELETE FROM pghistory_context")
    refused("TRUNCATE pghistory_context")
    assert sql("SELECT count(*) FROM ledger_fiscalperiodevent")[0] > 0


def test_postings_still_work_and_keep_balances_as_the_app_role(posted, chart, technician):
    post_entry(
        entry_date=dt.date(2026, 11, 16),
        lines=[
            LineSpec("501-0000-1010", Decimal("2.50")),
            LineSpec("101-1100-4411", Decimal("-2.50")),
        ],
        memo="interfund",
        source_module="test",
        idempotency_key="roles-2",
        prepared_by=technician,
    )
    balances = {
        b.account.number: (b.debits, b.credits)
        for b in AccountBalance.objects.select_related("account")
    }
    assert balances["501-0000-1010"] == (Decimal("12.50"), Decimal("0.00"))
    assert balances["101-1100-4411"] == (Decimal("0.00"), Decimal("2.50"))
    total = sum(d - c for d, c in balances.values())
    assert total == 0
    assert FiscalPeriod.objects.filter(status="open").exists()
