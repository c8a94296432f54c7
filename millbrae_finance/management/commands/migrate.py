"""`migrate` runs as the database owner (settings.DATABASE_OWNER); the app's role, which
everything else connects as, owns nothing and cannot change the schema."""

from django.core.management.commands.migrate import Command as DjangoMigrate

from millbrae_finance.db_roles import as_owner


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        with as_owner(options["database"]):
            return super().handle(*args, **options)
