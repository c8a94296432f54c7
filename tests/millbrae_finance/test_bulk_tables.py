"""Tables written in bulk check their foreign keys per statement (NOT DEFERRABLE), and stay
so after any migrate; the ledger's balance check is not a foreign key and stays deferred."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from millbrae_finance.bulk_tables import (
    ImmediateForeignKeys,
    bulk_tables,
    deferrable_foreign_keys,
    make_bulk_foreign_keys_immediate,
)
from millbrae_finance.db_roles import as_owner
from receivables.models import Customer, CustomerKind

# What issue 9 names: customers, invoices and their lines, movements, penalties (movements
# and citations), journal entries and lines.
BATCH_WRITTEN = {
    "receivables_customer",
    "receivables_invoice",
    "receivables_invoiceline",
    "receivables_artransaction",
    "receivables_citation",
    "ledger_journalentry",
    "ledger_journalline",
}


def foreign_keys(table: str) -> list[tuple[str, bool, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, condeferrable, condeferred FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        return cursor.fetchall()


def test_bulk_tables_include_every_table_batches_write():
    assert set(bulk_tables()) >= BATCH_WRITTEN


@pytest.mark.django_db
def test_bulk_tables_foreign_keys_are_not_deferrable():
    for table in bulk_tables():
        keys = foreign_keys(table)
        assert keys, f"{table} has no foreign keys to check"
        assert [name for name, deferrable, _ in keys if deferrable] == [], table
    assert deferrable_foreign_keys() == []


@pytest.mark.django_db
def test_bulk_table_foreign_key_is_refused_at_the_statement_not_at_commit():
    # Deferred, the bad key would pass here and fail only at commit.
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(
            kind=CustomerKind.PERSON, name="Nobody, Merged", is_active=False, merged_into_id=-1
        )


@pytest.mark.django_db
def test_ledger_balance_check_stays_deferred_to_commit():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT condeferrable, condeferred FROM pg_constraint"
            " WHERE conname = 'ledger_journalentry_balanced'"
        )
        assert cursor.fetchone() == (True, True)


@pytest.mark.django_db(transaction=True)
def test_migrate_makes_keys_django_recreated_deferrable_immediate_again():
    # A later AlterField or AddField re-creates a key DEFERRABLE INITIALLY DEFERRED, as
    # the operation's reverse does here.
    undo = ImmediateForeignKeys("receivables_invoiceline", "ledger_journalline")
    try:
        with as_owner(), connection.cursor() as cursor:
            cursor.execute(undo.reverse_sql)
        deferred = {table for table, _ in deferrable_foreign_keys()}
        assert deferred == {"receivables_invoiceline", "ledger_journalline"}
        assert all(initially for _, _, initially in foreign_keys("receivables_invoiceline"))

        call_command("migrate", verbosity=0)

        assert deferrable_foreign_keys() == []
        assert not any(deferrable for _, deferrable, _ in foreign_keys("ledger_journalline"))
    finally:
        with as_owner():
            make_bulk_foreign_keys_immediate()
