from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0005_account_fixed_once_posted.sql").read_text()

REVERSE = """
DROP TRIGGER IF EXISTS ledger_account_fixed_once_posted ON ledger_account;
DROP FUNCTION IF EXISTS ledger_account_fixed_once_posted();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_fewer_posting_indexes")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
