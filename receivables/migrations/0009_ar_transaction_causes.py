"""Every AR movement names what caused it, once: a `cause` column, unique in the
database, so a retried payment, posting or batch cannot move the subledger twice.

Movements written before it get their cause from what is known of them (the backfill
in sql/0009_ar_transaction_causes.sql), then the column is required and unique."""

from pathlib import Path

from django.db import migrations, models

BACKFILL = (Path(__file__).parent / "sql" / "0009_ar_transaction_causes.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("receivables", "0008_fee_violation_kind")]

    operations = [
        # Existing rows start empty and are named by the backfill; an event written
        # before this change keeps an empty cause (it was not recorded then).
        migrations.AddField(
            model_name="artransaction",
            name="cause",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="artransactionevent",
            name="cause",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="artransaction",
            constraint=models.UniqueConstraint(
                fields=("cause",),
                name="receivables_artx_cause_unique",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.AddConstraint(
            model_name="artransaction",
            constraint=models.CheckConstraint(
                condition=models.Q(("cause__gt", "")), name="receivables_artx_cause_given"
            ),
        ),
    ]
