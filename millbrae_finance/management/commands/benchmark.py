import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from millbrae_finance.benchmarks import BenchmarkContext, Figure, registered_workloads
from millbrae_finance.db_roles import as_owner

# Created, migrated and dropped on every run, on the server the default connection uses:
# the workloads never see the development (or any other) database. Two people benchmarking
# on one server name a database each (BENCHMARK_DATABASE_NAME).
BENCHMARK_DATABASE = os.environ.get("BENCHMARK_DATABASE_NAME", "millbrae_benchmark")
QUICK_SCALE = 0.1


class Command(BaseCommand):
    help = (
        "Run the registered benchmark workloads in a throwaway database and print each "
        "figure beside its baseline, measured in the same run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quick", action="store_true", help="Run every workload at a tenth of its size."
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print one JSON object per figure, one per line.",
        )
        parser.add_argument("--only", metavar="NAME", help="Run only the named workload.")

    def handle(
        self, *args: Any, quick: bool, as_json: bool, only: str | None, **options: Any
    ) -> None:
        workloads = registered_workloads()
        if only is not None:
            if only not in workloads:
                known = ", ".join(sorted(workloads)) or "none"
                raise CommandError(f"No workload named {only!r} (registered: {known}).")
            workloads = {only: workloads[only]}

        context = BenchmarkContext(scale=QUICK_SCALE if quick else 1.0)
        with benchmark_database():
            for workload in workloads.values():
                workload(context)

        for figure in context.figures:
            self.stdout.write(json.dumps(figure.as_dict()) if as_json else as_text(figure))


@contextmanager
def benchmark_database() -> Iterator[None]:
    """Point the default connection at a fresh, migrated benchmark database for the block,
    then drop it and point the connection back."""
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    if old_name == BENCHMARK_DATABASE:
        raise CommandError(f"The default database is {BENCHMARK_DATABASE!r}: refusing to drop it.")
    old_test_name = settings_dict["TEST"].get("NAME")
    settings_dict["TEST"]["NAME"] = BENCHMARK_DATABASE
    try:
        # The owner creates and migrates it; the workloads run as the app's role.
        with as_owner():
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        yield
    finally:
        # destroy_test_db drops whatever the connection points at: only ever ours.
        if connection.settings_dict["NAME"] == BENCHMARK_DATABASE:
            with as_owner():
                connection.creation.destroy_test_db(old_name, verbosity=0)
        settings_dict["TEST"]["NAME"] = old_test_name


def as_text(figure: Figure) -> str:
    return (
        f"{figure.name:<16} {figure.value:>9.1f} {figure.unit:<6}  "
        f"baseline {figure.baseline} {figure.baseline_value:.1f} {figure.unit}  "
        f"ratio {figure.ratio:.2f}"
    )
