"""`flush` (used between a test suite's transactional tests) empties every table, which
only the owner may do: the app's role may not TRUNCATE, least of all the books."""

from django.core.management.commands.flush import Command as DjangoFlush

from millbrae_finance.db_roles import as_owner, grants_unchanged


class Command(DjangoFlush):
    def handle(self, **options):
        with as_owner(options["database"]), grants_unchanged():
            return super().handle(**options)
