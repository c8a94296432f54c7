"""Utility billing benchmarks: a bill run of 100,000 accounts computed and posted (every
account's bill worked out by the rate engine, its bills, lines, exception rows, ledger
entries and subledger movements written), beside COPYing the same bill, bill-line,
subledger and ledger rows into the same tables (their triggers and checks fire for both),
measured in the same run. Goal (issue 10): under 30 s, at most 3 times the COPY.

The COPY comes after the run (it copies the run's own rows into a second run), so it
writes into tables already holding a run: if anything that favours the baseline."""

import datetime as dt
import time
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import (
    Account,
    AccountType,
    Department,
    Fund,
    FundType,
    ObjectCode,
    Subledger,
)
from ledger.services import create_account, create_fiscal_year
from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.db_roles import as_owner
from millbrae_finance.roles import Role
from receivables.models import Customer
from utility_billing.models import (
    BillRun,
    ChargeKind,
    Cycle,
    RateCharge,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
)
from utility_billing.services.bill_compute import compute_bill_run
from utility_billing.services.bill_posting import post_bill_run
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

ACCOUNTS = 100_000
PERIOD_START = dt.date(2026, 10, 6)
PERIOD_END = dt.date(2026, 11, 5)
BILL_DATE = dt.date(2026, 11, 10)

# (fund, name, control account, revenue account, revenue object name)
FUNDS = [
    ("501", "Water Enterprise", "501-0000-1110", "501-4100-4411", "Water sales"),
    ("502", "Sewer Enterprise", "502-0000-1110", "502-4200-4421", "Sewer service charges"),
    ("202", "Storm Drain", "202-0000-1110", "202-0000-4920", "Miscellaneous revenue"),
]
CLASSES = ("single_family", "multi_family", "commercial")

# One location, account, meter and read per n; classes, meter sizes, use (0-40 HCF) and
# residences' winter averages (150 values, 0.0 to 14.9 HCF) spread by n, set-based.
INSERT_LOCATIONS = """
    INSERT INTO utility_billing_servicelocation (
        parcel_number, address_line1, address_line2, city, postal_code, service_class,
        route, route_sequence, is_active, created_at, cycle_id)
    SELECT %(code)s || '-' || lpad(n::text, 8, '0'), n || ' Benchmark Ave', '', 'Millbrae', '94030',
           CASE WHEN n %% 20 = 0 THEN 'commercial' WHEN n %% 10 = 0 THEN 'multi_family'
                ELSE 'single_family' END,
           'R' || (n %% 50), n, true, now(), %(cycle)s
      FROM generate_series(1, %(count)s) AS n
"""
INSERT_ACCOUNTS = """
    INSERT INTO utility_billing_utilityaccount (
        number, role, status, start_date, end_date, deposit_required, deposit_waived,
        deposit_waiver_reason, winter_average_hcf, notes, created_at, customer_id,
        location_id, opened_by_id)
    SELECT 'BM' || l.id, 'owner', 'active', '2025-07-01', NULL, 0, false, '',
           CASE WHEN l.service_class <> 'commercial' THEN ((l.id * 37) %% 150) / 10.0 END,
           '', now(), %(customer)s, l.id, %(user)s
      FROM utility_billing_servicelocation l
     WHERE l.cycle_id = %(cycle)s
"""
INSERT_SERVICES = """
    INSERT INTO utility_billing_accountservice (kind, start_date, end_date, rate_schedule_id,
                                                account_id)
    SELECT s.kind, '2025-07-01', NULL, s.schedule_id, a.id
      FROM utility_billing_utilityaccount a
      JOIN utility_billing_servicelocation l ON l.id = a.location_id
      JOIN unnest(%(kinds)s::text[], %(classes)s::text[], %(schedules)s::bigint[])
           AS s(kind, service_class, schedule_id)
        ON s.service_class = l.service_class
     WHERE l.cycle_id = %(cycle)s
"""
INSERT_METERS = """
    INSERT INTO utility_billing_meter (
        serial, size, meter_type, dials, multiplier, status, install_date, removal_date,
        install_reading, notes, location_id)
    SELECT 'BM' || l.id,
           CASE WHEN l.service_class = 'commercial' THEN '1' WHEN l.id %% 7 = 0 THEN '3/4'
                ELSE '5/8' END,
           'positive_displacement', 6, 1, 'installed', '2020-01-15', NULL, 0, '', l.id
      FROM utility_billing_servicelocation l
     WHERE l.cycle_id = %(cycle)s
"""
INSERT_READS = """
    INSERT INTO utility_billing_meterread (
        read_date, reading, kind, source, entered_at, consumption, rolled_over,
        exception_status, exception_codes, note, entered_by_id, meter_id, previous_read_id,
        location_id)
    SELECT %(day)s, 1000 + (m.id * 7919) %% 41, 'actual', 'handheld', now(),
           (m.id * 7919) %% 41, false, 'none', '{}', '', %(user)s, m.id, NULL, m.location_id
      FROM utility_billing_meter m
      JOIN utility_billing_servicelocation l ON l.id = m.location_id
     WHERE l.cycle_id = %(cycle)s
"""
LOADED_TABLES = (
    "utility_billing_servicelocation",
    "utility_billing_utilityaccount",
    "utility_billing_accountservice",
    "utility_billing_meter",
    "utility_billing_meterread",
)


def _chart() -> dict[str, Account]:
    """The funds' utility AR control and revenue accounts, and FY 2027."""
    nondept = Department.objects.get_or_create(code="0000", defaults={"name": "Non-departmental"})[
        0
    ]
    accounts = {}
    for fund_code, fund_name, control, revenue, revenue_name in FUNDS:
        fund = Fund.objects.get_or_create(
            code=fund_code, defaults={"name": fund_name, "fund_type": FundType.ENTERPRISE}
        )[0]
        for number, name, kind, subledger in (
            (control, "Utility accounts receivable", AccountType.ASSET, Subledger.UTILITY_AR),
            (revenue, revenue_name, AccountType.REVENUE, ""),
        ):
            _, department_code, object_code = number.split("-")
            department = (
                nondept
                if department_code == "0000"
                else Department.objects.get_or_create(
                    code=department_code, defaults={"name": f"Department {department_code}"}
                )[0]
            )
            code = ObjectCode.objects.get_or_create(
                code=object_code, defaults={"name": name, "account_type": kind}
            )[0]
            accounts[number] = Account.objects.filter(number=number).first() or create_account(
                fund=fund, department=department, object_code=code, control_subledger=subledger
            )
    create_fiscal_year(2027)
    return accounts


def _users() -> tuple[User, User]:
    tech = User.objects.get_or_create(username="bench_bill_tech")[0]
    tech.groups.add(Group.objects.get(name=Role.ACCOUNTING_TECHNICIAN.value))
    senior = User.objects.get_or_create(username="bench_bill_senior")[0]
    senior.groups.add(Group.objects.get(name=Role.SENIOR_ACCOUNTING_TECHNICIAN.value))
    return tech, senior


def _rates(accounts: dict[str, Account], tech: User, senior: User) -> dict[tuple[str, str], int]:
    """Water (tiered) and sewer (capped for residences) schedules per class, a storm drain
    charge per parcel for every class; (service, class) -> schedule id."""
    water, sewer, storm = (accounts[revenue] for _, _, _, revenue, _ in FUNDS)
    lines = {
        "water": [
            (ChargeKind.FIXED_BY_METER_SIZE, "5/8", None, None, "30.00", water, False),
            (ChargeKind.FIXED_BY_METER_SIZE, "3/4", None, None, "42.00", water, False),
            (ChargeKind.FIXED_BY_METER_SIZE, "1", None, None, "66.00", water, False),
            (ChargeKind.VOLUMETRIC_TIER, "", "0", "6", "5.25", water, False),
            (ChargeKind.VOLUMETRIC_TIER, "", "6", "20", "6.75", water, False),
            (ChargeKind.VOLUMETRIC_TIER, "", "20", None, "8.50", water, False),
        ],
        "sewer": [
            (ChargeKind.FIXED_BY_METER_SIZE, "", None, None, "20.00", sewer, False),
            (ChargeKind.VOLUMETRIC_UNIFORM, "", None, None, "4.10", sewer, True),
        ],
        "storm_drain": [(ChargeKind.PER_PARCEL, "", None, None, "3.50", storm, False)],
    }
    schedules = {}
    # Made once per benchmark database: the bill run and bill PDF workloads share them.
    made = RateSchedule.objects.filter(code__startswith="BM-")
    for schedule in made:
        for each in CLASSES if not schedule.service_class else (schedule.service_class,):
            schedules[(schedule.service_kind, each)] = schedule.pk
    if schedules:
        return schedules
    for kind, charges in lines.items():
        for service_class in CLASSES if kind != "storm_drain" else ("",):
            schedule = RateSchedule.objects.create(
                code=f"BM-{kind[:5]}-{service_class[:5]}".upper().rstrip("-"),
                name=f"Benchmark {kind} {service_class}",
                service_kind=kind,
                service_class=service_class,
            )
            version = RateVersion.objects.create(
                schedule=schedule,
                effective_from=dt.date(2025, 7, 1),
                prepared_by=tech,
                prepared_at=timezone.now(),
            )
            residential = service_class != "commercial"
            RateCharge.objects.bulk_create(
                RateCharge(
                    version=version,
                    kind=charge_kind,
                    meter_size=size,
                    tier_from=Decimal(low) if low is not None else None,
                    tier_to=Decimal(high) if high is not None else None,
                    rate=Decimal(rate),
                    revenue_account=account,
                    capped_by_winter_average=capped and residential,
                )
                for charge_kind, size, low, high, rate, account, capped in charges
            )
            version.status = RateVersionStatus.APPROVED
            version.approved_by = senior
            version.approved_at = timezone.now()
            version.save()
            for each in CLASSES if not service_class else (service_class,):
                schedules[(kind, each)] = schedule.pk
    return schedules


def load_cycle(count: int, *, code: str, tech: User, schedules: dict[tuple[str, str], int]):
    """A cycle of `count` accounts taking water, sewer and storm drain service, each with
    a meter and a read on the period's last day. The audit and other triggers are off for
    the load (not what is measured); as the owner, who may switch them off."""
    cycle = Cycle.objects.create(code=code, name=f"Benchmark {code}", read_day=5, bill_day=10)
    customer = Customer.objects.create(kind="business", name=f"Benchmark Properties {code}")
    params = {
        "cycle": cycle.pk,
        "code": code,  # parcels numbered by cycle: workloads share the database
        "count": count,
        "customer": customer.pk,
        "user": tech.pk,
        "day": PERIOD_END,
        "kinds": [kind for kind, _ in schedules],
        "classes": [service_class for _, service_class in schedules],
        "schedules": list(schedules.values()),
    }
    with as_owner(), connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql in (
            INSERT_LOCATIONS,
            INSERT_ACCOUNTS,
            INSERT_SERVICES,
            INSERT_METERS,
            INSERT_READS,
        ):
            cursor.execute(sql, params)
        for table in LOADED_TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute(f"ANALYZE {table}")
    return cycle


# ---------------------------------------------------------------- the baseline

RESERVE_IDS = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
BILL_COLUMNS = (
    "account_id, period_start, period_end, service_class, meter_size, read_ids, estimated,"
    " consumption, previous_balance, amount, due_date, notes"
)
LINE_COLUMNS = (
    "position, service_kind, schedule_code, charge_kind, description, quantity, rate, amount,"
    " arithmetic, rate_version_id, service_start, service_end, days, revenue_account_id"
)
TX_COLUMNS = (
    "account_id, kind, control_account_id, amount, transaction_date, memo, reference,"
    " created_by_id, created_at"
)
ENTRY_COLUMNS = (
    "entry_date, period_id, source_module, source_document, memo, prepared_by_id,"
    " approved_by_id, posted_at, fingerprint"
)


def _copy_out(sql: str, params: list) -> bytes:
    # The psycopg cursor itself: Django's wrapper passes no parameters to copy().
    with connection.cursor() as wrapper, wrapper.cursor.copy(sql, params) as copy:
        return b"".join(bytes(block) for block in copy)


def copy_run_rows(run: BillRun, into: BillRun) -> float:
    """COPY the run's bills, lines, subledger movements and journal entries and lines into
    the tables again (for the run `into`, so every check passes), in one transaction as
    the app's role; the seconds the COPYs took. The rows are read out first, untimed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM utility_billing_bill WHERE run_id = %s", [run.pk]
        )
        first, last = cursor.fetchone()
        cursor.execute(RESERVE_IDS, ["utility_billing_bill", last - first + 1])
        offset = cursor.fetchall()[0][0] - first
        cursor.execute(
            "SELECT id FROM ledger_journalentry WHERE source_document = %s ORDER BY id",
            [run.reference],
        )
        entries = [row[0] for row in cursor.fetchall()]
        cursor.execute(RESERVE_IDS, ["ledger_journalentry", len(entries)])
        new_entries = [row[0] for row in cursor.fetchall()]
    pairs = ", ".join(f"({a}, {b})" for a, b in zip(entries, new_entries, strict=True))
    entry_map = f"(VALUES {pairs})"
    bills = _copy_out(
        f"COPY (SELECT id + %s, %s, {BILL_COLUMNS} FROM utility_billing_bill"  # noqa: S608
        " WHERE run_id = %s) TO STDOUT",
        [offset, into.pk, run.pk],
    )
    lines = _copy_out(
        f"COPY (SELECT bill_id + %s, %s, {LINE_COLUMNS} FROM utility_billing_billline"  # noqa: S608
        " WHERE run_id = %s) TO STDOUT",
        [offset, into.pk, run.pk],
    )
    movements = _copy_out(
        f"COPY (SELECT bill_id + %s, cause || ':copy', m.new, {TX_COLUMNS}"  # noqa: S608
        f" FROM utility_billing_utilitytransaction t JOIN {entry_map} AS m(old, new)"
        " ON m.old = t.journal_entry_id WHERE t.reference = %s) TO STDOUT",
        [offset, run.reference],
    )
    journal = _copy_out(
        f"COPY (SELECT m.new, idempotency_key || ':copy', {ENTRY_COLUMNS}"  # noqa: S608
        f" FROM ledger_journalentry e JOIN {entry_map} AS m(old, new) ON m.old = e.id) TO STDOUT",
        [],
    )
    journal_lines = _copy_out(
        "COPY (SELECT m.new, account_id, fund_id, amount, memo FROM ledger_journalline l"  # noqa: S608
        f" JOIN {entry_map} AS m(old, new) ON m.old = l.entry_id) TO STDOUT",
        [],
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, data in (
            (f"COPY utility_billing_bill (id, run_id, {BILL_COLUMNS}) FROM STDIN", bills),
            (
                f"COPY utility_billing_billline (bill_id, run_id, {LINE_COLUMNS}) FROM STDIN",
                lines,
            ),
            (
                f"COPY ledger_journalentry (id, idempotency_key, {ENTRY_COLUMNS}) FROM STDIN",
                journal,
            ),
            (
                "COPY ledger_journalline (entry_id, account_id, fund_id, amount, memo) FROM STDIN",
                journal_lines,
            ),
            (
                "COPY utility_billing_utilitytransaction (bill_id, cause, journal_entry_id,"
                f" {TX_COLUMNS}) FROM STDIN",
                movements,
            ),
        ):
            with cursor.copy(sql) as copy:
                copy.write(data)
    return time.perf_counter() - start


def bill_run_workload(context: BenchmarkContext) -> None:
    """A bill run of 100,000 accounts computed and posted, beside COPYing its rows."""
    count = 5_000 if context.quick else ACCOUNTS
    accounts = _chart()
    tech, senior = _users()
    schedules = _rates(accounts, tech, senior)
    cycle = load_cycle(count, code="BM1", tech=tech, schedules=schedules)

    start = time.perf_counter()
    run = start_bill_run(
        cycle,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=BILL_DATE,
        idempotency_key="bench-bill-run",
        actor=tech,
    )
    run = compute_bill_run(run.pk)
    computed = time.perf_counter()
    approve_bill_run(run, idempotency_key="bench-bill-run-post", actor=senior)
    run = post_bill_run(run.pk)
    seconds = time.perf_counter() - start
    if run.bills_count != count or run.status != "posted":
        raise RuntimeError(f"The run billed {run.bills_count} of {count} ({run.status}).")

    # The baseline's rows go to a run of their own, of another cycle, as if computing.
    other = Cycle.objects.create(code="BM2", name="Benchmark copy", read_day=5, bill_day=10)
    into = BillRun.objects.create(
        cycle=other,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        bill_date=BILL_DATE,
        due_date=run.due_date,
        idempotency_key="bench-copy",
        prepared_by=tech,
    )
    baseline = copy_run_rows(run, into)
    context.report(
        "bill_run",
        seconds * 1000,
        "ms",
        baseline="copy_rows",
        baseline_value=baseline * 1000,
    )
    context.report(
        "bill_run_compute",
        (computed - start) * 1000,
        "ms",
        baseline="copy_rows",
        baseline_value=baseline * 1000,
    )
