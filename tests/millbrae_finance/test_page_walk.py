"""Every page every role reaches, on the demo data: no server error anywhere, and no link
of a role's own navigation answering 403.

The demo database once answered 500 on the auditor's first page (a model field named
`items` in the audit trail). Each demo role walks from the home page like a person: the
navigation, then every link each page shows, each URL pattern (and each of its formats)
once. Then every URL pattern the role may open but did not reach is opened with a URL
another role's pages showed. The demo database is seeded once for the run (tests/conftest.py's `demo_db`).
Timings are not asserted here: scripts/page_times.py reports them.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from millbrae_finance.demo import DEMO_USERS
from tests.millbrae_finance.test_role_matrix import POST_ONLY, all_patterns
from tests.page_walk import open_page, pattern_of, visit_key, walk

# Lists printed as a PDF are batch documents (every statement, every notice of a day):
# seconds each, and rendered by their own tests. A single document's PDF is opened once.
SKIPPED_FORMATS = {"pdf"}
# Pages no role's pages link to that still answer a GET: opened from these URLs.
UNLINKED = {
    "password_change_done": "/accounts/password/done/",
}
# The demo has no manual journal; tests/ledger/test_journals.py opens those pages.
NOT_IN_THE_DEMO = {
    "ledger:journal_detail",
    "ledger:journal_edit",
    "ledger:journal_submit",
    "ledger:journal_approve",
    "ledger:journal_reject",
    # The demo has no utility adjustment; tests/utility_billing/test_adjustments.py opens
    # one's page.
    "utility_billing:adjustment_detail",
    # The demo starts no background job; tests/receivables/test_job_page.py and
    # test_statements.py open a job's page and its download.
    "job_detail",
    "job_download",
    # The demo's reads are seeded, not imported from a file;
    # tests/utility_billing/test_read_views.py opens an import's page.
    "utility_billing:read_import_detail",
    # The demo's bill history was never mailed: no print file (the run page links both
    # once a run has one); tests/utility_billing/test_bill_pdfs.py makes and downloads one.
    "utility_billing:bill_run_print",
    "utility_billing:bill_run_print_file",
    "utility_billing:bill_run_print_part",
    # The demo has drawers but no session or receipt yet: tests/cashiering/test_views.py
    # and the browser test open them.
    "cashiering:session_detail",
    "cashiering:session_close",
    "cashiering:session_verify",
    "cashiering:receipt_detail",
    "cashiering:receipt_print",
    "cashiering:receipt_void",
    # The demo has no mail or lockbox batch: tests/cashiering/test_batch_views.py and
    # tests/browser/test_mail_batches.py open a batch's page and its account lookup.
    "cashiering:batch_detail",
    "cashiering:batch_account",
    # No session, so no deposit: tests/cashiering/test_daily_cash.py opens a deposit's
    # page and its slip.
    "cashiering:deposit_detail",
    "cashiering:deposit_slip",
}


def demo_sample(name: str) -> str | None:
    """A URL for a pattern whose page only a document in some state links to (a draft's
    Edit, an issued invoice's Void) or only a form posts to: the demo's first such row.
    Whatever it answers a GET with, it must not be a server error."""
    from django.urls import reverse

    from cashiering.models import Receipt
    from ledger.models import Account, FiscalYear, JournalEntry
    from payables.models import Invoice as VendorInvoice
    from receivables.models import CreditMemo, Fee, Invoice
    from utility_billing.models import Meter, MeterRead, RateVersion

    rows = {
        "ledger:entry_reverse": JournalEntry.objects.order_by("pk"),
        "ledger:account_set_active": Account.objects.order_by("pk"),
        # The demo's one ended year is closed, and the open one has not ended: the periods
        # page links to neither's year-end preview.
        "ledger:fiscal_year_close": FiscalYear.objects.order_by("pk"),
        "receivables:invoice_edit": Invoice.objects.filter(status="draft"),
        "receivables:invoice_issue": Invoice.objects.filter(status="draft"),
        "receivables:invoice_void": Invoice.objects.filter(status="issued"),
        "receivables:credit_memo_approve": CreditMemo.objects.filter(status="pending"),
        "receivables:credit_memo_reject": CreditMemo.objects.filter(status="pending"),
        "receivables:fee_edit": Fee.objects.order_by("pk"),
        "utility_billing:rate_version_edit": RateVersion.objects.filter(status="draft"),
        "utility_billing:meter_detail": Meter.objects.order_by("pk"),
        # The demo's meter changes left two meters removed: one may go in again.
        "utility_billing:meter_install": Meter.objects.filter(status="removed"),
        "utility_billing:meter_remove": Meter.objects.filter(status="installed"),
        "utility_billing:meter_change": Meter.objects.filter(status="installed"),
        "utility_billing:read_estimate": Meter.objects.filter(status="installed"),
        "utility_billing:read_detail": MeterRead.objects.open_exceptions(),
        # The demo month at the counter pays open invoices; one left open takes a memo.
        "receivables:credit_memo_create": Invoice.objects.filter(status="issued"),
        # Linked from a closed session's receipt paid by check, which the walk may not
        # reach by following links.
        "cashiering:receipt_return_check": Receipt.objects.filter(tenders__kind="check"),
        # The scanned invoice, a download linked from the invoice's page.
        "payables:invoice_attachment": VendorInvoice.objects.filter(attachment__isnull=False),
    }
    if name == "utility_billing:adjustment_create":
        # Linked from the account page's Adjustments tab, a page the walk opens once.
        from utility_billing.models import UtilityAccount

        account = UtilityAccount.objects.order_by("pk").first()
        return reverse(name, kwargs={"pk": account.pk, "kind": "leak"}) if account else None
    row = rows[name].order_by("pk").first() if name in rows else None
    return reverse(name, kwargs={"pk": row.pk}) if row else None


@pytest.mark.slow
def test_every_page_of_every_role_answers_without_a_server_error_on_the_demo_data(demo_db):
    users = {}
    for demo in DEMO_USERS:
        users.setdefault(demo.role, demo.username)
    opened_once: set[tuple[str, str]] = set()
    visits_by_role = {}
    seen_links: dict[str, str] = {}  # pattern -> a URL some page showed for it
    for role, username in users.items():
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=username))
        visits, seen = walk(client, skip_keys=opened_once, skip_formats=SKIPPED_FORMATS)
        opened_once |= {
            visit_key(v.url, v.pattern)
            for v in visits
            if v.content_type.startswith("application/pdf")
        }
        visits_by_role[role] = (client, visits)
        for url, link in seen.items():
            pattern = pattern_of(url)
            if pattern and not link.htmx and "format=" not in url:
                seen_links.setdefault(pattern, url)

    # The patterns a role may open that its own pages did not lead to.
    unreached = []
    for role, (client, visits) in visits_by_role.items():
        reached = {v.pattern for v in visits}
        for name, pattern in all_patterns():
            allowed = getattr(pattern.callback, "allowed_roles", frozenset())
            if role not in allowed or name in reached or name in POST_ONLY | NOT_IN_THE_DEMO:
                continue
            url = seen_links.get(name) or UNLINKED.get(name) or demo_sample(name)
            if url is None:
                unreached.append(f"{role.label}: {name}")
                continue
            visits.append(open_page(client, url, via="(another role's page)"))

    errors = [
        f"{role.label}: {v.status} {v.url} (linked from {v.via or 'the start'}) {v.error}"
        for role, (_, visits) in visits_by_role.items()
        for v in visits
        if v.status >= 500
    ]
    forbidden = [
        f"{role.label}: 403 {v.url} (a navigation link on {v.via or 'the start'})"
        for role, (_, visits) in visits_by_role.items()
        for v in visits
        if v.status == 403 and v.in_navigation
    ]
    assert not errors, "Server errors:\n" + "\n".join(errors)
    assert not forbidden, "Navigation links a role may not open:\n" + "\n".join(forbidden)
    assert not unreached, (
        "URL patterns a role may open that no page links to: link them, or add a URL to "
        "UNLINKED or demo_sample:\n" + "\n".join(unreached)
    )
    # The walk reached something real: every role's pages, the admin for the admin.
    counts = {role.label: len(visits) for role, (_, visits) in visits_by_role.items()}
    assert all(count >= 15 for count in counts.values()), counts
    assert sum(counts.values()) >= 300, counts
