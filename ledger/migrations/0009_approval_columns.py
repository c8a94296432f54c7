"""A journal draft takes its approval columns from
millbrae_finance.approvals.PreparedAndDecided (the columns are unchanged), and the check
that nobody decides their own draft its shared name and form: decided_by <> prepared_by,
which an undecided draft (no decider) passes as before."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_bulk_foreign_keys_immediate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="journaldraft",
            name="ledger_journaldraft_not_self_decided",
        ),
        migrations.AddConstraint(
            model_name="journaldraft",
            constraint=models.CheckConstraint(
                condition=models.Q(("decided_by", models.F("prepared_by")), _negated=True),
                name="ledger_journaldraft_approver_not_preparer",
            ),
        ),
    ]
