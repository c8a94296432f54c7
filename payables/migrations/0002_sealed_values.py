from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0002_sealed_values.sql").read_text()
REVERSE = """
DROP TRIGGER IF EXISTS payables_sealedvalue_immutable ON payables_sealedvalue;
DROP FUNCTION IF EXISTS payables_sealedvalue_immutable();
DROP FUNCTION IF EXISTS payables_unseal(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("payables", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
