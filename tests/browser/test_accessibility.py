"""An accessibility pass over the whole app: axe-core in headless Chromium on one page of
every URL pattern, each opened by a role that may open it, on real sample objects (the
role matrix's). Any serious or critical violation fails the test, listed by rule, page and
element.

axe-core is vendored beside this file (tests/browser/vendor/, see its README): nothing is
fetched at run time. It is added to each page as an init script through the DevTools
protocol, which the app's strict Content-Security-Policy does not govern (no bypass_csp):
the pages are checked as a user's browser enforces them.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from millbrae_finance.roles import Role
from tests.conftest import make_user
from tests.millbrae_finance.test_role_matrix import POST_ONLY, all_patterns, sample_kwargs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js").read_text()
FAILING_IMPACTS = {"serious", "critical"}

# URL patterns that answer no HTML page of their own.
NOT_PAGES = {
    "logout": "POST only",
    "receivables:citation_notice": "PDF",
    "receivables:customer_statement": "PDF",
    "receivables:invoice_pdf": "PDF",
    "ledger:chart_import_template": "CSV download",
    "job_download": "the file a background job made (a PDF)",
    "utility_billing:bill_pdf": "PDF",
    "cashiering:receipt_print": "PDF",
    "cashiering:deposit_slip": "PDF",
    "utility_billing:bill_run_print_file": "the run's print file (a PDF)",
    "utility_billing:bill_run_print_part": "a part of the run's print file (a PDF)",
    # Fragments swapped into the journal and invoice forms, checked there.
    "ledger:journal_account_search": "HTMX fragment",
    "receivables:invoice_customer_search": "HTMX fragment",
    "receivables:citation_fine": "HTMX fragment",
    "utility_billing:revenue_account_search": "HTMX fragment",
    "audit_changed_by": "HTMX fragment",
    # The meter read file's layout, as a template to fill in.
    "utility_billing:read_import_template": "CSV download",
    "cashiering:lockbox_template": "CSV download",
    "cashiering:batch_account": "HTMX fragment",
    "payables:account_search": "HTMX fragment",
    "payables:invoice_attachment": "the scanned invoice (a PDF or image)",
}

# Roles are spread over the pages (each page as one role that may open it, in turn), so
# every role's navigation and home page are checked too.
ROLE_ORDER = [
    Role.FINANCE_SUPERVISOR,
    Role.ACCOUNTING_TECHNICIAN,
    Role.SENIOR_ACCOUNTING_TECHNICIAN,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
    Role.COUNTER_CLERK,
]

RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        // Each element at fault, with axe's first line on why (a contrast ratio, ...).
        nodes: v.nodes.map((n) => ({
            target: n.target.join(" "),
            why: (n.failureSummary || "").split("\\n").slice(1, 2).join("").trim(),
        })),
    }));
}"""


def pages_to_check(users: dict) -> list[tuple[str, Role | None, str]]:
    """(URL name, role, URL): one GET page per URL pattern, plus the home page of every
    role (each role's home shows its own work) and the front of Django's admin."""
    found = [("home", role, reverse("home")) for role in ROLE_ORDER]
    turn = 0
    for name, pattern in all_patterns():
        if name in POST_ONLY or name in NOT_PAGES or name == "home":
            continue
        allowed = getattr(pattern.callback, "allowed_roles", None)
        if allowed:
            may_open = [role for role in ROLE_ORDER if role in allowed]
            role = may_open[turn % len(may_open)]
            turn += 1
        else:
            role = None  # a public page (the login page), opened signed out
        kwargs = sample_kwargs(name, users) if pattern.pattern.converters else None
        found.append((name, role, reverse(name, kwargs=kwargs)))
    # Django's admin (the Administrator's only): its front page and the users list. Its
    # change forms are Django's own markup (the group picker, SelectFilter2, puts an
    # aria-label on a bare span, which axe calls serious) and are left to Django.
    found += [
        (name, Role.ADMINISTRATOR, reverse(name))
        for name in ("admin:index", "admin:auth_user_changelist")
    ]
    return found


def paid_citation(users: dict) -> None:
    """Beside the role matrix's open citation, one paid in full: the citation list then
    shows the green Paid badge as well as the amber Open one."""
    from tests.receivables.conftest import make_citation, pay

    citation = make_citation(actor=users[Role.ACCOUNTING_TECHNICIAN], code="RM-VIOLATION")
    pay(citation.number, "citation", str(citation.fine_amount), actor=users[Role.COUNTER_CLERK])


def session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def axe_violations(page) -> list[dict]:
    return page.evaluate(RUN_AXE)


# Pages saved under screenshots/ for a person to look at: the badges and the totals.
SCREENSHOTS = {
    "receivables:citation_list",
    "receivables:fee_list",
    "ledger:journal_detail",
    "ledger:account_create",
}


# The walk is shared out in this many parts, each a test of its own, so that pytest-xdist's
# workers walk it side by side: whole, it was the suite's longest test.
WALK_PARTS = 3


@pytest.mark.slow
@pytest.mark.parametrize("part", range(WALK_PARTS))
def test_every_page_has_no_serious_or_critical_accessibility_violation(
    browser, live_server, screenshot, part
):
    users = {role: make_user(role) for role in Role}
    users[None] = make_user(None, username="no_role")
    pages = pages_to_check(users)
    paid_citation(users)
    assert len(pages) > 70, "the walk should reach every page of the app"
    pages = pages[part::WALK_PARTS]

    contexts = {}
    found: list[str] = []
    try:
        for name, role, url in pages:
            if role not in contexts:
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                context.add_init_script(script=AXE_SOURCE)
                if role is not None:
                    context.add_cookies([session_cookie(users[role], live_server)])
                contexts[role] = context.new_page()
            page = contexts[role]
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, f"{role} {name} {url}: {response.status}"
            if page.locator("main").count() != 1:
                found.append(f"{name} {url} is not a full page (no single <main>)")
                continue
            if name == "receivables:citation_list":
                # The walk reaches the green badge a paid document wears.
                assert page.locator(".badge", has_text="Paid").count() == 1
            if name in SCREENSHOTS:
                screenshot(page, f"a11y-{name.replace(':', '-')}")
            for violation in axe_violations(page):
                if violation["impact"] in FAILING_IMPACTS:
                    found.extend(
                        f"{violation['impact']} {violation['id']} on {url} ({name}, {role}): "
                        f"{node['target']}: {violation['help']}. {node['why']}"
                        for node in violation["nodes"]
                    )
    finally:
        for page in contexts.values():
            page.context.close()
    assert not found, f"{len(found)} serious or critical accessibility violations:\n" + "\n".join(
        found
    )


def test_the_accessibility_pass_finds_a_violation(browser, live_server):
    """The check itself works under the app's CSP: a page given an unlabelled field and
    text of too little contrast is caught."""
    make_user(Role.COUNTER_CLERK)
    context = browser.new_context()
    context.add_init_script(script=AXE_SOURCE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{reverse('login')}")
        page.evaluate(
            """() => {
                const main = document.querySelector("main");
                const field = document.createElement("input");
                field.name = "unlabelled";
                main.append(field);
                // Styled through the CSSOM: the CSP refuses inline style attributes.
                const faint = document.createElement("p");
                faint.textContent = "faint";
                faint.style.color = "#aaa";
                faint.style.background = "#fff";
                main.append(faint);
            }"""
        )
        found = {v["id"]: v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS}
        assert {"label", "color-contrast"} <= found.keys()
        # The report says which element and why.
        [faint] = found["color-contrast"]["nodes"]
        assert faint["target"].endswith("main > p")
        assert "insufficient color contrast of 2.32" in faint["why"]
    finally:
        context.close()
