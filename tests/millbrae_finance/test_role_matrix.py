"""Walk every URL pattern with every role and anonymously.

Every view must declare who may use it: `role_required(...)` (which records the roles on
the view) or Django's `login_not_required` for the few public pages. A view that forgets
fails here, and so does one whose answer does not match what it declares.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from millbrae_finance.roles import Role
from tests.conftest import make_user

# The public pages, and the only ones: anyone may reach them.
PUBLIC = {"login", "logout"}
# Django's admin guards itself (MillbraeAdminSite.has_permission): checked separately.
SEPARATELY_CHECKED_NAMESPACES = {"admin"}
# Views whose sample has nothing to show an allowed role: the sample run is computed, not
# posted, so it has no print file (tests/utility_billing/test_bill_pdfs.py downloads one).
NOT_FOUND_FOR_SAMPLE = {
    "utility_billing:bill_run_print_file": 404,
    "utility_billing:bill_run_print_part": 404,
}
# Views answering POST only: a GET from an allowed role gets 405.
POST_ONLY: set[str] = {
    "ledger:period_close",
    "ledger:period_reopen",
    "ledger:fiscal_year_create",
    "job_resume",
    "receivables:fee_approve",
    "receivables:fee_retire",
    "receivables:write_off_approve",
    "receivables:write_off_reject",
    "utility_billing:rate_version_approve",
    "utility_billing:rate_version_retire",
    "utility_billing:service_order_schedule",
    "utility_billing:service_order_complete",
    "utility_billing:service_order_cancel",
    "utility_billing:read_accept",
    "utility_billing:read_correct",
    "utility_billing:read_re_read",
    "utility_billing:bill_run_approve",
    "utility_billing:bill_run_discard",
    "utility_billing:bill_run_print",
    "utility_billing:adjustment_approve",
    "utility_billing:adjustment_reject",
    "utility_billing:account_note_create",
    "utility_billing:account_settle",
    "cashiering:session_verify",
    "cashiering:cart_add",
    "cashiering:cart_remove",
    "payables:bank_change_approve",
    "payables:bank_change_reject",
    "payables:invoice_approve",
    "payables:invoice_reject",
    "payables:invoice_hold",
    "payables:invoice_release",
}


def sample_kwargs(name: str, users: dict) -> dict:
    """Arguments for URL patterns that take them: real objects, so an allowed role gets 200.
    A new URL with arguments must be added here."""
    admin_user = users[Role.ADMINISTRATOR]
    samples = {
        "audit_history": {"label": "auth.User", "object_id": str(admin_user.pk)},
        **chart_samples(),
        **period_samples(),
        **journal_samples(users),
        **customer_samples(),
        **fee_samples(),
        **citation_samples(users),
        **invoice_samples(),
        **collections_samples(),
        **penalty_samples(),
        **job_samples(users),
        **rate_samples(),
        **utility_account_samples(),
        **meter_samples(users),
        **bill_run_samples(),
        **adjustment_samples(users),
        **cashiering_samples(users),
        **payables_samples(),
    }
    if name not in samples:
        pytest.fail(f"URL {name!r} takes arguments: add sample kwargs to the role matrix.")
    return samples[name]


def payables_samples() -> dict:
    """The vendor and vendor invoice URLs: a vendor, a pending bank change, an invoice
    with its scan."""
    from tests.payables.conftest import role_matrix_samples

    return role_matrix_samples()


def cashiering_samples(users: dict) -> dict:
    """The session and receipt URLs: the counter clerk's session with one receipt."""
    from tests.cashiering.conftest import role_matrix_samples

    return role_matrix_samples(users[Role.COUNTER_CLERK])


def job_samples(users: dict) -> dict:
    """The background job URLs: one job, queued and never run."""
    from millbrae_finance.jobs import Job, JobFile

    job, _ = Job.objects.get_or_create(
        idempotency_key="role-matrix",
        defaults={
            "kind": "sample",
            "title": "Role matrix job",
            "task_path": "receivables.tasks.penalty_batch_job",
            "started_by": users[Role.FINANCE_SUPERVISOR],
        },
    )
    job.state = "done"
    job.save()
    JobFile.objects.get_or_create(
        job=job, defaults={"filename": "a.pdf", "content_type": "application/pdf", "data": b"%PDF"}
    )
    return {
        "job_detail": {"pk": job.pk},
        "job_resume": {"pk": job.pk},
        "job_download": {"pk": job.pk},
    }


def rate_samples() -> dict:
    """The utility rate URLs: a schedule and a draft version."""
    from tests.utility_billing.test_rate_views import role_matrix_samples

    return role_matrix_samples()


def bill_run_samples() -> dict:
    """The bill run URLs: a computed run and one of its bills."""
    from tests.utility_billing.test_bill_run_views import role_matrix_samples

    return role_matrix_samples()


def adjustment_samples(users: dict) -> dict:
    """The utility adjustment URLs: a pending adjustment and its account."""
    from tests.utility_billing.test_adjustments import role_matrix_samples

    return role_matrix_samples()


def utility_account_samples() -> dict:
    """The utility location, account and service order URLs."""
    from tests.utility_billing.test_accounts import role_matrix_samples

    return role_matrix_samples()


def meter_samples(users: dict) -> dict:
    """The meter and read URLs: a meter with a read in exception, a refused read file."""
    from tests.utility_billing.read_helpers import role_matrix_samples

    return role_matrix_samples(users)


def customer_samples() -> dict:
    """The customer URLs: one customer."""
    from tests.receivables.conftest import make_customer

    customer = make_customer("Role, Matrix")
    return {
        "receivables:customer_detail": {"pk": customer.pk},
        "receivables:customer_edit": {"pk": customer.pk},
        "receivables:customer_statement": {"pk": customer.pk},
    }


def invoice_samples() -> dict:
    """The invoice and credit memo URLs: a draft, an issued invoice, a pending memo."""
    from tests.receivables.test_invoice_views import role_matrix_samples

    return role_matrix_samples()


def collections_samples() -> dict:
    """The write-off URLs: a pending write-off requested outside the matrix."""
    from tests.receivables.test_write_off_views import role_matrix_samples

    return role_matrix_samples()


def penalty_samples() -> dict:
    """The penalty URLs: a rule and a batch."""
    from tests.receivables.test_penalty_views import role_matrix_samples

    return role_matrix_samples()


def citation_samples(users: dict) -> dict:
    """The citation URLs: one citation, entered outside the matrix."""
    from tests.receivables.citation_helpers import role_matrix_samples

    return role_matrix_samples(users)


def fee_samples() -> dict:
    """The fee schedule URLs: one draft fee version, prepared by a user outside the matrix."""
    from django.contrib.auth.models import User

    from receivables.models import Fee
    from tests.conftest import make_user
    from tests.receivables.conftest import make_fee

    # Called once per URL: the same fee each time.
    fee = Fee.objects.filter(code="ROLE-MATRIX").first()
    if fee is None:
        preparer = User.objects.filter(username="fee_matrix_preparer").first()
        fee = make_fee(
            "ROLE-MATRIX", prepared_by=preparer or make_user(None, "fee_matrix_preparer")
        )
    return {
        name: {"pk": fee.pk}
        for name in (
            "receivables:fee_detail",
            "receivables:fee_edit",
            "receivables:fee_approve",
            "receivables:fee_retire",
        )
    }


def journal_samples(users: dict) -> dict:
    """Journal entries and manual journals: a posted entry and a submitted draft."""
    from tests.ledger.test_journals import role_matrix_samples

    return role_matrix_samples(users)


def period_samples() -> dict:
    from ledger.services import create_fiscal_year

    period = create_fiscal_year(2027).periods.get(number=5)
    return {
        "ledger:account_inquiry": {"pk": chart_samples()["ledger:account_edit"]["pk"]},
        "ledger:period_close": {"pk": period.pk},
        "ledger:period_reopen": {"pk": period.pk},
        "ledger:fiscal_year_close": {"pk": period.fiscal_year_id},
    }


def chart_samples() -> dict:
    """The chart of accounts URLs: a fund, a department, an object code and an account."""
    from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode
    from ledger.services import create_account

    fund, _ = Fund.objects.get_or_create(
        code="101", defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )
    department, _ = Department.objects.get_or_create(code="1100", defaults={"name": "Finance"})
    object_code, _ = ObjectCode.objects.get_or_create(
        code="5210", defaults={"name": "Postage", "account_type": AccountType.EXPENDITURE}
    )
    account = Account.objects.filter(number="101-1100-5210").first() or create_account(
        fund=fund, department=department, object_code=object_code
    )
    return {
        "ledger:account_edit": {"pk": account.pk},
        "ledger:account_set_active": {"pk": account.pk},
        "ledger:fund_edit": {"pk": fund.pk},
        "ledger:department_edit": {"pk": department.pk},
        "ledger:object_code_edit": {"pk": object_code.pk},
    }


def walk(resolver: URLResolver, namespace: str | None = None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SEPARATELY_CHECKED_NAMESPACES:
                continue
            inner = pattern.namespace or namespace
            yield from walk(pattern, inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                pytest.fail(f"URL pattern {pattern.pattern} has no name.")
            full = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield full, pattern


def all_patterns():
    return sorted(walk(get_resolver()), key=lambda item: item[0])


@pytest.fixture
def users(db) -> dict:
    found = {role: make_user(role) for role in Role}
    found[None] = make_user(None, username="no_role")
    return found


@pytest.mark.slow
def test_role_matrix_every_view_declares_and_enforces_its_roles(client, users):
    checked = 0
    for name, pattern in all_patterns():
        view = pattern.callback
        allowed = getattr(view, "allowed_roles", None)
        public = getattr(view, "login_required", True) is False
        assert allowed or public, f"{name}: the view has no role check (use role_required)."
        if public:
            assert name in PUBLIC, f"{name}: public views must be listed in PUBLIC."
        url = reverse(
            name, kwargs=sample_kwargs(name, users) if pattern.pattern.converters else None
        )

        client.logout()
        response = client.get(url)
        if public:
            assert response.status_code in (200, 405), f"anonymous {name}: {response.status_code}"
        else:
            assert response.status_code == 302, f"anonymous {name}: {response.status_code}"
            assert response["Location"].startswith(reverse("login")), name

        for role, user in users.items():
            client.force_login(user)
            response = client.get(url)
            if public:
                expected = 405 if name in POST_ONLY else (200, 302)
            elif role is not None and role in allowed:
                expected = 405 if name in POST_ONLY else NOT_FOUND_FOR_SAMPLE.get(name, 200)
            else:
                expected = 403
            expected = expected if isinstance(expected, tuple) else (expected,)
            assert response.status_code in expected, f"{role} {name}: {response.status_code}"
            checked += 1
    assert checked >= 7 * 5


def test_role_matrix_admin_site_is_for_administrators_only(client, users):
    url = reverse("admin:index")
    for role, user in users.items():
        client.force_login(user)
        response = client.get(url)
        expected = 200 if role == Role.ADMINISTRATOR else 403
        assert response.status_code == expected, role
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_role_matrix_fails_for_a_view_without_a_role_check():
    """The walk itself would catch a view that forgot: prove it on a stand-in."""
    from django.urls import path

    def forgetful(request):
        raise AssertionError("never called")

    pattern = path("forgetful/", forgetful, name="forgetful")
    assert getattr(pattern.callback, "allowed_roles", None) is None
    assert getattr(pattern.callback, "login_required", True) is not False


def test_role_required_records_the_roles_on_the_view():
    from millbrae_finance.role_change_views import role_change_list
    from millbrae_finance.views import audit_log, home

    assert home.allowed_roles == frozenset(Role)
    assert audit_log.allowed_roles == {
        Role.AUDITOR,
        Role.ADMINISTRATOR,
        Role.FINANCE_SUPERVISOR,
    }
    # The role-change report: the supervisor's and the auditor's check on the
    # Administrator, who may read what they did too.
    assert role_change_list.allowed_roles == {
        Role.AUDITOR,
        Role.ADMINISTRATOR,
        Role.FINANCE_SUPERVISOR,
    }


def test_role_matrix_walks_the_role_change_report():
    assert "role_change_list" in {name for name, _ in all_patterns()}


def test_user_without_role_sees_403_on_home(client, db):
    user = User.objects.create_user("stranger", password="x-long-password-1")
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 403
