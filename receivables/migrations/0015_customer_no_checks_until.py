"""A customer's "no checks" flag gets an end date (a returned check refuses checks for the
days cashiering's policy says; after it, checks are taken again).

Backwards, the audit triggers go first: pghistory's update trigger names every column in
its condition, so PostgreSQL refuses to drop the column under it. pgtrigger reinstalls
the triggers after every migrate."""

from django.db import migrations, models

DROP_AUDIT_TRIGGERS = """
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tgname FROM pg_trigger
             WHERE tgrelid = 'receivables_customer'::regclass
               AND NOT tgisinternal AND tgname LIKE 'pgtrigger\\_%'
    LOOP
        EXECUTE format('DROP TRIGGER %I ON receivables_customer', t.tgname);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0014_payment_voids"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="no_checks_until",
            field=models.DateField(blank=True, null=True, verbose_name="no checks through"),
        ),
        migrations.AddField(
            model_name="customerevent",
            name="no_checks_until",
            field=models.DateField(blank=True, null=True, verbose_name="no checks through"),
        ),
        migrations.RunSQL(migrations.RunSQL.noop, reverse_sql=DROP_AUDIT_TRIGGERS),
    ]
