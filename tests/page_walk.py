"""Walk the pages a user can reach, the way a person would: from the home page and the
navigation, following every link the pages show, each URL pattern a few times.

Shared by the page-walk test (no server errors for any role on the demo data) and by
`scripts/page_times.py`, which reports the server time of each page. Not a test module.
"""

import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.core.signals import got_request_exception
from django.test import Client
from django.urls import Resolver404, resolve

# Pages that a GET changes nothing on but a walk has no reason to open again and again.
NEVER_FOLLOW = {"admin:logout", "logout", "admin:view_on_site"}
# Where the walk starts besides the home page: the pages a person opens from the top bar.
START = ("/",)


@dataclass(frozen=True)
class Link:
    url: str  # path and query, as the page wrote it, made absolute
    in_navigation: bool  # in the top bar, a <nav> (menus, tabs, pagination) or the header
    htmx: bool  # an hx-get: requested as HTMX requests it


@dataclass
class Visit:
    url: str
    pattern: str  # "namespace:name", the URL pattern that answered
    status: int
    seconds: float  # the server's time: the test client's request, middleware to template
    via: str  # the page that linked here ("" for a start page)
    in_navigation: bool
    content_type: str = ""
    error: str = ""  # the exception behind a server error, as "Type: message"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._nav_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("nav", "header"):
            self._nav_depth += 1
        values = dict(attrs)
        nav = self._nav_depth > 0
        if tag == "a" and values.get("href"):
            self.links.append(Link(values["href"], nav, htmx=False))
        if values.get("hx-get"):
            self.links.append(Link(values["hx-get"], nav, htmx=True))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "header") and self._nav_depth:
            self._nav_depth -= 1


def links_in(html: str, base: str) -> list[Link]:
    """The links of a page that stay in the app, absolute paths with their query."""
    parser = _Links()
    parser.feed(html)
    found = []
    for link in parser.links:
        href = link.url.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        parts = urlsplit(urljoin(base, href))
        if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http", "https"):
            continue
        if parts.path.startswith(("/static/", "/media/")):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        found.append(Link(url, link.in_navigation, link.htmx))
    return found


def pattern_of(url: str) -> str | None:
    """The URL pattern's full name ("receivables:invoice_detail"), or None if none."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def visit_key(url: str, pattern: str) -> tuple[str, str]:
    """What counts as "the same page" for the cap: the pattern and its output format (a
    list, its CSV and its PDF are three pages)."""
    query = dict(parse_qsl(urlsplit(url).query))
    return pattern, query.get("format", "")


def walk(
    client: Client,
    *,
    per_pattern: int = 1,
    skip_keys: set[tuple[str, str]] | None = None,
    skip_formats: Iterable[str] = (),
    also: Iterable[str] = (),
) -> tuple[list[Visit], dict[str, Link]]:
    """Walk from the home page as the client's user: breadth first, every link the pages
    show, each (pattern, format) at most `per_pattern` times, none of `skip_keys` nor of
    `skip_formats` (?format=pdf: batch documents take seconds each); `also`
    are pages to open though no page links to them. Returns the visits and every link
    seen (url -> Link). The client should not raise (raise_request_exception=False): a
    server error is recorded on its visit with the exception behind it."""
    walker = _Walker(client, per_pattern, skip_keys or set(), set(skip_formats))
    walker.queue.extend((Link(url, True, False), "") for url in START)
    walker.queue.extend((Link(url, False, False), "") for url in also)
    got_request_exception.connect(walker.record_error)
    try:
        walker.run()
    finally:
        got_request_exception.disconnect(walker.record_error)
    return walker.visits, walker.seen


class _Walker:
    def __init__(
        self, client: Client, per_pattern: int, skip: set[tuple[str, str]], formats: set[str]
    ) -> None:
        self.client = client
        self.per_pattern = per_pattern
        self.skip = skip
        self.skip_formats = formats
        self.queue: deque[tuple[Link, str]] = deque()
        self.visits: list[Visit] = []
        self.seen: dict[str, Link] = {}
        self.opened: set[str] = set()
        self.counts: dict[tuple[str, str], int] = {}
        self.errors: list[str] = []

    def record_error(self, sender, **kwargs) -> None:
        kind, value, _ = sys.exc_info()
        self.errors.append(f"{kind.__name__}: {value}" if kind else "unknown error")

    def run(self) -> None:
        while self.queue:
            link, via = self.queue.popleft()
            if link.url in self.opened:
                continue
            pattern = pattern_of(link.url)
            if pattern is None or pattern in NEVER_FOLLOW:
                continue
            key = visit_key(link.url, pattern)
            if key in self.skip or key[1] in self.skip_formats:
                continue
            if self.counts.get(key, 0) >= self.per_pattern:
                continue
            self.counts[key] = self.counts.get(key, 0) + 1
            self.opened.add(link.url)
            self.open(link, via, pattern)

    def open(self, link: Link, via: str, pattern: str) -> None:
        headers = {"HTTP_HX_REQUEST": "true"} if link.htmx else {}
        self.errors.clear()
        started = time.perf_counter()
        response = self.client.get(link.url, **headers)
        seconds = time.perf_counter() - started
        content_type = response.get("Content-Type", "")
        self.visits.append(
            Visit(
                url=link.url,
                pattern=pattern,
                status=response.status_code,
                seconds=seconds,
                via=via,
                in_navigation=link.in_navigation,
                content_type=content_type,
                error="; ".join(self.errors),
            )
        )
        if response.status_code in (301, 302, 303):
            location = urljoin(link.url, response["Location"])
            self.queue.append((Link(location, link.in_navigation, False), link.url))
        elif response.status_code == 200 and content_type.startswith("text/html"):
            for found in links_in(response.content.decode(), link.url):
                self.seen.setdefault(found.url, found)
                self.queue.append((found, link.url))


def open_page(client: Client, url: str, via: str = "") -> Visit:
    """One page, as the walk opens it (its links are not followed)."""
    walker = _Walker(client, 1, set(), set())
    got_request_exception.connect(walker.record_error)
    try:
        walker.open(Link(url, in_navigation=False, htmx=False), via, pattern_of(url) or "")
    finally:
        got_request_exception.disconnect(walker.record_error)
    return walker.visits[0]
