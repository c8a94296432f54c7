"""The programs tests start (a background worker, the demo seed, `manage.py ...`): the
environment they run in, so that they reach this test run's database.

Under pytest-xdist every worker has a test database of its own (`test_millbrae_gw0`, ...),
and a program started by a test must work on that one, not on the one named in
DATABASE_URL or TEST_DATABASE_NAME."""

import os

from django.db import connection

from millbrae_finance.benchmarks.pages import database_url


def worker_database_url() -> str:
    """This process's test database, as a DATABASE_URL: the same server, the app's role,
    host given as a host or as `?host=` (a socket folder) alike."""
    return database_url(connection.settings_dict)


def program_env(*, test_database: bool = False, **extra: str) -> dict[str, str]:
    """The environment of this process for a program it starts, without the asyncio
    escape hatch the browser tests set. With `test_database`, DATABASE_URL is this run's
    test database and the program connects as the app's role only (as the web app and its
    workers do)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    if test_database:
        env["DATABASE_URL"] = worker_database_url()
        env.pop("DATABASE_OWNER_URL", None)
    return {**env, **extra}
