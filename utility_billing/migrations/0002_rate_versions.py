from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0002_rate_versions.sql").read_text()

REVERSE = """
DROP TRIGGER IF EXISTS utility_billing_ratecharge_draft_only ON utility_billing_ratecharge;
DROP FUNCTION IF EXISTS utility_billing_ratecharge_draft_only();
DROP TRIGGER IF EXISTS utility_billing_rateversion_fixed ON utility_billing_rateversion;
DROP FUNCTION IF EXISTS utility_billing_rateversion_fixed();
DROP TRIGGER IF EXISTS utility_billing_rateversion_checks ON utility_billing_rateversion;
DROP FUNCTION IF EXISTS utility_billing_rateversion_checks();
"""


class Migration(migrations.Migration):
    dependencies = [("utility_billing", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
