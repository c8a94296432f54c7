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
OWNER_ROLE = "millbrae_owner"
APP_ROLE = "millbrae_app"

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
    # One psql call a start: it costs a process, and settings load on every command.
    # Everything here is idempotent; the names are constants of this module, never input.
    state = server.psql(
        "SELECT 'db:' || EXISTS (SELECT 1 FROM pg_database WHERE datname = "  # noqa: S608
        f"'{DATABASE_NAME}') || ' roles:' || (SELECT count(*) FROM pg_roles WHERE rolname "
        f"IN ('{OWNER_ROLE}', '{APP_ROLE}')) || ' legacy:' || (SELECT count(*) FROM "
        "pg_database WHERE NOT datistemplate AND datname <> 'postgres' AND "
        "pg_get_userbyid(datdba) <> 'millbrae_owner');"
    )
    if "roles:2" not in state:
        server.psql(_ROLES_SQL)
    if "db:false" in state:
        server.psql(f"CREATE DATABASE {DATABASE_NAME} OWNER {OWNER_ROLE};")
    elif "legacy:0" not in state:
        server.psql(_LEGACY_OWNERSHIP_SQL)
    info = server.get_postmaster_info()
    host = str(info.socket_dir) if info.socket_dir else "localhost"
    return {
        "NAME": DATABASE_NAME,
        "USER": APP_ROLE,
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(info.port or ""),
    }


def owner_settings() -> dict[str, str]:
    """The owner's credentials on the embedded server: migrations run as this role."""
    return {"USER": OWNER_ROLE, "PASSWORD": ""}


def superuser_settings() -> dict[str, str]:
    """The server's superuser: only the benchmark's bulk loads connect as it."""
    return {"USER": "postgres", "PASSWORD": ""}


# The owner creates the databases (the test suite's too) and owns every object; the app's
# role owns nothing, is no superuser, and gets its grants after each migrate
# (millbrae_finance/db_roles.py). The server trusts local connections: development only.
_ROLES_SQL = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
        CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
END $$;
"""  # noqa: S608 (names are constants of this module)

# A server made before the roles existed had everything owned by postgres: hand the
# databases and the objects of the main one to the owner, once.
_LEGACY_OWNERSHIP_SQL = f"""
DO $$ DECLARE d record; BEGIN
    FOR d IN SELECT datname FROM pg_database WHERE NOT datistemplate
             AND datname <> 'postgres' AND pg_get_userbyid(datdba) <> '{OWNER_ROLE}' LOOP
        EXECUTE format('ALTER DATABASE %I OWNER TO {OWNER_ROLE}', d.datname);
    END LOOP;
END $$;
\\c {DATABASE_NAME}
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               AND pg_get_userbyid(c.relowner) <> '{OWNER_ROLE}' LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO {OWNER_ROLE}', r.name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{OWNER_ROLE}' LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO {OWNER_ROLE}', r.name);
    END LOOP;
END $$;
"""  # noqa: S608
