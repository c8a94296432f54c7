from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).parent / "sql" / "0004_role_segregation.sql").read_text()

REVERSE = """
DROP TRIGGER IF EXISTS millbrae_role_groups_fixed ON auth_group;
DROP FUNCTION IF EXISTS millbrae_role_groups_fixed();
DROP TRIGGER IF EXISTS millbrae_user_groups_segregated ON auth_user_groups;
DROP FUNCTION IF EXISTS millbrae_user_groups_segregated();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("millbrae_finance", "0003_user_login_and_password_events"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
