"""Cashiering benchmarks (issue 11).

Receipts posted through the whole HTTP stack: gunicorn (started and stopped here, on a
free loopback port, production settings) serving 1 and then 8 clerks at once, each
logged in with their own session cookie and their own open drawer session, each receipt
taken as at the counter: the account added to the cart (POST counter/add/), then the
counter's form posted with its real fields (the amount, the tender, the one-time
idempotency key, the CSRF token): one receipt, its utility payment and its entry. Beside
it, a bare Django view ("ok", bench_urls) fetched at the same concurrency from the same
gunicorn. Figures: receipts a second (a receipt is its two requests) and the p95 of the
post request. Goal: 300 receipts a second with 8 clerks, post p95 under 50 ms.

The counter's search box (every registered payment target searched at once, as the
clerk types) over 200,000 utility accounts and their customers: p50 and p95 server time
of the HTMX fragment through the test client (URL, middleware, session, role check,
queries, template), beside a trivial page. Goal: p95 under 30 ms.

Cashiering knows the other modules only through the payment-target registry; a
benchmark, like a test, loads the data it needs, so this module borrows utility
billing's account load and the ledger's demo chart.
"""

import http.client
import random
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from cashiering.models import CashSession, Drawer, Receipt
from cashiering.services.sessions import open_session
from ledger.demo.books import seed_chart
from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.benchmarks.pages import (
    BARE_VIEW,
    CSRF_FIELD,
    HOST,
    REQUEST_TIMEOUT_SECONDS,
    collect_static,
    gunicorn,
    log_in,
    server_environment,
)
from millbrae_finance.roles import Role
from utility_billing.benchmarks.accounts import (
    ACCOUNTS,
    QUICK_ACCOUNTS,
    _get,
    _searches,
    load_accounts,
    percentiles_ms,
)
from utility_billing.models import UtilityAccount

CONCURRENCY = (1, 8)
# Receipts a run posts at each concurrency (a tenth with --quick).
RECEIPTS = {1: 300, 8: 1600}
WARM_UP_RECEIPTS = 3
BARE_REQUESTS = {1: 600, 8: 3200}
# Enough sync workers that 8 clerks never queue behind each other for a worker.
GUNICORN_WORKERS = max(CONCURRENCY)
QUICK_GUNICORN_WORKERS = 2
# Eight workers booting Django at once take a while on a small, busy machine.
STARTUP_SECONDS = 180
PAYMENT_TARGET = "utility-account"
# Accounts to pay when no other workload has loaded any: one a receipt is plenty.
RECEIPT_ACCOUNTS = 20_000
SEED = 11
RUNS_PER_SEARCH = 25


def _percentile_95(timings: Sequence[float]) -> float:
    if len(timings) < 2:
        return timings[0]
    return statistics.quantiles(timings, n=20)[18]


def _clerks(count: int) -> tuple[list[User], str]:
    """`count` counter clerks, each with their own drawer and open session."""
    password = secrets.token_urlsafe(16)
    group = Group.objects.get(name=Role.COUNTER_CLERK.value)
    clerks = []
    for n in range(1, count + 1):
        clerk, _ = User.objects.get_or_create(username=f"bench_cashier_{n}")
        clerk.set_password(password)
        clerk.save()
        clerk.groups.add(group)
        drawer, _ = Drawer.objects.get_or_create(
            code=f"BM{n}", defaults={"name": f"Benchmark drawer {n}"}
        )
        if not CashSession.objects.open().filter(clerk=clerk).exists():
            open_session(drawer, opening_float=Decimal("200.00"), actor=clerk)
        clerks.append(clerk)
    return clerks, password


def _form_token(port: int, cookie: str) -> str:
    """The CSRF token of the counter's form, as the browser has it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        conn.request("GET", reverse("cashiering:counter"), headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    token = CSRF_FIELD.search(body)
    if response.status != 200 or token is None:
        raise RuntimeError(f"The counter answered {response.status} without a form token.")
    return token.group(1).decode()


def _tender(n: int, amount: Decimal) -> dict[str, str]:
    """Cash with change, a check or a card, in turn."""
    if n % 3 == 0:
        return {"cash": str(amount + Decimal("20.00"))}
    if n % 3 == 1:
        return {"check": str(amount), "check_number": str(1000 + n)}
    return {"card": str(amount), "card_last_four": f"{n % 10000:04d}", "card_authorization": "A1"}


class Clerk:
    """One clerk at one window: their cookie, their form token, their connection."""

    def __init__(self, port: int, cookie: str, token: str) -> None:
        self.port = port
        self.cookie = cookie
        self.token = token
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        self.timings: list[float] = []

    def _post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        body = urlencode({"csrfmiddlewaretoken": self.token, **form})
        headers = {
            "Cookie": self.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return response.status, response.getheader("Location", "")

    def take(self, references: Sequence[str], *, timed: bool) -> None:
        add, counter = reverse("cashiering:cart_add"), reverse("cashiering:counter")
        for n, reference in enumerate(references):
            status, _ = self._post(add, {"kind": PAYMENT_TARGET, "reference": reference})
            if status != 302:
                raise RuntimeError(f"Adding {reference} to the cart answered {status}.")
            amount = Decimal(25 + n % 50) + Decimal("0.75")
            form = {
                "action": "post",
                "amount_0": str(amount),
                "idempotency_key": secrets.token_urlsafe(18),
                **_tender(n, amount),
            }
            start = time.perf_counter()
            status, location = self._post(counter, form)
            elapsed = (time.perf_counter() - start) * 1000
            if status != 302 or "/receipts/" not in location:
                raise RuntimeError(f"Posting the receipt for {reference} answered {status}.")
            if timed:
                self.timings.append(elapsed)

    def close(self) -> None:
        self.conn.close()


def _bare(port: int, clients: int, total: int) -> tuple[float, float]:
    """The bare view at this concurrency: requests a second and the p95 in ms."""
    per_client = max(1, total // clients)
    timings: list[list[float]] = [[] for _ in range(clients)]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            for _ in range(per_client):
                start = time.perf_counter()
                conn.request("GET", BARE_VIEW)
                response = conn.getresponse()
                response.read()
                timings[n].append((time.perf_counter() - start) * 1000)
                if response.status != 200:
                    raise RuntimeError(f"GET {BARE_VIEW} answered {response.status}")
        finally:
            conn.close()

    elapsed = _in_threads(clients, client)
    return per_client * clients / elapsed, _percentile_95([t for ts in timings for t in ts])


def _in_threads(count: int, work: Callable[[int], None]) -> float:
    """Run work(0..count-1) in as many threads at once; the wall time in seconds."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        start = time.perf_counter()
        list(pool.map(work, range(count)))
        return time.perf_counter() - start


def receipts_workload(context: BenchmarkContext) -> None:
    """Receipts a second and the post's p95 with 1 and 8 clerks, beside the bare view."""
    seed_chart()
    if not UtilityAccount.objects.exists():
        load_accounts(QUICK_ACCOUNTS if context.quick else RECEIPT_ACCOUNTS)
    clerks, password = _clerks(max(CONCURRENCY))
    sizes = {n: context.size(RECEIPTS[n]) for n in CONCURRENCY}
    needed = sum(sizes.values()) + WARM_UP_RECEIPTS * max(CONCURRENCY) * len(CONCURRENCY)
    # Each receipt pays its own account: clerks never wait on each other's account.
    numbers = list(UtilityAccount.objects.order_by("pk").values_list("number", flat=True)[:needed])
    if len(numbers) < needed:
        raise RuntimeError(f"{needed} accounts are needed, {len(numbers)} are loaded.")
    before = Receipt.objects.count()
    env = server_environment(connection.settings_dict)
    collect_static(env)
    figures = {}
    # A quick run is a smoke test: fewer workers boot faster on a busy machine.
    workers = QUICK_GUNICORN_WORKERS if context.quick else GUNICORN_WORKERS
    with gunicorn(env, workers=workers, startup_seconds=STARTUP_SECONDS) as port:
        windows = []
        for clerk in clerks:
            cookie = log_in(port, clerk.username, password)
            windows.append(Clerk(port, cookie, _form_token(port, cookie)))
        try:
            for clients in CONCURRENCY:
                at_once = windows[:clients]
                per_clerk = max(1, sizes[clients] // clients)
                batches = [
                    [numbers.pop() for _ in range(WARM_UP_RECEIPTS + per_clerk)] for _ in at_once
                ]
                for window, batch in zip(at_once, batches, strict=True):
                    window.timings = []
                    window.take(batch[:WARM_UP_RECEIPTS], timed=False)
                elapsed = _in_threads(
                    clients,
                    lambda n, at_once=at_once, batches=batches: at_once[n].take(
                        batches[n][WARM_UP_RECEIPTS:], timed=True
                    ),
                )
                timings = [t for window in at_once for t in window.timings]
                figures[clients] = (
                    len(timings) / elapsed,
                    _percentile_95(timings),
                    *_bare(port, clients, context.size(BARE_REQUESTS[clients])),
                )
        finally:
            for window in windows:
                window.close()
    posted = Receipt.objects.count() - before
    expected = sum((WARM_UP_RECEIPTS + max(1, sizes[n] // n)) * n for n in CONCURRENCY)
    if posted != expected:
        raise RuntimeError(f"{posted} receipts were posted, {expected} were taken.")
    for clients, (rps, p95, bare_rps, bare_p95) in figures.items():
        word = "clerk" if clients == 1 else "clerks"
        context.report(
            f"receipts_{clients}_{word}_per_s",
            rps,
            "rcpt/s",
            baseline=f"bare_view_{clients}_clients_rps",
            baseline_value=bare_rps,
        )
        context.report(
            f"receipt_post_{clients}_{word}_p95",
            p95,
            "ms",
            baseline=f"bare_view_{clients}_clients_p95",
            baseline_value=bare_p95,
        )


@override_settings(ALLOWED_HOSTS=["testserver"])
def counter_search_workload(context: BenchmarkContext) -> None:
    """p50 and p95 of the counter's search box (the HTMX results fragment, every payment
    target searched) over 200,000 accounts, beside a trivial page."""
    count = QUICK_ACCOUNTS if context.quick else ACCOUNTS
    if not UtilityAccount.objects.exists():
        load_accounts(count)
    (clerk,), _ = _clerks(1)
    client = Client()
    client.force_login(clerk)
    url = reverse("cashiering:counter")
    searches = _searches(random.Random(SEED))

    def search(text: str) -> Callable[[], object]:
        def measure():
            response = client.get(url, {"q": text}, headers={"HX-Request": "true"})
            if response.status_code != 200 or b"data-counter-result" not in response.content:
                raise RuntimeError(f"The counter's search for {text!r} found nothing.")
            return response

        return measure

    p50, p95 = percentiles_ms(RUNS_PER_SEARCH, [search(text) for text in searches])
    trivial = _get(client, reverse("password_change_done"))
    base50, base95 = percentiles_ms(RUNS_PER_SEARCH * len(searches), [trivial])
    context.report(
        "counter_search_p95", p95, "ms", baseline="trivial_page_p95", baseline_value=base95
    )
    context.report(
        "counter_search_p50", p50, "ms", baseline="trivial_page_p50", baseline_value=base50
    )
