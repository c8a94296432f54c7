"""Browser tests: real headless Chromium (Debian's package) driven by Playwright over the
same views, served by pytest-django's live server."""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Browser tests need Chromium: apt-get install chromium (make test does this).")
    return path


@pytest.fixture(scope="session")
def browser():
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    # make between page actions are still synchronous and safe. Only while browsers run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # While that loop runs, Django keeps the thread's connections apart from those it had
    # before (asgiref's thread-critical Local): a connection left open on either side of
    # the loop's start or end would stay open, out of reach, and the test database could
    # not be dropped at the end. Close them at both crossings.
    connections.close_all()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
            )
            yield browser
            browser.close()
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    yield page
    # Let requests in flight (an HTMX swap the last action set off) finish on the live
    # server before the database is flushed: a query still running there would deadlock
    # with the flush's TRUNCATE.
    from playwright.sync_api import Error as PlaywrightError

    # A page that never settles is closed all the same.
    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state("networkidle", timeout=5000)
    context.close()


@pytest.fixture
def screenshot():
    """Save a PNG under screenshots/ (not committed) for a person to look at."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # caret="initial": Playwright would otherwise inject a style to hide the caret,
        # which the strict CSP reports as a console error.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


def nav_to(page, label: str) -> None:
    """Open a page from the main navigation as a person does: hover its section, then
    click the link in the menu that opens."""
    link = page.locator("nav.mainnav .menu a", has_text=label).first
    link.locator("xpath=ancestor::li[contains(@class, 'section')]").hover()
    link.click()
