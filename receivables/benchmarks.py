"""Receivables benchmarks: search_customers over a large customer master, beside a plain
primary-key lookup on the same table; the penalty batch over 100,000 open items, beside a
plain SQL UPDATE of the same rows' balances; 100,000 invoice lines inserted into their
audited table, time per row beside the time per row of 10,000. Each baseline is measured
in the same run."""

import datetime as dt
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode
from ledger.services import create_account, create_fiscal_year
from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.db_roles import as_owner
from millbrae_finance.roles import Role
from receivables.demo.customers import FIRST_NAMES, LAST_NAMES, STREETS
from receivables.models import Customer, Fee, FeeStatus, PenaltyRule
from receivables.queries.customers import search_customers
from receivables.services.penalties import run_penalty_batch

CUSTOMERS = 200_000
RUNS_PER_QUERY = 15
SEARCH_LIMIT = 20

# Customer n gets names, a street and a phone from arrays indexed by n, so every
# search below finds rows; set-based, as bulk loads are (STYLE.md).
INSERT_CUSTOMERS = """
    INSERT INTO receivables_customer (
        kind, name, care_of, address_line1, address_line2, city, state, postal_code,
        phone, phone_alt, phone_digits, email, preferred_contact, notes,
        do_not_accept_checks, is_active, created_at)
    SELECT 'person',
           last || ', ' || first,
           '', (100 + n %% 1800) || ' ' || street, '', city, 'CA', zip,
           '650-' || phone3 || '-' || phone4, '',
           '650' || phone3 || phone4 || ' ' || phone3 || phone4,
           CASE WHEN n %% 5 < 2
                THEN lower(first) || '.' || lower(replace(last, '''', '')) || n || '@example.com'
                ELSE '' END,
           'mail', '', false, true, now()
      FROM (
        SELECT n,
               (%(first)s::text[])[1 + n %% %(nfirst)s] AS first,
               (%(last)s::text[])[1 + (n / %(nfirst)s) %% %(nlast)s] AS last,
               (%(streets)s::text[])[1 + n %% %(nstreets)s] AS street,
               (%(cities)s::text[])[1 + n %% %(nstreets)s] AS city,
               (%(zips)s::text[])[1 + n %% %(nstreets)s] AS zip,
               lpad((200 + n %% 800)::text, 3, '0') AS phone3,
               lpad(((n * 7919) %% 10000)::text, 4, '0') AS phone4
          FROM generate_series(1, %(count)s) AS n
      ) AS generated
"""

SEARCHES = [
    "Nguyen",  # a surname
    "maria garcia",  # first last
    "Garcia Maria",  # last first
    "o'brien",  # punctuation
    "magnolia",  # a street prefix
    "1250 el cam",  # a number and street prefix
    "650-2",  # phone digits
    "2597",  # local phone digits
    "maria.garcia1",  # an email prefix (a word prefix of the address)
    "maria.garcia1050@ex",  # an email prefix with "@"
]


def load_customers(count: int) -> None:
    """Load `count` customers into the throwaway benchmark database. The audit trigger is
    off for the load: it is not what is measured, and its per-row event insert grows
    worse than linearly over one 200,000-row statement (minutes instead of seconds).
    As the owner: the app's role may not switch a table's triggers off."""
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE receivables_customer DISABLE TRIGGER USER")
        cursor.execute(
            INSERT_CUSTOMERS,
            {
                "first": FIRST_NAMES,
                "nfirst": len(FIRST_NAMES),
                "last": LAST_NAMES,
                "nlast": len(LAST_NAMES),
                "streets": [street for street, _, _ in STREETS],
                "cities": [city for _, city, _ in STREETS],
                "zips": [zip_code for _, _, zip_code in STREETS],
                "nstreets": len(STREETS),
                "count": count,
            },
        )
        cursor.execute("ALTER TABLE receivables_customer ENABLE TRIGGER USER")
        cursor.execute("ANALYZE receivables_customer")


def median_ms(runs: int, measures: list[Callable[[], object]]) -> float:
    """The median, in milliseconds, of `runs` timings of each measure (after one warm-up)."""
    timings = []
    for measure in measures:
        measure()
        for _ in range(runs):
            start = time.perf_counter()
            measure()
            timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def customer_search_workload(context: BenchmarkContext) -> None:
    """Median search latency over a mix of realistic searches, beside a pk lookup."""
    count = 20_000 if context.quick else CUSTOMERS
    load_customers(count)
    first = Customer.objects.order_by("pk").values_list("pk", flat=True)[:1][0]
    last = Customer.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]
    for text in SEARCHES:
        if not search_customers(text, limit=SEARCH_LIMIT):
            raise RuntimeError(f"The benchmark search {text!r} found nobody.")
    searches = [lambda text=text: search_customers(text, limit=SEARCH_LIMIT) for text in SEARCHES]
    step = max(1, (last - first) // len(SEARCHES))
    lookups = [
        lambda pk=pk: Customer.objects.filter(pk=pk).first()
        for pk in range(first, last + 1, step)[: len(SEARCHES)]
    ]
    context.report(
        "customer_search",
        median_ms(RUNS_PER_QUERY, searches),
        "ms",
        baseline="pk_lookup",
        baseline_value=median_ms(RUNS_PER_QUERY, lookups),
    )


# ---------------------------------------------------------------- the penalty batch

PENALTY_ITEMS = 100_000
PENALTY_BATCH_DATE = dt.date(2026, 11, 16)
# Issue dates spread over 80 days from 21 days back: every item owes the first parking
# penalty, those 45 days old or more the second as well (about 70% of them).
PENALTY_AGE_SPREAD = 80

INSERT_CITATIONS = """
    INSERT INTO receivables_citation (
        number, kind, issue_date, violation_id, customer_id, respondent_name, plate,
        plate_state, location, officer, notes, status, hearing_status, hearing_date,
        fine_amount, balance, entered_by_id, journal_entry_id, created_at)
    SELECT 'BM' || lpad(n::text, 8, '0'), 'parking',
           %(day)s::date - 21 - (n %% %(spread)s), %(fee)s, NULL, '',
           'BM' || (n %% 1000000), 'CA', '', '', '', 'open', 'none', NULL,
           45.00, 45.00, %(user)s, NULL, now()
      FROM generate_series(1, %(count)s) AS n
"""


def _penalty_set_up() -> tuple[User, Fee]:
    """The fines AR control account and the parking revenue account in the General Fund,
    FY 2027, a lead who runs the batch, the parking violation and the demo's parking
    penalties. Get-or-create: other workloads may have made part of the chart."""
    fund = Fund.objects.get_or_create(
        code="101", defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )[0]
    accounts = {}
    for department_code, object_code, name, kind, control in [
        ("0000", "1130", "Fines receivable", AccountType.ASSET, "fines_ar"),
        ("2100", "4610", "Parking fines", AccountType.REVENUE, ""),
    ]:
        department = Department.objects.get_or_create(
            code=department_code, defaults={"name": f"Department {department_code}"}
        )[0]
        code = ObjectCode.objects.get_or_create(
            code=object_code, defaults={"name": name, "account_type": kind}
        )[0]
        number = f"101-{department_code}-{object_code}"
        accounts[object_code] = Account.objects.filter(number=number).first() or create_account(
            fund=fund, department=department, object_code=code, control_subledger=control
        )
    create_fiscal_year(2027)
    lead = User.objects.get_or_create(username="bench_penalty_lead")[0]
    lead.groups.add(Group.objects.get(name=Role.SENIOR_ACCOUNTING_TECHNICIAN.value))
    approver = User.objects.get_or_create(username="bench_penalty_approver")[0]
    fee = Fee.objects.create(
        code="BM-PKG-METER",
        description="Expired meter",
        revenue_account=accounts["4610"],
        rule="flat",
        amount=Decimal("45.00"),
        effective_from=dt.date(2025, 7, 1),
        status=FeeStatus.APPROVED,
        prepared_by=lead,
        approved_by=approver,
        approved_at=timezone.now(),
    )
    for code, name, days, amount in [
        ("BM-PKG-LATE-1", "Parking late penalty", 21, "25.00"),
        ("BM-PKG-LATE-2", "Parking second late penalty", 45, "35.00"),
    ]:
        PenaltyRule.objects.create(
            code=code,
            name=name,
            applies_to="citation",
            citation_kind="parking",
            days_after=days,
            calculation="flat",
            amount=Decimal(amount),
            revenue_account=accounts["4610"],
            effective_from=dt.date(2025, 7, 1),
        )
    return lead, fee


def load_open_citations(count: int, *, fee: Fee, user: User) -> None:
    """`count` open parking citations, set-based; the audit trigger off for the load (it
    is not what is measured), on again for the batch. As the owner, as above."""
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE receivables_citation DISABLE TRIGGER USER")
        cursor.execute(
            INSERT_CITATIONS,
            {
                "day": PENALTY_BATCH_DATE,
                "spread": PENALTY_AGE_SPREAD,
                "fee": fee.pk,
                "user": user.pk,
                "count": count,
            },
        )
        cursor.execute("ALTER TABLE receivables_citation ENABLE TRIGGER USER")
        cursor.execute("ANALYZE receivables_citation")


def _vacuum(*tables: str) -> None:
    with as_owner(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def penalty_batch_workload(context: BenchmarkContext) -> None:
    """run_penalty_batch over 100,000 open citations (about 170,000 charges), beside a
    plain SQL UPDATE of the same rows' balances measured in the same run."""
    lead, fee = _penalty_set_up()
    count = 5_000 if context.quick else PENALTY_ITEMS
    load_open_citations(count, fee=fee, user=lead)

    # The baseline: one UPDATE of every open item's balance, committed, as a bare
    # statement would do it (the audit trigger fires for it as for the batch).
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE receivables_citation SET balance = balance + 25"
            " WHERE status = 'open' AND balance > 0"
        )
        updated = cursor.rowcount
    baseline = time.perf_counter() - start
    if updated != count:
        raise RuntimeError(f"The baseline updated {updated} of {count} citations.")
    _vacuum("receivables_citation")

    start = time.perf_counter()
    batch = run_penalty_batch(PENALTY_BATCH_DATE, idempotency_key="bench-penalty-batch", actor=lead)
    seconds = time.perf_counter() - start
    if batch.items_charged < count:
        raise RuntimeError(f"The batch charged {batch.items_charged} of at least {count}.")
    context.report(
        "penalty_batch",
        seconds * 1000,
        "ms",
        baseline="sql_update",
        baseline_value=baseline * 1000,
    )


# ---------------------------------------------------------------- audited bulk insert

AUDITED_ROWS = 100_000
AUDITED_BASELINE_ROWS = 10_000
AUDITED_BASELINE_RUNS = 3
LINES_PER_INVOICE = 10

# Draft invoices to hang the lines on; their ids come back as a range.
INSERT_INVOICES = """
    WITH made AS (
        INSERT INTO receivables_invoice (
            customer_id, status, invoice_date, terms_days, due_date, description, notes,
            total, balance, prepared_by_id, created_at)
        SELECT %(customer)s, 'draft', %(day)s, 30, %(day)s::date + 30,
               'Benchmark invoice ' || n, '', 0, 0, %(user)s, now()
          FROM generate_series(1, %(count)s) AS n
        RETURNING id
    )
    SELECT min(id), max(id) FROM made
"""

# Each line names its invoice and revenue account: both keys are checked for every row.
INSERT_LINES = """
    INSERT INTO receivables_invoiceline (
        invoice_id, position, fee_id, description, revenue_account_id, units, base, amount,
        calculation)
    SELECT invoice_id, position, NULL, 'Rental, hour ' || position, %(account)s, NULL, NULL,
           12.50, ''
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS invoice_id,
           generate_series(1, %(per_invoice)s) AS position
"""


def _bulk_insert_set_up() -> tuple[Customer, User, Account]:
    """A customer, a clerk and a revenue account in the General Fund. Get-or-create:
    other workloads may have made part of the chart."""
    fund = Fund.objects.get_or_create(
        code="101", defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )[0]
    department = Department.objects.get_or_create(
        code="1900", defaults={"name": "Department 1900"}
    )[0]
    code = ObjectCode.objects.get_or_create(
        code="4720", defaults={"name": "Facility rentals", "account_type": AccountType.REVENUE}
    )[0]
    account = Account.objects.filter(
        fund=fund, department=department, object_code=code
    ).first() or create_account(fund=fund, department=department, object_code=code)
    clerk = User.objects.get_or_create(username="bench_bulk_clerk")[0]
    customer = Customer.objects.create(kind="business", name="Benchmark Rentals LLC")
    return customer, clerk, account


def _audited_insert_us_per_row(
    lines: int, *, customer: Customer, user: User, account: Account
) -> float:
    """Insert `lines` invoice lines in one statement, the audit trigger on, committed
    (the foreign keys' checks included); microseconds per row. Their invoices are made
    first, outside the timing."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_INVOICES,
            {
                "customer": customer.pk,
                "user": user.pk,
                "day": PENALTY_BATCH_DATE,
                "count": max(1, lines // LINES_PER_INVOICE),
            },
        )
        first, last = cursor.fetchone()
    events = apps.get_model("receivables", "InvoiceLineEvent").objects
    before = events.count()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_LINES,
            {
                "first": first,
                "last": last,
                "per_invoice": min(lines, LINES_PER_INVOICE),
                "account": account.pk,
            },
        )
        written = cursor.rowcount
    elapsed = time.perf_counter() - start
    # What is measured is an audited insert: one audit event per row.
    if written != lines or events.count() - before != lines:
        raise RuntimeError(f"{written} lines written and audited, not {lines}.")
    return elapsed / lines * 1_000_000


def audited_bulk_insert_workload(context: BenchmarkContext) -> None:
    """100,000 invoice lines in one INSERT into their audited table (each checks its
    invoice and revenue account), time per row, beside the time per row of 10,000 (the
    median of three) in the same run. Writes that stay linear keep the ratio near 1;
    with Django's deferred foreign keys it grew with the batch (customers: 5,000 rows
    0.35 s, 10,000 1.06 s, 20,000 3.77 s). Invoice lines rather than customers: the
    customers' full-text (GIN) index alone makes their insert about 1.3 times slower
    per row at 100,000, audit trigger or not, which is not what this figure is about."""
    customer, user, account = _bulk_insert_set_up()
    rows = {"customer": customer, "user": user, "account": account}
    baseline = statistics.median(
        _audited_insert_us_per_row(context.size(AUDITED_BASELINE_ROWS), **rows)
        for _ in range(AUDITED_BASELINE_RUNS)
    )
    context.report(
        "audited_insert_100k",
        _audited_insert_us_per_row(context.size(AUDITED_ROWS), **rows),
        "us/row",
        baseline="audited_insert_10k",
        baseline_value=baseline,
    )
