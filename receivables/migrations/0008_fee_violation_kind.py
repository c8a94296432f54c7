from django.db import migrations, models


def mark_violation_codes(apps, schema_editor):
    """The demo schedule's violation codes: PKG-* are parking fines, ADMIN-CITATION the
    administrative one."""
    Fee = apps.get_model("receivables", "Fee")
    Fee.objects.filter(code__startswith="PKG-").update(violation_kind="parking")
    Fee.objects.filter(code="ADMIN-CITATION").update(violation_kind="administrative")


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0007_movements_are_posted"),
    ]

    operations = [
        migrations.AddField(
            model_name="fee",
            name="violation_kind",
            field=models.CharField(
                blank=True,
                choices=[("parking", "Parking"), ("administrative", "Administrative")],
                default="",
                max_length=20,
                verbose_name="violation of",
            ),
        ),
        migrations.AddField(
            model_name="feeevent",
            name="violation_kind",
            field=models.CharField(
                blank=True,
                choices=[("parking", "Parking"), ("administrative", "Administrative")],
                default="",
                max_length=20,
                verbose_name="violation of",
            ),
        ),
        migrations.RunPython(mark_violation_codes, migrations.RunPython.noop),
    ]
