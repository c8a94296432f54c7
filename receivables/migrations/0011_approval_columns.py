"""Credit memos and write-offs take their approval columns from
millbrae_finance.approvals.PreparedAndDecided: the users' reverse accessors go ("+"; no
code used them), and a write-off's `requested_by` is renamed `prepared_by` (the column
and its audit copy are renamed in place: no row changes). The check that nobody decides
what they prepared keeps its rule under the shared name
`receivables_writeoff_approver_not_preparer`. The audit triggers, which name the
columns, are reinstalled by pgtrigger after every migrate."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0010_bulk_foreign_keys_immediate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="creditmemo",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="creditmemo",
            name="prepared_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="writeoff",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="writeoff",
            name="receivables_writeoff_approver_not_requester",
        ),
        migrations.AlterField(
            model_name="writeoff",
            name="requested_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RenameField(
            model_name="writeoff",
            old_name="requested_by",
            new_name="prepared_by",
        ),
        migrations.RenameField(
            model_name="writeoffevent",
            old_name="requested_by",
            new_name="prepared_by",
        ),
        migrations.AddConstraint(
            model_name="writeoff",
            constraint=models.CheckConstraint(
                condition=models.Q(("decided_by", models.F("prepared_by")), _negated=True),
                name="receivables_writeoff_approver_not_preparer",
            ),
        ),
    ]
