import pghistory
from django.core.management.base import BaseCommand

from millbrae_finance.demo import DEMO_USERS, run_seeders


class Command(BaseCommand):
    help = (
        "Load the demo data (idempotent, all or nothing: a run stopped halfway leaves no "
        "data, and the next run loads it all) and optionally print the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-logins", action="store_true", help="Print the demo users and passwords."
        )

    def handle(self, *args, print_logins: bool = False, verbosity: int = 1, **options):
        def log(message: str) -> None:
            if verbosity > 1:
                self.stdout.write(message)

        if verbosity > 0:
            # A minute or so of work in one transaction: nothing shows until it commits.
            self.stdout.write("Loading the demo data (all or nothing; about a minute)...")
            self.stdout.flush()
        # The audit trail names the command as the source of everything it writes.
        with pghistory.context(command="seed_demo"):
            run_seeders(log)
        if verbosity > 0:
            self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        if print_logins:
            self.stdout.write("\nDemo logins (user / password / role):")
            for demo in DEMO_USERS:
                self.stdout.write(f"  {demo.username:<11} {demo.password:<16} {demo.role.label}")
