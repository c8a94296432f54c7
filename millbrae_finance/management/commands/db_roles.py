"""Print or apply the database roles: the owner that migrations run as, and the app's
role that owns nothing (millbrae_finance/db_roles.py).

    manage.py db_roles            print the SQL, to run as a superuser on a new server
    manage.py db_roles --apply    grant the app's role its privileges (connects as owner)
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from millbrae_finance import db_roles


class Command(BaseCommand):
    help = "Print the SQL that creates the owner and app roles, or apply the app's grants."

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="grant the app's role its privileges now"
        )

    def handle(self, *args, apply: bool = False, **options):
        database = settings.DATABASES["default"]
        app = database.get("USER") or "millbrae_app"
        owner = (db_roles.owner_settings() or {}).get("USER") or "millbrae_owner"
        if apply:
            if db_roles.app_role() is None:
                raise CommandError(
                    "The app connects as the owner: set DATABASE_OWNER_URL to the owner's "
                    "URL and DATABASE_URL to the app role's, then run this again."
                )
            with db_roles.as_owner():
                if not db_roles.apply_privileges():
                    raise CommandError(f"Role {app} does not exist: create it first.")
            self.stdout.write(f"Granted {app} its privileges in {database['NAME']}.")
            return
        self.stdout.write("-- As a superuser, once per server:")
        for statement in db_roles.role_statements(owner, app, database["NAME"]):
            self.stdout.write(statement + ";")
        self.stdout.write(
            "-- Then, connected to the database as the owner (migrate does this too):"
        )
        for statement in db_roles.privilege_statements(app):
            self.stdout.write(statement + ";")
