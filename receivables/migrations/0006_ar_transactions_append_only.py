from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0006_ar_transactions_append_only.sql").read_text()

REVERSE = """
DROP TRIGGER IF EXISTS receivables_artransaction_append_only ON receivables_artransaction;
DROP FUNCTION IF EXISTS receivables_artransaction_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("receivables", "0005_billing_citations_collections")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
