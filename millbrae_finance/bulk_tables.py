"""Tables written in bulk check their foreign keys per statement, not at commit.

Django creates every foreign key DEFERRABLE INITIALLY DEFERRED: PostgreSQL then queues
one check per inserted row until commit. In a table with an AFTER trigger that runs a
statement per row (pghistory's audit trigger), a bulk insert with that queue grows worse
than linearly (measured on customers: 10,000 rows 164 us a row, 40,000 rows 479 us a
row; with the keys checked per statement, 56 and 48 us; `manage.py benchmark --only
audited_bulk_insert` shows it on invoice lines). So the foreign keys of every
table that batches write are NOT DEFERRABLE: checked at the end of each statement,
which a service writing parents before children (an entry before its lines, an invoice
before its lines) never notices. The ledger's balance checks are constraint triggers,
not foreign keys: they stay deferred to commit.

Apps register their bulk tables in AppConfig.ready(). The migrations that introduced
this made the keys of the tables then known immediate; after every migrate the keys of
every registered table are made immediate again, because Django re-creates a foreign
key DEFERRABLE when a later migration alters or adds one. A new bulk table (bills,
meter reads) needs only its registration; tests/millbrae_finance/test_bulk_tables.py
checks that no registered table has a deferrable key.
"""

from django.apps import apps
from django.db import connections, models
from django.db.migrations.operations import RunSQL

_bulk_tables: set[str] = set()


def register_bulk_tables(*models_: type[models.Model]) -> None:
    """Register models whose tables are written in bulk: their foreign keys become (and
    stay, after every migrate) NOT DEFERRABLE."""
    _bulk_tables.update(model._meta.db_table for model in models_)


def bulk_tables() -> list[str]:
    return sorted(_bulk_tables)


# The foreign keys of the named tables (those that exist) that are, or are not, deferrable.
_FOREIGN_KEYS = """
    SELECT conrelid::regclass::text AS relname, conname
      FROM pg_constraint
     WHERE contype = 'f'
       AND condeferrable = {deferrable}
       AND conrelid IN (SELECT to_regclass(name) FROM unnest(ARRAY[{tables}]::text[]) AS name)
"""

# relname is regclass text: already quoted where the name needs it.
_ALTER_ALL = """
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN {foreign_keys}
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I {to}', fk.relname, fk.conname);
    END LOOP;
END
$$
"""


def _literal_list(tables: list[str] | tuple[str, ...]) -> str:
    for table in tables:
        if not table.replace("_", "").isalnum():
            raise ValueError(f"Not a table name: {table!r}")
    return ", ".join(f"'{table}'" for table in tables)


def foreign_keys_sql(tables: list[str] | tuple[str, ...], *, deferrable: bool) -> str:
    """One statement that makes every foreign key of `tables` NOT DEFERRABLE, or (for a
    migration's reverse) DEFERRABLE INITIALLY DEFERRED as Django made it."""
    select = _FOREIGN_KEYS.format(
        deferrable="false" if deferrable else "true", tables=_literal_list(tables)
    )
    to = "DEFERRABLE INITIALLY DEFERRED" if deferrable else "NOT DEFERRABLE"
    return _ALTER_ALL.format(foreign_keys=select.strip(), to=to)


class ImmediateForeignKeys(RunSQL):
    """A migration operation: the foreign keys of `tables` become NOT DEFERRABLE;
    reversed, DEFERRABLE INITIALLY DEFERRED again."""

    def __init__(self, *tables: str) -> None:
        self.tables = tables
        super().__init__(
            foreign_keys_sql(tables, deferrable=False),
            reverse_sql=foreign_keys_sql(tables, deferrable=True),
        )

    def deconstruct(self) -> tuple[str, tuple[str, ...], dict]:
        return (f"{__name__}.{type(self).__name__}", self.tables, {})

    def describe(self) -> str:
        return f"Foreign keys of {', '.join(self.tables)} NOT DEFERRABLE"


def deferrable_foreign_keys(using: str = "default") -> list[tuple[str, str]]:
    """(table, constraint) for each foreign key of a registered table still deferrable."""
    tables = bulk_tables()
    if not tables:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            _FOREIGN_KEYS.format(deferrable="true", tables=_literal_list(tables)) + " ORDER BY 1, 2"
        )
        return [(table, name) for table, name in cursor.fetchall()]


def make_bulk_foreign_keys_immediate(using: str = "default") -> int:
    """Make every foreign key of every registered table NOT DEFERRABLE (as the owner of
    the tables); return how many were deferrable."""
    found = deferrable_foreign_keys(using)
    if found:
        with connections[using].cursor() as cursor:
            cursor.execute(foreign_keys_sql(bulk_tables(), deferrable=False))
    return len(found)


def immediate_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate, sent once per app: after the last one, every registered table's keys
    are immediate, whatever a migration re-created. (After a flush it finds none to
    change: one query.)"""
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender is last:
        make_bulk_foreign_keys_immediate(using)
