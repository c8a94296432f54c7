"""Requests per second for the login and home pages, served by gunicorn as in production.

Each page is divided by a view that only returns "ok" (bench_urls), fetched by the same
client from the same server in the same run, so the ratio is what the page itself costs
on top of Django and the middleware, whatever the machine.
"""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookies import SimpleCookie
from typing import IO, Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection

from millbrae_finance.benchmarks import BenchmarkContext
from millbrae_finance.roles import Role

HOST = "127.0.0.1"
BARE_VIEW = "/bench/constant/"
LOGIN_PAGE = "/accounts/login/"
HOME_PAGE = "/"
UNIT = "req/s"

CLIENT_THREADS = 4
GUNICORN_WORKERS = 2
REQUESTS_PER_FIGURE = 2000
WARM_UP_REQUESTS = 200
STARTUP_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 30

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def pages_workload(context: BenchmarkContext) -> None:
    """Login page and home page (as a Counter Clerk) against the bare view."""
    username, password = "bench_clerk", secrets.token_urlsafe(16)
    user = User.objects.create_user(username, password=password)
    user.groups.add(Group.objects.get(name=Role.COUNTER_CLERK.value))

    env = server_environment(connection.settings_dict)
    collect_static(env)
    with gunicorn(env) as port:
        # One session per client thread, as at a counter with several clerks: a shared
        # session would make the threads queue on its row, saved on every request.
        sessions = [log_in(port, username, password) for _ in range(CLIENT_THREADS)]
        anonymous = [""]
        workload = {BARE_VIEW: anonymous, LOGIN_PAGE: anonymous, HOME_PAGE: sessions}
        for path, cookies in workload.items():
            requests_per_second(port, path, cookies=cookies, total=context.size(WARM_UP_REQUESTS))
        total = context.size(REQUESTS_PER_FIGURE)
        rps = {
            path: requests_per_second(port, path, cookies=cookies, total=total)
            for path, cookies in workload.items()
        }

    bare = rps[BARE_VIEW]
    context.report(
        "login_page_rps", rps[LOGIN_PAGE], UNIT, baseline="bare_view_rps", baseline_value=bare
    )
    context.report(
        "home_page_rps", rps[HOME_PAGE], UNIT, baseline="bare_view_rps", baseline_value=bare
    )


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A connection's settings as a DATABASE_URL that dj-database-url parses back.

    HOST may be a unix-socket directory; percent-encoded, it stays the host.
    """
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = quote(settings_dict["HOST"] or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    name = quote(settings_dict["NAME"], safe="")
    options = urlencode(settings_dict.get("OPTIONS") or {})
    return f"postgresql://{user}:{password}@{host}{port}/{name}" + (
        f"?{options}" if options else ""
    )


def server_environment(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """Production settings, except plain HTTP on loopback and the bench URLconf."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(settings_dict),
        "DEBUG": "0",
        "SECRET_KEY": f"benchmark-{secrets.token_hex(32)}",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "MILLBRAE_URLCONF": "millbrae_finance.bench_urls",
    }


def collect_static(env: Mapping[str, str]) -> None:
    # With DEBUG off, {% static %} looks names up in the manifest collectstatic writes.
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed:\n{result.stdout}{result.stderr}")


@contextmanager
def gunicorn(
    env: Mapping[str, str],
    *,
    workers: int = GUNICORN_WORKERS,
    startup_seconds: float = STARTUP_SECONDS,
) -> Iterator[int]:
    """Run gunicorn on a free loopback port until the block ends; yield the port."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "millbrae_finance.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            wait_until_ready(process, port, log, startup_seconds)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_ready(
    process: subprocess.Popen, port: int, log: IO[bytes], seconds: float = STARTUP_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{read_log(log)}")
        try:
            status, _, _ = request(port, "GET", BARE_VIEW)
        except OSError:
            time.sleep(0.1)
            continue
        if status != 200:
            raise RuntimeError(f"GET {BARE_VIEW} answered {status}:\n{read_log(log)}")
        return
    raise RuntimeError(f"gunicorn not ready after {seconds}s:\n{read_log(log)}")


def read_log(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def request(
    port: int, method: str, path: str, *, cookie: str = "", form: Mapping[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a fresh connection: status, headers, body."""
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def log_in(port: int, username: str, password: str) -> str:
    """Log in as a browser does (the form, its CSRF token); return the Cookie header."""
    status, headers, body = request(port, "GET", LOGIN_PAGE)
    if status != 200:
        raise RuntimeError(f"GET {LOGIN_PAGE} answered {status}")
    token = CSRF_FIELD.search(body)
    if token is None:
        raise RuntimeError(f"GET {LOGIN_PAGE} has no CSRF token in its form")
    cookies = set_cookies(headers)
    form = {
        "csrfmiddlewaretoken": token.group(1).decode(),
        "username": username,
        "password": password,
    }
    status, headers, _ = request(port, "POST", LOGIN_PAGE, cookie=cookie_header(cookies), form=form)
    cookies |= set_cookies(headers)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"POST {LOGIN_PAGE} answered {status} without a session")
    session = cookie_header(cookies)
    status, _, _ = request(port, "GET", HOME_PAGE, cookie=session)
    if status != 200:
        raise RuntimeError(f"GET {HOME_PAGE} as {username} answered {status}")
    return session


def set_cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def requests_per_second(port: int, path: str, *, cookies: Sequence[str], total: int) -> float:
    """GET `path` `total` times from CLIENT_THREADS threads; thread i sends cookies[i]."""
    per_thread = max(1, total // CLIENT_THREADS)

    def client(thread: int) -> None:
        cookie = cookies[thread % len(cookies)]
        headers = {"Cookie": cookie} if cookie else {}
        # http.client reconnects by itself when gunicorn closes the connection.
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            for _ in range(per_thread):
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {path} answered {response.status}")
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        start = time.perf_counter()
        list(pool.map(client, range(CLIENT_THREADS)))
        elapsed = time.perf_counter() - start
    return per_thread * CLIENT_THREADS / elapsed
