"""Utility billing benchmarks: the counter's account search and the account page over
200,000 accounts, each as p50 and p95 server time through the whole request (URL,
middleware, session, role check, query, template). Goal (issue 10): p95 under 30 ms.
Each beside a baseline measured in the same run: the search beside as many primary-key
lookups, the account page beside a trivial page (the signed-in "password changed" page:
the same middleware and base template, no query of its own)."""

import random
import statistics
import time
from collections.abc import Callable

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.db_roles import as_owner
from millbrae_finance.roles import Role
from receivables.benchmarks import load_customers
from receivables.demo.customers import LAST_NAMES, STREETS
from utility_billing.models import Cycle, UtilityAccount

ACCOUNTS = 200_000
QUICK_ACCOUNTS = 2_000
RUNS_PER_QUERY = 25
ACCOUNT_PAGES = 300
SEED = 10

# Location n: a parcel number unique by n (book-page-parcel), a house number and street
# from arrays indexed by n; set-based, as bulk loads are (STYLE.md).
INSERT_LOCATIONS = """
    INSERT INTO utility_billing_servicelocation (
        parcel_number, address_line1, address_line2, city, postal_code, service_class,
        cycle_id, route, route_sequence, is_active, created_at)
    SELECT '0' || (21 + n %% 7) || '-' || lpad((n / 7 / 1000)::text, 3, '0')
               || '-' || lpad((n / 7 %% 1000)::text, 3, '0'),
           (100 + (n / %(nstreets)s) %% 1900) || ' '
               || (%(streets)s::text[])[1 + n %% %(nstreets)s],
           CASE WHEN n %% 10 = 0 THEN 'Unit ' || (1 + n %% 4) ELSE '' END,
           'Millbrae', '94030', 'single_family', %(cycle)s,
           'R' || lpad((1 + n %% 40)::text, 2, '0'), n / 40, true, now()
      FROM generate_series(1, %(count)s) AS n
"""

# Account n: the n-th customer at the n-th location, numbered from 100001.
INSERT_ACCOUNTS = """
    INSERT INTO utility_billing_utilityaccount (
        number, customer_id, location_id, role, status, start_date, end_date,
        deposit_required, deposit_waived, deposit_waiver_reason, winter_average_hcf,
        notes, opened_by_id, created_at)
    SELECT (100000 + c.n)::text, c.id, l.id, 'owner', 'active',
           DATE '2010-01-01' + (c.n %% 5000)::int, NULL, 0, false, '', NULL, '', %(user)s, now()
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM receivables_customer) AS c
      JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n
              FROM utility_billing_servicelocation) AS l ON l.n = c.n
"""


def load_accounts(count: int) -> User:
    """`count` customers, locations and owner accounts, and a counter clerk who searches.
    The audit triggers are off for the load (not what is measured), as receivables'
    customer load does; the accounts' search words are then filled in one statement."""
    cycle = Cycle.objects.create(code="BM", name="Benchmark cycle", read_day=5, bill_day=10)
    clerk = User.objects.create(username="bench_utility_clerk")
    clerk.groups.add(Group.objects.get(name=Role.COUNTER_CLERK.value))
    load_customers(count)
    tables = ("utility_billing_servicelocation", "utility_billing_utilityaccount")
    with as_owner(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(
            INSERT_LOCATIONS,
            {
                "streets": [street for street, _, _ in STREETS],
                "nstreets": len(STREETS),
                "cycle": cycle.pk,
                "count": count,
            },
        )
        cursor.execute(INSERT_ACCOUNTS, {"user": clerk.pk})
        fill_search_words(cursor)
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute(f"VACUUM ANALYZE {table}")
    return clerk


def fill_search_words(cursor) -> None:
    """What the accounts' search trigger writes, for rows loaded with triggers off."""
    cursor.execute(
        "UPDATE utility_billing_utilityaccount"
        " SET search_vector = utility_billing_account_search_vector(number, customer_id,"
        " location_id)"
    )


def percentiles_ms(runs: int, measures: list[Callable[[], object]]) -> tuple[float, float]:
    """The p50 and p95, in milliseconds, of `runs` timings of each measure (after one
    warm-up of each)."""
    timings = []
    for measure in measures:
        measure()
    for _ in range(runs):
        for measure in measures:
            start = time.perf_counter()
            measure()
            timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), statistics.quantiles(timings, n=20)[18]


def _get(client: Client, url: str, data: dict | None = None) -> Callable[[], object]:
    def measure():
        response = client.get(url, data)
        if response.status_code != 200:
            raise RuntimeError(f"{url} {data or ''} answered {response.status_code}.")
        return response

    return measure


def _searches(rng: random.Random) -> list[str]:
    """A counter's mix, each finding rows: an account number, part of a street name, a
    customer's surname, a parcel number (and surname with street)."""
    account = UtilityAccount.objects.select_related("location").order_by("pk")[
        rng.randrange(UtilityAccount.objects.count())
    ]
    street = STREETS[rng.randrange(len(STREETS))][0].split()[0]
    return [
        account.number,
        street[:5].lower(),
        rng.choice(LAST_NAMES),
        account.location.parcel_number,
        f"{rng.choice(LAST_NAMES)} {street}",
    ]


@override_settings(ALLOWED_HOSTS=["testserver"])
def account_search_workload(context: BenchmarkContext) -> None:
    """p50 and p95 of the account list searched by the counter's mix of queries, beside
    as many primary-key lookups of an account."""
    count = QUICK_ACCOUNTS if context.quick else ACCOUNTS
    clerk = load_accounts(count)
    client = Client()
    client.force_login(clerk)
    url = reverse("utility_billing:account_list")
    rng = random.Random(SEED)
    searches = _searches(rng)
    for text in searches:
        if "No accounts match" in _get(client, url, {"q": text})().content.decode():
            raise RuntimeError(f"The benchmark search {text!r} found no account.")
    ids = list(UtilityAccount.objects.values_list("pk", flat=True))
    p50, p95 = percentiles_ms(RUNS_PER_QUERY, [_get(client, url, {"q": text}) for text in searches])
    lookups = [
        lambda pk=pk: UtilityAccount.objects.filter(pk=pk).first()
        for pk in rng.sample(ids, len(searches))
    ]
    base50, base95 = percentiles_ms(RUNS_PER_QUERY, lookups)
    context.report(
        "utility_account_search_p95", p95, "ms", baseline="pk_lookup_p95", baseline_value=base95
    )
    context.report(
        "utility_account_search_p50", p50, "ms", baseline="pk_lookup_p50", baseline_value=base50
    )


@override_settings(ALLOWED_HOSTS=["testserver"])
def account_page_workload(context: BenchmarkContext) -> None:
    """p50 and p95 of the account page over random accounts, each shown once, beside a
    trivial page shown as often."""
    count = QUICK_ACCOUNTS if context.quick else ACCOUNTS
    if not UtilityAccount.objects.exists():
        load_accounts(count)
    clerk = User.objects.get(username="bench_utility_clerk")
    client = Client()
    client.force_login(clerk)
    rng = random.Random(SEED)
    ids = list(UtilityAccount.objects.values_list("pk", flat=True))
    pages = [
        _get(client, reverse("utility_billing:account_detail", args=[pk]))
        for pk in rng.sample(ids, min(len(ids), ACCOUNT_PAGES))
    ]
    p50, p95 = percentiles_ms(1, pages)
    trivial = _get(client, reverse("password_change_done"))
    base50, base95 = percentiles_ms(len(pages), [trivial])
    context.report(
        "utility_account_page_p95", p95, "ms", baseline="trivial_page_p95", baseline_value=base95
    )
    context.report(
        "utility_account_page_p50", p50, "ms", baseline="trivial_page_p50", baseline_value=base50
    )
