from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0004_fee_versions_no_overlap.sql").read_text()

REVERSE = """
DROP TRIGGER IF EXISTS receivables_fee_versions_no_overlap ON receivables_fee;
DROP FUNCTION IF EXISTS receivables_fee_versions_no_overlap();
"""


class Migration(migrations.Migration):
    dependencies = [("receivables", "0003_fee_schedule")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
