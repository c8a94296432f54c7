import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from millbrae_finance.roles import Role

ROLE_USERNAMES = {
    Role.COUNTER_CLERK: "t_clerk",
    Role.ACCOUNTING_TECHNICIAN: "t_tech",
    Role.SENIOR_ACCOUNTING_TECHNICIAN: "t_senior",
    Role.FINANCE_SUPERVISOR: "t_supervisor",
    Role.AUDITOR: "t_auditor",
    Role.ADMINISTRATOR: "t_admin",
}
TEST_PASSWORD = "correct-horse-battery-staple"

REPO = Path(__file__).resolve().parents[1]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_allowed_roots: list[str] = []


def _writes_outside_allowed(event: str, args: tuple) -> None:
    """Audit hook: refuse a file opened for writing outside the repo and pytest's
    temporary folder. A test that wrote to /tmp/shots/ passed on the one machine that had
    that folder and failed on every other."""
    if event != "open" or not _allowed_roots:
        return
    path, mode, flags = args
    if not isinstance(path, str | bytes) or not path:
        return
    writing = (mode is not None and any(c in mode for c in "wax+")) or (
        mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
    )
    if not writing:
        return
    path = os.fsdecode(path)
    full = os.path.normpath(os.path.abspath(path))
    if full.startswith("/dev/") or any(
        full == root or full.startswith(root + os.sep) for root in _allowed_roots
    ):
        return
    raise PermissionError(
        f"Tests write only inside the repo or pytest's tmp_path, not {full}: "
        "another machine does not have that folder."
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # Temporary files (tempfile, and the programs tests start) go under pytest's own
    # temporary folder, which every machine has.
    base = config._tmp_path_factory.getbasetemp() / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(base)
    tempfile.tempdir = str(base)
    _allowed_roots[:] = [
        str(REPO),
        str(config._tmp_path_factory.getbasetemp()),
        # The files the run's pytest-xdist workers share, in their common folder.
        *(
            str(_demo_seed_file(config._tmp_path_factory, s))
            for s in ("lock", "log", "done", "pid")
        ),
    ]
    if not getattr(sys, "_millbrae_write_guard", False):
        sys.addaudithook(_writes_outside_allowed)
        sys._millbrae_write_guard = True


NEEDS_DEMO = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config, items):
    """Tests marked slow (a minute or more) run first: on pytest-xdist the workers then
    share out the short ones around them and finish together, rather than one of them
    starting the page walk when the others are nearly done. The demo's tests run last,
    slow ones first among them: the demo is seeded beside the other tests meanwhile
    (demo_seed_started)."""
    config.stash[NEEDS_DEMO] = any(_uses_demo(item) for item in items)
    items.sort(key=lambda item: (_uses_demo(item), item.get_closest_marker("slow") is None))


@pytest.fixture(scope="session", autouse=True)
def benchmark_database_name(django_db_modify_db_settings):
    """The benchmark's throwaway database is named after this run's test database
    (`test_millbrae_gw0_benchmark` on pytest-xdist's first worker), so workers side by
    side, or checkouts sharing one server, never create and drop the same one. The
    command run in this process reads the setting; `manage.py benchmark` started by a test
    inherits the environment."""
    from django.conf import settings
    from django.test.utils import override_settings

    name = settings.DATABASES["default"]["TEST"]["NAME"] + "_benchmark"
    previous = os.environ.get("BENCHMARK_DATABASE_NAME")
    os.environ["BENCHMARK_DATABASE_NAME"] = name
    with override_settings(BENCHMARK_DATABASE_NAME=name):
        yield name
    if previous is None:
        os.environ.pop("BENCHMARK_DATABASE_NAME", None)
    else:
        os.environ["BENCHMARK_DATABASE_NAME"] = previous


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at Django's work factor takes about a third of a second a user; tests make
    # hundreds of users and prove nothing about hashing strength.
    settings.PASSWORD_HASHERS = FAST_HASHERS


def make_user(role: Role | None, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or ROLE_USERNAMES[role], password=TEST_PASSWORD, first_name="Test"
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def role_users(db) -> dict[Role, User]:
    """One user in each role."""
    return {role: make_user(role) for role in Role}


@pytest.fixture
def clerk(db) -> User:
    return make_user(Role.COUNTER_CLERK)


@pytest.fixture
def auditor(db) -> User:
    return make_user(Role.AUDITOR)


@pytest.fixture
def administrator(db) -> User:
    return make_user(Role.ADMINISTRATOR)


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user: User):
        client.force_login(user)
        return client

    return login


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's set-up, with the test database created and migrated by the owner;
    every test then connects as the app's role, which owns nothing, as the app does."""
    from django.test.utils import setup_databases, teardown_databases

    from millbrae_finance.db_roles import as_owner

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock(), as_owner():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=keepdb,
            aliases={"default"},
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock(), as_owner():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


# ---------------------------------------------------------------- the demo, seeded once

# The demo's database beside this run's test database (`test_millbrae_gw0_demo`).
DEMO_DATABASE_SUFFIX = "_demo"


def _owner_server_connection():
    """A connection of the owner's to the server's maintenance database, in autocommit:
    CREATE and DROP DATABASE run outside any transaction and outside the database they
    copy or drop."""
    import psycopg
    from django.db import connection

    from millbrae_finance.db_roles import owner_settings

    params = connection.get_connection_params()
    owner = owner_settings() or {}
    params.update(
        dbname="postgres",
        user=owner.get("USER") or params.get("user"),
        password=owner.get("PASSWORD") or params.get("password"),
    )
    params = {key: value for key, value in params.items() if value not in (None, "")}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return psycopg.connect(**params, autocommit=True)


@contextlib.contextmanager
def on_database(name: str):
    """This thread's connection reopened on another database of the same server for the
    block (its role unchanged), then on the test database again."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    if connection.in_atomic_block:
        raise RuntimeError("Cannot switch databases inside a transaction.")
    original = connection.settings_dict
    connection.close()
    connection.settings_dict = {**original, "NAME": name}
    # Content type ids are the database's: the demo, seeded from another xdist worker's
    # test database, may number them otherwise. The cache of them is per process.
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = original
        ContentType.objects.clear_cache()


def _copy_database(source: str, target: str) -> None:
    """`target` made afresh as a copy of `source` (CREATE DATABASE ... TEMPLATE, a file
    copy: a second or so for a migrated, empty database). The copy needs nobody else on
    `source`; a program a test started may still be closing its connection, so a few
    tries."""
    import psycopg
    from psycopg import sql

    with _owner_server_connection() as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
        for attempt in range(20):
            try:
                server.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(target), sql.Identifier(source)
                    )
                )
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 19:
                    raise
                time.sleep(0.25)


def _drop_database(name: str) -> None:
    from psycopg import sql

    with _owner_server_connection() as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _demo_seed_file(tmp_path_factory, suffix: str) -> Path:
    """A file every pytest-xdist worker of this run sees (the run's shared temporary
    folder): `lock` is held while the seed is started or copied, `log` is the seeding
    program's output, `pid` its process id, `done` is written when it has finished
    (`ok`, or why it failed)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    return root / f"demo-seed.{suffix}"


def _demo_seed_lock(tmp_path_factory) -> Path:
    return _demo_seed_file(tmp_path_factory, "lock")


def _demo_seed_name(test_name: str) -> str:
    """The run's seed: the test database's name without the xdist worker's suffix."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return (test_name.removesuffix(f"_{worker}") if worker else test_name) + "_demo_seed"


# The seeding program: the demo loaded the way `make run` loads it, as the app's role,
# into the seed database, then ANALYZEd as the owner; the demo users' passwords hashed
# as the tests hash theirs (fast_password_hashing).
DEMO_SEED_PROGRAM = """
import os, sys, traceback
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millbrae_finance.settings")
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from millbrae_finance.db_roles import as_owner
seed, done, hashers = sys.argv[1], sys.argv[2], sys.argv[3:]
connection.settings_dict["NAME"] = seed
try:
    with override_settings(PASSWORD_HASHERS=hashers):
        call_command("seed_demo", verbosity=1)
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    status = "ok"
except BaseException:
    status = "failed: " + traceback.format_exc()
finally:
    connection.close()
with open(done + ".part", "w") as out:
    out.write(status)
os.replace(done + ".part", done)
"""


def _start_demo_seed(tmp_path_factory, test_name: str) -> None:
    """Start seeding the run's demo, once per run, in a program of its own beside the
    tests (the caller holds the lock and has closed its connection). The seed is a copy
    of this worker's freshly migrated test database, made before any test wrote to it."""
    import subprocess

    log = _demo_seed_file(tmp_path_factory, "log")
    if log.exists():
        return
    _copy_database(test_name, _demo_seed_name(test_name))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    with open(log, "w") as out:
        program = subprocess.Popen(
            [
                sys.executable,
                "-c",
                DEMO_SEED_PROGRAM,
                _demo_seed_name(test_name),
                str(_demo_seed_file(tmp_path_factory, "done")),
                *FAST_HASHERS,
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _demo_seed_file(tmp_path_factory, "pid").write_text(str(program.pid))


def _running(pid: int) -> bool:
    """The process is alive (a finished child of this worker not yet reaped counts as
    gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _uses_demo(item) -> bool:
    return bool({"demo_db", "demo_database"} & set(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session", autouse=True)
def demo_seed_started(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """When the run has demo tests, the first worker starts seeding the demo as soon as
    its test database is migrated: the seed (a minute and a half of a core) then runs
    beside the other tests, not while a worker waits for it. The demo tests are ordered
    last (pytest_collection_modifyitems)."""
    import fcntl

    from django.db import connection

    if not request.config.stash.get(NEEDS_DEMO, False):
        return
    with django_db_blocker.unblock(), open(_demo_seed_lock(tmp_path_factory), "a") as lock:
        connection.close()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _start_demo_seed(tmp_path_factory, connection.settings_dict["NAME"])
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_database(
    demo_seed_started, django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[str]:
    """The whole demo (`manage.py seed_demo`), seeded once per test run into a database of
    its own, committed, with planner statistics; each pytest-xdist worker reads a copy.

    The demo is thousands of accounts and two years of reads and bills: seeded inside
    each test's transaction, as the demo tests once did, it cost a minute or more a test,
    and its queries ran without statistics (ANALYZE cannot see into a transaction that
    has not committed), some of them for minutes. Here a program of its own seeds it the
    way `make run` seeds it, as the app's role, then ANALYZEs it as the owner
    (DEMO_SEED_PROGRAM), started at the beginning of the run (demo_seed_started). Tests
    read it through `demo_db`, each in a transaction rolled back at its end, so none sees
    another's writes. The seed database is dropped at the end of the run
    (pytest_sessionfinish)."""
    import fcntl

    from django.db import connection

    test_name = connection.settings_dict["NAME"]
    name = test_name + DEMO_DATABASE_SUFFIX
    done = _demo_seed_file(tmp_path_factory, "done")
    lock_path = _demo_seed_lock(tmp_path_factory)
    deadline = time.monotonic() + 30 * 60
    pid = int(_demo_seed_file(tmp_path_factory, "pid").read_text())
    while not done.exists():
        if time.monotonic() > deadline:
            pytest.fail("The demo seed did not finish in 30 minutes.")
        if not _running(pid) and not done.exists():
            log = _demo_seed_file(tmp_path_factory, "log").read_text()
            pytest.fail(f"The demo seed stopped before it finished:\n{log[-4000:]}")
        time.sleep(0.5)
    status = done.read_text()
    if status != "ok":
        log = _demo_seed_file(tmp_path_factory, "log").read_text()
        pytest.fail(f"The demo seed failed:\n{status}\n{log[-4000:]}")
    with django_db_blocker.unblock(), open(lock_path, "a") as lock:
        connection.close()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _copy_database(_demo_seed_name(test_name), name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    yield name
    with django_db_blocker.unblock():
        connection.close()
        _drop_database(name)


def pytest_sessionfinish(session):
    """The run's demo seed is dropped once, by the process that ran the session (the
    pytest-xdist controller, or pytest alone), after every worker has finished with it;
    a seed still running (a run cut short) is stopped first."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    factory = session.config._tmp_path_factory
    log = _demo_seed_file(factory, "log")
    if not log.exists():
        return
    from django.conf import settings
    from psycopg import sql

    seed = settings.DATABASES["default"]["TEST"]["NAME"] + "_demo_seed"
    with _owner_server_connection() as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(seed))
        )


@pytest.fixture
def demo_db(demo_database, django_db_blocker) -> Iterator[str]:
    """The demo's database for this test, in a transaction rolled back at its end (as
    pytest-django's `db` does for the test database): writes never reach another test.
    A test takes this instead of `db`."""
    from django.db import transaction

    with django_db_blocker.unblock(), on_database(demo_database):
        # Marked as Django's TestCase marks its own: the services' durable blocks nest.
        atomic = transaction.atomic()
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            yield demo_database
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
