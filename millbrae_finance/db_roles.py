"""Least privilege in the database: the web app and the workers connect as a role that owns
nothing and is not a superuser; migrations run as the owner.

The owner (`DATABASE_OWNER` in settings) owns every table, trigger and function. The app's
role may read and write the working tables, but on the books it may only append: it may
INSERT and SELECT journal entries and lines, never UPDATE, DELETE or TRUNCATE them; it
only reads kept balances and the period status log (triggers owned by the owner write
those); it may not delete or rewrite audit rows (pghistory's event tables) or their
context. Not owning a table, it cannot ALTER it or disable its triggers, and not being a
superuser it cannot set `session_replication_role`.

`privilege_statements()` is the whole policy; it is applied after every migrate (as the
owner) and printed by `manage.py db_roles` for a server set up by hand.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.db import connections

# The books: append and read only.
APPEND_ONLY_TABLES = (
    "ledger_journalentry",
    "ledger_journalline",
)
# Written only by the owner's triggers.
READ_ONLY_TABLES = (
    "ledger_accountbalance",
    "ledger_periodstatuschange",
    "django_migrations",
)
# Rows that are never deleted (their own triggers refuse changes that are not allowed).
NO_DELETE_TABLES = (
    "ledger_fiscalyear",
    "ledger_fiscalperiod",
    "receivables_artransaction",
    "pghistory_context",
)
# Confidential values (payables' bank account numbers and tax IDs): the app may add a
# row and read its id, never the value; payables_unseal() reads one value at a time.
SEALED_TABLES = ("payables_sealedvalue",)


def owner_settings() -> dict | None:
    """The owner's credentials, or None when the app connects as the owner itself."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    if not owner or owner.get("USER") == settings.DATABASES["default"].get("USER"):
        return None
    return owner


def app_role() -> str | None:
    """The role the app connects as, when it is not the owner."""
    if owner_settings() is None:
        return None
    return settings.DATABASES["default"]["USER"]


@contextmanager
def as_owner(alias: str = "default") -> Iterator[None]:
    """Run migrations (and a test suite's set-up and flush) as the owner: the connection
    is reopened with the owner's credentials and, after, as the app's role again."""
    with connected_as(owner_settings(), alias):
        yield


@contextmanager
def as_superuser(alias: str = "default") -> Iterator[None]:
    """Benchmark data loads only: a superuser may skip triggers (session_replication_role).
    Available on the embedded development server (settings.DATABASE_SUPERUSER)."""
    superuser = getattr(settings, "DATABASE_SUPERUSER", None)
    if not superuser:
        raise RuntimeError("This needs settings.DATABASE_SUPERUSER (the embedded server has it).")
    with connected_as(superuser, alias):
        yield


@contextmanager
def connected_as(credentials: dict | None, alias: str = "default") -> Iterator[None]:
    """Reopen this thread's connection with other credentials for the block.

    The settings dict is replaced on this thread's connection only, not changed in place:
    other threads (a test's live server) keep connecting as the app's role."""
    connection = connections[alias]
    if credentials is None or connection.settings_dict.get("USER") == credentials["USER"]:
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("Cannot switch database roles inside a transaction.")
    original = connection.settings_dict
    connection.close()
    connection.settings_dict = {**original, **credentials}
    try:
        yield
    finally:
        connection.close()
        # What ran meanwhile may have renamed the database (a test database).
        original["NAME"] = connection.settings_dict["NAME"]
        connection.settings_dict = original


def audit_tables() -> list[str]:
    """pghistory's event tables: the audit trail."""
    from pghistory.models import Event

    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and not model._meta.proxy and model._meta.managed
    )


def privilege_statements(role: str) -> list[str]:
    """The grants that make `role` the app's role in the current database."""
    quoted = '"' + role.replace('"', '""') + '"'
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE ON {table} FROM {quoted}")
    for table in READ_ONLY_TABLES:
        statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {quoted}")
    for table in NO_DELETE_TABLES:
        statements.append(f"REVOKE DELETE ON {table} FROM {quoted}")
    for table in SEALED_TABLES:
        statements.append(f"REVOKE SELECT, UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}")
        statements.append(f"GRANT SELECT (id) ON {table} TO {quoted}")
    for table in audit_tables():
        statements.append(f'REVOKE UPDATE, DELETE ON "{table}" FROM {quoted}')
    return statements


def role_statements(owner: str, app: str, database: str) -> list[str]:
    """CREATE ROLE statements for a server set up by hand (run as a superuser)."""
    return [
        f"CREATE ROLE {owner} LOGIN PASSWORD 'change-me-owner'",
        f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
        " PASSWORD 'change-me-app'",
        f"ALTER DATABASE {database} OWNER TO {owner}",
        f"GRANT CONNECT ON DATABASE {database} TO {app}",
    ]


def apply_privileges(using: str = "default") -> bool:
    """Grant the app's role its privileges in the database of `using`, connected as the
    owner. Returns False (and does nothing) when there is no separate app role or the
    connection is not the owner's."""
    role = app_role()
    connection = connections[using]
    owner = owner_settings()
    if role is None or connection.settings_dict.get("USER") != owner["USER"]:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return False
        # One round trip: this runs after every migrate.
        cursor.execute(";\n".join(privilege_statements(role)))
    return True


_skip_grants = False


@contextmanager
def grants_unchanged() -> Iterator[None]:
    """A flush empties tables but keeps their grants: skip re-granting after it."""
    global _skip_grants
    _skip_grants = True
    try:
        yield
    finally:
        _skip_grants = False


def grant_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate, sent once per app: after the last one, every table that now exists
    gets the app's privileges."""
    if _skip_grants:
        return
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender is last:
        apply_privileges(using)
