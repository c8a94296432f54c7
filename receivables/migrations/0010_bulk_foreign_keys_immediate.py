# The tables that batches write (imports, bill runs, penalty and dunning batches) check
# their foreign keys per statement, not queued per row until commit: with the audit
# trigger's statement per row, that queue made bulk inserts worse than linear (see
# millbrae_finance.bulk_tables).

from django.db import migrations

from millbrae_finance.bulk_tables import ImmediateForeignKeys


class Migration(migrations.Migration):
    dependencies = [("receivables", "0009_ar_transaction_causes")]

    operations = [
        ImmediateForeignKeys(
            "receivables_customer",
            "receivables_invoice",
            "receivables_invoiceline",
            "receivables_artransaction",
            "receivables_citation",
            "receivables_dunningnotice",
            "receivables_collectionreferral",
        )
    ]
