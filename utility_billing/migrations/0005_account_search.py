from pathlib import Path

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0005_account_search.sql").read_text()
REVERSE_SQL = """
    DROP TRIGGER utility_billing_location_search_words ON utility_billing_servicelocation;
    DROP FUNCTION utility_billing_location_search_words();
    DROP TRIGGER utility_billing_customer_search_words ON receivables_customer;
    DROP FUNCTION utility_billing_customer_search_words();
    DROP TRIGGER utility_billing_account_search_words ON utility_billing_utilityaccount;
    DROP FUNCTION utility_billing_account_search_words();
    DROP FUNCTION utility_billing_account_search_vector(text, bigint, bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0011_approval_columns"),
        ("utility_billing", "0004_reads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="utilityaccount",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
        migrations.AddIndex(
            model_name="utilityaccount",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="utility_account_search"
            ),
        ),
    ]
