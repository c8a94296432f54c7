"""Ledger benchmark workloads: posting throughput, batch posting, and the trial balance at
scale.

Each figure is divided by a baseline measured in the same run on the same database.
Posting through the service is set beside the same rows written by bare INSERTs, and a
batch through post_entries beside the same rows COPYed in: the triggers fire for both, so
the ratio is what the service itself costs on top of the database's own checks. The trial
balance, read from kept balances, is set beside a plain SUM ... GROUP BY over the lines it
summarises.
"""

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import (
    Account,
    AccountType,
    Department,
    FiscalPeriod,
    FiscalYear,
    Fund,
    FundType,
    ObjectCode,
)
from ledger.queries.calendar import period_for_date
from ledger.queries.reports import trial_balance
from ledger.services import (
    DUE_FROM_OBJECT,
    DUE_TO_OBJECT,
    INTERFUND_DEPARTMENT,
    EntrySpec,
    LineSpec,
    create_account,
    create_fiscal_year,
    post_entries,
    post_entry,
)
from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.db_roles import as_superuser

FISCAL_YEAR = 2027
POSTING_DATE = dt.date(2026, 11, 16)
POSTING_ENTRIES = 2000
WARM_UP_ENTRIES = 50
THREADS = 8
POSTING_UNIT = "entries/s"

BATCH_ENTRIES = 100_000
BATCH_WARM_UP_ENTRIES = 500
# Seconds for the whole batch, commit (and so each entry's deferred balance check) included.
BATCH_UNIT = "s"

TRIAL_BALANCE_LINES = 10_000_000
# Entries alternate a 3-line receipt and a 2-line payment: five lines per pair.
LINES_PER_PAIR = 5
TIMED_RUNS = 3
# Milliseconds, not seconds: the harness prints one decimal, and a trial balance read
# from kept balances takes a few milliseconds.
TRIAL_BALANCE_UNIT = "ms"

FUNDS = [
    ("101", "General Fund", FundType.GENERAL),
    ("201", "Gas Tax", FundType.SPECIAL_REVENUE),
    ("202", "Storm Drain", FundType.SPECIAL_REVENUE),
    ("203", "Measure A Transportation", FundType.SPECIAL_REVENUE),
    ("301", "Capital Projects", FundType.CAPITAL_PROJECTS),
    ("401", "Debt Service", FundType.DEBT_SERVICE),
    ("501", "Water Enterprise", FundType.ENTERPRISE),
    ("502", "Sewer Enterprise", FundType.ENTERPRISE),
    ("601", "Fleet Services", FundType.INTERNAL_SERVICE),
    ("701", "Successor Agency", FundType.FIDUCIARY),
]
DEPARTMENTS = [
    ("1100", "Finance"),
    ("1200", "City Manager"),
    ("1300", "City Clerk"),
    ("2100", "Police"),
    ("2200", "Fire"),
    ("3100", "Public Works"),
    ("4100", "Water Operations"),
    ("5100", "Community Development"),
    ("6100", "Recreation"),
]
CASH = "1010"
FEES, MISC_REVENUE, SERVICES = "4510", "4920", "5310"
OBJECTS = [
    (CASH, "Pooled cash", AccountType.ASSET),
    (DUE_FROM_OBJECT, "Due from other funds", AccountType.ASSET),
    (DUE_TO_OBJECT, "Due to other funds", AccountType.LIABILITY),
    (FEES, "Charges for services", AccountType.REVENUE),
    (MISC_REVENUE, "Miscellaneous revenue", AccountType.REVENUE),
    (SERVICES, "Contract services", AccountType.EXPENDITURE),
]


@dataclass(frozen=True)
class DepartmentAccounts:
    fees: Account
    misc_revenue: Account
    services: Account


@dataclass(frozen=True)
class FundAccounts:
    cash: Account
    departments: tuple[DepartmentAccounts, ...]


@dataclass(frozen=True)
class PlannedEntry:
    idempotency_key: str
    lines: tuple[LineSpec, ...]


# ---------------------------------------------------------------- set-up


def ensure_chart() -> list[FundAccounts]:
    """Ten funds of thirty accounts each (300 in all), created once per benchmark
    database whichever ledger workload runs first, and fiscal year 2027."""
    funds = [
        Fund.objects.get_or_create(code=code, defaults={"name": name, "fund_type": kind})[0]
        for code, name, kind in FUNDS
    ]
    nondepartmental = Department.objects.get_or_create(
        code=INTERFUND_DEPARTMENT, defaults={"name": "Non-departmental"}
    )[0]
    departments = [
        Department.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in DEPARTMENTS
    ]
    objects = {
        code: ObjectCode.objects.get_or_create(
            code=code, defaults={"name": name, "account_type": kind}
        )[0]
        for code, name, kind in OBJECTS
    }
    existing = {account.number: account for account in Account.objects.all()}

    def account(fund: Fund, department: Department, code: str) -> Account:
        number = f"{fund.code}-{department.code}-{code}"
        if number not in existing:
            existing[number] = create_account(
                fund=fund, department=department, object_code=objects[code]
            )
        return existing[number]

    chart = []
    for fund in funds:
        # Interfund accounts are not posted to here, but a fund's chart has them.
        account(fund, nondepartmental, DUE_FROM_OBJECT)
        account(fund, nondepartmental, DUE_TO_OBJECT)
        chart.append(
            FundAccounts(
                cash=account(fund, nondepartmental, CASH),
                departments=tuple(
                    DepartmentAccounts(
                        fees=account(fund, department, FEES),
                        misc_revenue=account(fund, department, MISC_REVENUE),
                        services=account(fund, department, SERVICES),
                    )
                    for department in departments
                ),
            )
        )
    create_fiscal_year(FISCAL_YEAR)
    return chart


def ensure_user() -> User:
    return User.objects.get_or_create(username="bench_ledger", defaults={"first_name": "Bench"})[0]


def cents(number: int) -> Decimal:
    return Decimal(number).scaleb(-2)


# ---------------------------------------------------------------- posting throughput


def posting_workload(context: BenchmarkContext) -> None:
    """3-line entries through post_entry, on 1 and on 8 connections, against the same
    rows written by bare INSERTs on as many connections."""
    chart = ensure_chart()
    user = ensure_user()
    period = period_for_date(POSTING_DATE)
    general_fund = chart[0]
    total = context.size(POSTING_ENTRIES)

    def service(entries: Sequence[PlannedEntry]) -> None:
        post_through_service(entries, user=user)

    def bare(entries: Sequence[PlannedEntry]) -> None:
        insert_bare(entries, period=period, user=user)

    for label, work in (("warm-service", service), ("warm-bare", bare)):
        run_on_connections(work, [plan_entries(general_fund, WARM_UP_ENTRIES, label)])

    rates = {}
    for connections in (1, THREADS):
        for label, work in (("service", service), ("bare", bare)):
            entries = plan_entries(general_fund, total, f"{label}-{connections}")
            batches = [entries[i::connections] for i in range(connections)]
            seconds = run_on_connections(work, batches)
            rates[label, connections] = total / seconds

    for connections in (1, THREADS):
        context.report(
            f"ledger_post_{connections}conn",
            rates["service", connections],
            POSTING_UNIT,
            baseline=f"bare_insert_{connections}conn",
            baseline_value=rates["bare", connections],
        )


def plan_entries(fund: FundAccounts, count: int, label: str) -> list[PlannedEntry]:
    """Counter receipts: debit the fund's pooled cash, credit two revenue accounts of a
    department, all in one fund (an entry crossing funds would gain two interfund lines
    and not be a 3-line entry).

    Every entry, on every connection, debits the same cash account, as every clerk's
    receipts do: concurrent postings queue on that account's balance row, and that
    contention is part of what the 8-connection figures measure."""
    entries = []
    for i in range(count):
        department = fund.departments[i % len(fund.departments)]
        fee = cents(100 + (i * 7919) % 50000)
        other = cents(100 + (i * 104729) % 20000)
        entries.append(
            PlannedEntry(
                idempotency_key=f"bench-post-{label}-{i}",
                lines=(
                    LineSpec(account=fund.cash, amount=fee + other),
                    LineSpec(account=department.fees, amount=-fee),
                    LineSpec(account=department.misc_revenue, amount=-other),
                ),
            )
        )
    return entries


def post_through_service(entries: Sequence[PlannedEntry], *, user: User) -> None:
    for entry in entries:
        with transaction.atomic(durable=True):
            post_entry(
                entry_date=POSTING_DATE,
                lines=entry.lines,
                memo="Counter receipt",
                source_module="benchmark",
                idempotency_key=entry.idempotency_key,
                prepared_by=user,
            )


INSERT_ENTRY = """
    INSERT INTO ledger_journalentry (
        entry_date, period_id, source_module, source_document, memo, prepared_by_id,
        posted_at, idempotency_key, fingerprint)
    VALUES (%s, %s, 'benchmark', '', 'Counter receipt', %s, now(), %s, '')
    RETURNING id
"""
INSERT_LINES = """
    INSERT INTO ledger_journalline (entry_id, account_id, fund_id, amount, memo)
    VALUES (%s, %s, %s, %s, ''), (%s, %s, %s, %s, ''), (%s, %s, %s, %s, '')
"""


def insert_bare(entries: Sequence[PlannedEntry], *, period: FiscalPeriod, user: User) -> None:
    """The rows post_entry would write for each entry (the entry and its three lines; the
    lines' trigger keeps the balances, as it does for post_entry), by plain SQL on the
    psycopg connection, one transaction each."""
    connection.ensure_connection()
    pg = connection.connection
    with pg.cursor() as cursor:
        for entry in entries:
            accounts = [line.account for line in entry.lines]
            if len(accounts) != 3 or not all(isinstance(a, Account) for a in accounts):
                raise ValueError("The bare baseline writes 3-line entries of Account objects.")
            line_rows: list[object] = []
            for line in entry.lines:
                line_rows += [line.account.pk, line.account.fund_id, line.amount]
            with pg.transaction():
                cursor.execute(
                    INSERT_ENTRY, [POSTING_DATE, period.pk, user.pk, entry.idempotency_key]
                )
                (entry_id,) = cursor.fetchone()
                cursor.execute(INSERT_LINES, [*_with_entry(entry_id, line_rows)])


def _with_entry(entry_id: int, line_rows: list[object]) -> list[object]:
    params: list[object] = []
    for start in range(0, len(line_rows), 3):
        params += [entry_id, *line_rows[start : start + 3]]
    return params


def run_on_connections[B](work: Callable[[B], None], batches: Sequence[B]) -> float:
    """Seconds for `work` to get through every batch, one thread per batch, each thread on
    its own database connection, all started together once connected."""
    start_line = threading.Barrier(len(batches) + 1)
    main_settings = connection.settings_dict

    def worker(batch: B) -> None:
        try:
            # Django opens one connection per thread, from the same settings dict.
            if connection.settings_dict["NAME"] != main_settings["NAME"]:
                raise RuntimeError("A benchmark thread is not on the benchmark database.")
            connection.ensure_connection()
            start_line.wait()
            work(batch)
        except BaseException:
            start_line.abort()
            raise
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        futures = [pool.submit(worker, batch) for batch in batches]
        # A worker that failed before the start breaks the barrier; its error is raised
        # just below.
        with contextlib.suppress(threading.BrokenBarrierError):
            start_line.wait()
        start = time.perf_counter()
        for future in futures:
            future.result()
        return time.perf_counter() - start


# ---------------------------------------------------------------- batch posting


def batch_posting_workload(context: BenchmarkContext) -> None:
    """100,000 3-line entries through post_entries in one transaction, against COPYing the
    same entries and lines into the same tables as the app's role, in one transaction."""
    chart = ensure_chart()
    user = ensure_user()
    period = period_for_date(POSTING_DATE)
    general_fund = chart[0]
    total = context.size(BATCH_ENTRIES)

    post_batch_through_service(
        plan_entries(general_fund, BATCH_WARM_UP_ENTRIES, "warm-batch"), user=user
    )
    copy_bare(
        plan_entries(general_fund, BATCH_WARM_UP_ENTRIES, "warm-copy"), period=period, user=user
    )

    # Where the COPY's time goes at 100,000 entries (measured, about 15 s in all): the
    # entries 2 s, the lines 5 s (a row trigger each, the balances once), and at commit
    # each entry's balance check 4.5 s and the deferred foreign-key checks 4 s. The balance
    # check, once per entry, is under a third: kept as it is, one row trigger per entry.
    # COPY first: the batch then writes into the larger tables, never the other way round.
    entries = plan_entries(general_fund, total, "copy")
    start = time.perf_counter()
    copy_bare(entries, period=period, user=user)
    copy_seconds = time.perf_counter() - start

    entries = plan_entries(general_fund, total, "batch")
    start = time.perf_counter()
    post_batch_through_service(entries, user=user)
    batch_seconds = time.perf_counter() - start

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM ledger_journalline l"
            " JOIN ledger_journalentry e ON e.id = l.entry_id"
            " WHERE e.idempotency_key LIKE 'bench-post-batch-%%'"
        )
        (lines,) = cursor.fetchone()
    if lines != 3 * total:
        raise RuntimeError(f"The batch wrote {lines} lines for {total} 3-line entries.")
    context.report(
        "ledger_post_batch_100k",
        batch_seconds,
        BATCH_UNIT,
        baseline="copy_100k",
        baseline_value=copy_seconds,
    )


def post_batch_through_service(entries: Sequence[PlannedEntry], *, user: User) -> None:
    specs = [
        EntrySpec(
            entry_date=POSTING_DATE,
            lines=entry.lines,
            memo="Counter receipt",
            idempotency_key=entry.idempotency_key,
        )
        for entry in entries
    ]
    with transaction.atomic(durable=True):
        post_entries(specs, source_module="benchmark", prepared_by=user)


RESERVE_ENTRY_IDS = """
    SELECT nextval(pg_get_serial_sequence('ledger_journalentry', 'id'))
      FROM generate_series(1, %s)
"""
COPY_ENTRIES = """
    COPY ledger_journalentry (
        id, entry_date, period_id, source_module, source_document, memo, prepared_by_id,
        posted_at, idempotency_key, fingerprint)
    FROM STDIN
"""
COPY_LINES = "COPY ledger_journalline (entry_id, account_id, fund_id, amount, memo) FROM STDIN"


def copy_bare(entries: Sequence[PlannedEntry], *, period: FiscalPeriod, user: User) -> None:
    """The rows post_entries would write (each entry and its lines), COPYed in on the
    psycopg connection in one transaction as the app's role: every trigger and deferred
    check fires as it does for the service."""
    connection.ensure_connection()
    pg = connection.connection
    posted_at = timezone.now()
    with pg.transaction(), pg.cursor() as cursor:
        cursor.execute(RESERVE_ENTRY_IDS, [len(entries)])
        ids = [entry_id for (entry_id,) in cursor.fetchall()]
        with cursor.copy(COPY_ENTRIES) as copy:
            for entry_id, entry in zip(ids, entries, strict=True):
                copy.write_row(
                    (
                        entry_id,
                        POSTING_DATE,
                        period.pk,
                        "benchmark",
                        "",
                        "Counter receipt",
                        user.pk,
                        posted_at,
                        entry.idempotency_key,
                        "",
                    )
                )
        with cursor.copy(COPY_LINES) as copy:
            for entry_id, entry in zip(ids, entries, strict=True):
                for line in entry.lines:
                    account = line.account
                    if not isinstance(account, Account):
                        raise ValueError("The COPY baseline writes lines of Account objects.")
                    copy.write_row((entry_id, account.pk, account.fund_id, line.amount, ""))


# ---------------------------------------------------------------- trial balance


def trial_balance_workload(context: BenchmarkContext) -> None:
    """The trial balance for a year of ten million lines, against SUM ... GROUP BY
    account over the same lines."""
    chart = ensure_chart()
    user = ensure_user()
    fiscal_year = FiscalYear.objects.get(year=FISCAL_YEAR)
    periods = list(fiscal_year.periods.filter(number__lte=12).order_by("number"))
    load_year_of_lines(context.size(TRIAL_BALANCE_LINES), chart=chart, user=user)

    def read_trial_balance() -> dict[int, Decimal]:
        balance = trial_balance(first=periods[0], last=periods[-1])
        return {row.account.pk: row.ending for row in balance.rows}

    def sum_lines() -> dict[int, Decimal]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_id, SUM(amount) FROM ledger_journalline GROUP BY account_id"
            )
            return dict(cursor.fetchall())

    tb_seconds, endings = best_of(TIMED_RUNS, read_trial_balance)
    sum_seconds, sums = best_of(TIMED_RUNS, sum_lines)
    if endings != sums:
        wrong = sorted(set(endings.items()) ^ set(sums.items()))[:10]
        raise RuntimeError(
            "The trial balance disagrees with the sum of the lines "
            f"(account, amount; first ten differences): {wrong}"
        )
    context.report(
        "trial_balance_10m",
        tb_seconds * 1000,
        TRIAL_BALANCE_UNIT,
        baseline="sum_group_by_10m",
        baseline_value=sum_seconds * 1000,
    )


def best_of[T](runs: int, measure: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `runs` timings of `measure`, and its (last) result."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = measure()
        best = min(best, time.perf_counter() - start)
    return best, result


# Entry n falls in the twelve periods in order, per_period entries to each, its date
# moving through the month as n grows, as a real ledger's do.
INSERT_ENTRIES = """
    INSERT INTO ledger_journalentry (
        id, entry_date, period_id, source_module, source_document, memo, prepared_by_id,
        posted_at, idempotency_key, fingerprint)
    SELECT %(first)s + n - 1,
           p.start_date
               + (mod(n - 1, %(per_period)s)::bigint * (p.end_date - p.start_date + 1)
                  / %(per_period)s)::int,
           p.id, 'benchmark', '', 'Benchmark activity', %(user)s, now(),
           'bench-tb-' || lpad(n::text, 9, '0'), ''
      FROM generate_series(1, %(entries)s) AS n
      JOIN ledger_fiscalperiod p
        ON p.fiscal_year_id = %(fiscal_year)s AND p.number = 1 + (n - 1) / %(per_period)s
"""
# An even n is a receipt (cash debited, two revenues of a department credited), an odd n a
# payment (a department's expenditure debited, cash credited), so every entry balances
# within its one fund. Fund and department are taken from other digits of n than its kind,
# so that every fund has both. The slot arrays hold account ids, and the fund id the
# trigger would copy from the account, by 1 + fund * departments + department.
INSERT_LINES_FOR_ENTRIES = """
    INSERT INTO ledger_journalline (entry_id, account_id, fund_id, amount, memo)
    SELECT %(first)s + n - 1,
           CASE WHEN mod(n, 2) = 0 THEN
                CASE k WHEN 1 THEN (%(cash)s::bigint[])[slot]
                       WHEN 2 THEN (%(fees)s::bigint[])[slot]
                       ELSE (%(misc_revenue)s::bigint[])[slot] END
           ELSE CASE k WHEN 1 THEN (%(services)s::bigint[])[slot]
                       ELSE (%(cash)s::bigint[])[slot] END
           END,
           (%(fund_ids)s::bigint[])[slot],
           CASE WHEN mod(n, 2) = 0 THEN
                CASE k WHEN 1 THEN fee + other WHEN 2 THEN -fee ELSE -other END
           ELSE CASE k WHEN 1 THEN fee ELSE -fee END
           END * 0.01,
           ''
      FROM generate_series(1, %(entries)s) AS n
     CROSS JOIN LATERAL generate_series(1, 3 - mod(n, 2)) AS k
     CROSS JOIN LATERAL (
        SELECT 1 + mod(n / 2, %(funds)s) * %(departments)s
                 + mod(n / (2 * %(funds)s), %(departments)s) AS slot,
               1 + mod(n::bigint * 7919, 50000) AS fee,
               1 + mod(n::bigint * 104729, 20000) AS other
     ) AS entry
"""
# The lines are stored in entry order: reading them so, through the entry_id index, and
# aggregating entry by entry (enable_hashagg off) is twice as fast as hashing four million
# groups, which the planner would choose.
UNBALANCED_ENTRIES = """
    SELECT count(*) FROM (
        SELECT entry_id FROM ledger_journalline
         WHERE entry_id BETWEEN %(first)s AND %(last)s
         GROUP BY entry_id
        HAVING count(*) < 2 OR sum(amount) <> 0 OR min(fund_id) <> max(fund_id)
    ) AS bad
"""
INSERT_BALANCES_FOR_ENTRIES = """
    INSERT INTO ledger_accountbalance (account_id, period_id, debits, credits)
    SELECT l.account_id, e.period_id,
           COALESCE(SUM(l.amount) FILTER (WHERE l.amount > 0), 0),
           COALESCE(-SUM(l.amount) FILTER (WHERE l.amount < 0), 0)
      FROM ledger_journalline l
      JOIN ledger_journalentry e ON e.id = l.entry_id
     WHERE l.entry_id BETWEEN %(first)s AND %(last)s
       AND e.id BETWEEN %(first)s AND %(last)s
     GROUP BY l.account_id, e.period_id
    ON CONFLICT (account_id, period_id) DO UPDATE
       SET debits = ledger_accountbalance.debits + EXCLUDED.debits,
           credits = ledger_accountbalance.credits + EXCLUDED.credits
"""


def slot_arrays(chart: list[FundAccounts]) -> dict[str, list[int]]:
    """Account ids by slot (fund by fund, department by department) for the lines SQL."""
    slots = [(fund, accounts) for fund in chart for accounts in fund.departments]
    return {
        "fund_ids": [fund.cash.fund_id for fund, _ in slots],
        "cash": [fund.cash.pk for fund, _ in slots],
        "fees": [accounts.fees.pk for _, accounts in slots],
        "misc_revenue": [accounts.misc_revenue.pk for _, accounts in slots],
        "services": [accounts.services.pk for _, accounts in slots],
    }


def load_year_of_lines(line_count: int, *, chart: list[FundAccounts], user: User) -> None:
    """`line_count` lines (rounded down to a multiple of five) in balanced entries spread
    over the twelve periods of FY 2027 and the 280 operating accounts, and the balances
    kept for them, in one transaction."""
    pairs = max(1, line_count // LINES_PER_PAIR)
    entries = 2 * pairs
    with (
        as_superuser(),
        transaction.atomic(durable=True),
        connection.cursor() as cursor,
    ):
        # Benchmark data only, and only here: the row triggers that check each posting,
        # and the foreign-key checks (triggers too), would make a ten-million-line load
        # take many minutes. These statements make balanced entries in open periods on
        # active accounts themselves, and UNBALANCED_ENTRIES proves the balance before
        # commit. Only a superuser may (the app's role never can), so this load connects
        # as the embedded server's; SET LOCAL ends with the transaction.
        cursor.execute("SET LOCAL session_replication_role = replica")
        # Reserve a block of entry ids, so that the lines name their entries without a
        # join.
        cursor.execute("SELECT nextval(pg_get_serial_sequence('ledger_journalentry', 'id'))")
        (first,) = cursor.fetchone()
        last = first + entries - 1
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_journalentry', 'id'), %s)", [last]
        )
        params = {
            "first": first,
            "last": last,
            "entries": entries,
            "per_period": -(-entries // 12),
            "user": user.pk,
            "fiscal_year": FiscalYear.objects.get(year=FISCAL_YEAR).pk,
            "funds": len(chart),
            "departments": len(chart[0].departments),
            **slot_arrays(chart),
        }
        cursor.execute(INSERT_ENTRIES, params)
        cursor.execute(INSERT_LINES_FOR_ENTRIES, params)
        if cursor.rowcount != LINES_PER_PAIR * pairs:
            raise RuntimeError(f"{cursor.rowcount} lines made for {entries} entries.")
        # Without statistics on the new rows the planner sorts ten million lines to
        # aggregate them into a few thousand balances.
        cursor.execute("ANALYZE ledger_journalentry, ledger_journalline")
        cursor.execute(INSERT_BALANCES_FOR_ENTRIES, params)
        cursor.execute("SET LOCAL enable_hashagg = off")
        cursor.execute(UNBALANCED_ENTRIES, params)
        (unbalanced,) = cursor.fetchone()
        if unbalanced:
            raise RuntimeError(f"{unbalanced} generated entries do not balance in their fund.")
    with as_superuser(), connection.cursor() as cursor:
        # Autovacuum would otherwise start on ten million fresh rows in the middle of the
        # timed runs; a table in use has long been vacuumed.
        cursor.execute(
            "VACUUM (ANALYZE) ledger_journalentry, ledger_journalline, ledger_accountbalance"
        )
