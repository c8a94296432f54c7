from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0002_ledger_invariants.sql").read_text()

REVERSE = """
DROP TRIGGER IF EXISTS ledger_accountbalance_no_delete ON ledger_accountbalance;
DROP TRIGGER IF EXISTS ledger_journalentry_balanced ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_journalline_valid ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalentry_open_period ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_journalline_immutable ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_journalentry_immutable ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
DROP FUNCTION IF EXISTS ledger_check_line();
DROP FUNCTION IF EXISTS ledger_check_entry_period();
DROP FUNCTION IF EXISTS ledger_refuse_change();
ALTER TABLE ledger_journalentry DROP COLUMN IF EXISTS created_xact;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
