"""The six roles of DESIGN.md, as Django groups. Their permissions are synced after every
migrate (millbrae_finance.services.sync_role_permissions), since later apps add models."""

from django.db import migrations

ROLES = [
    "Counter Clerk",
    "Accounting Technician",
    "Senior Accounting Technician",
    "Finance Supervisor",
    "Auditor",
    "Administrator",
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("millbrae_finance", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
