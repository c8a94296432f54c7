# Journal entries and lines are written in bulk (batch posting): their foreign keys are
# checked per statement, not queued per row until commit (see millbrae_finance.bulk_tables).
# The balance checks are constraint triggers, not foreign keys: they stay deferred.

from django.db import migrations

from millbrae_finance.bulk_tables import ImmediateForeignKeys


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_period_status_guarded")]

    operations = [ImmediateForeignKeys("ledger_journalentry", "ledger_journalline")]
