"""The embedded PostgreSQL server used when DATABASE_URL is unset.

The `pgserver` package ships PostgreSQL's binaries inside a wheel, so a fresh machine with
nothing but Python gets a real server under `.local/pgdata`. The server outlives the
process that started it (cleanup_mode=None), so `make run`, `manage.py shell` and the test
suite all reach the same one, and a second start costs a file read, not an initdb.
"""

import os
import warnings
from pathlib import Path

DATABASE_NAME = "millbrae"

# This server holds development and test data only. Durability is traded for speed: the
# test suite creates and migrates a database per run, and with fsync on that spends most
# of its time waiting for the disk. Never set these on a server that holds the city's books.
_DEV_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def database_settings(base_dir: Path) -> dict[str, str]:
    """Start (or find) the embedded server and return Django's connection settings."""
    local = base_dir / ".local"
    local.mkdir(exist_ok=True)
    # pgserver keeps its start-up lock in the user's runtime folder, read once on import;
    # point that at .local/run so nothing is written outside the checkout.
    runtime = local / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver  # here: only machines without DATABASE_URL need it
    finally:
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous

    pgdata = local / "pgdata"
    fresh = not (pgdata / "PG_VERSION").exists()
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    if fresh:
        for name, value in _DEV_SETTINGS.items():
            server.psql(f"ALTER SYSTEM SET {name} = '{value}';")
        server.psql("SELECT pg_reload_conf();")
    # DATABASE_NAME is a constant of this module, never input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    info = server.get_postmaster_info()
    host = str(info.socket_dir) if info.socket_dir else "localhost"
    return {
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(info.port or ""),
    }
