"""The customer search benchmark: search_customers over a large customer master, beside
a plain primary-key lookup on the same table measured in the same run."""

import statistics
import time
from collections.abc import Callable

from django.db import connection

from millbrae_finance.benchmarks import BenchmarkContext
from receivables.demo import FIRST_NAMES, LAST_NAMES, STREETS
from receivables.models import Customer
from receivables.queries import search_customers

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
    worse than linearly over one 200,000-row statement (minutes instead of seconds)."""
    with connection.cursor() as cursor:
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
