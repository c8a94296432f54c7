"""The penalty screens: rules kept by the supervisor, the batch previewed by staff and
posted by a lead, past batches."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ledger.models import Account, FiscalPeriod
from ledger.services import close_period
from millbrae_finance.jobs import Job
from receivables.models import ArKind, ArTransaction, PenaltyBatch, PenaltyRule
from receivables.services.penalties import create_penalty_rule
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import make_citation
from tests.receivables.penalty_helpers import make_rules

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 16)
BATCH_URL = reverse("receivables:penalty_batch")


@pytest.fixture
def due(ar_fees, ar_users):
    """The demo rules and three parking citations each owing both late penalties."""
    make_rules()
    for number in ("P101", "P102", "P103"):
        make_citation(actor=ar_users["tech"], number=number, issue_date=datetime.date(2026, 9, 1))


def rule_values(ar_chart, **changes) -> dict:
    values = {
        "code": "pkg-late-3",
        "name": "Parking third late penalty",
        "applies_to": "citation",
        "citation_kind": "parking",
        "days_after": "75",
        "calculation": "flat",
        "amount": "40.00",
        "rate": "",
        "repeat_every_days": "",
        "max_occurrences": "",
        "revenue_account": str(ar_chart["101-2100-4610"].pk),
        "effective_from": "2026-07-01",
        "effective_to": "",
        "notes": "",
    }
    return {**values, **changes}


# ---------------------------------------------------------------- rules


def test_rule_list_is_read_by_staff_auditor_and_admin_and_not_by_a_clerk(
    client_for, ar_chart, ar_users, administrator, django_assert_max_num_queries
):
    make_rules()
    url = reverse("receivables:penalty_rule_list")
    for user in (ar_users["tech"], ar_users["auditor"], administrator):
        client = client_for(user)
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200
        assert b"PKG-LATE-1" in response.content
        assert b"$25.00, 21 days after issue" in response.content
        assert b"1% of the balance, 60 days after the due date, then every 30 days" in (
            response.content
        )
    assert b"New rule" not in response.content
    csv = client_for(ar_users["auditor"]).get(url, {"format": "csv"})
    assert b"INV-INTEREST" in b"".join(csv.streaming_content)
    assert client_for(ar_users["clerk"]).get(url).status_code == 403


def test_supervisor_creates_a_rule_and_a_technician_may_not(client_for, ar_chart, ar_users):
    url = reverse("receivables:penalty_rule_create")
    assert client_for(ar_users["tech"]).get(url).status_code == 403
    assert client_for(ar_users["tech"]).post(url, rule_values(ar_chart)).status_code == 403
    response = client_for(ar_users["supervisor"]).post(url, rule_values(ar_chart))
    assert response.status_code == 302
    rule = PenaltyRule.objects.get(code="PKG-LATE-3")
    assert rule.amount == Decimal("40.00")
    assert rule.rate is None
    assert rule.citation_kind == "parking"
    assert rule.events.count() == 1  # audited


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "10000"}, "amount", "absurd"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": ""}, "amount", "needs its amount"),
        ({"calculation": "pct_balance", "amount": "", "rate": "12"}, "rate", "absurd"),
        ({"calculation": "pct_original", "amount": "", "rate": "101"}, "rate", "at most 100"),
        ({"calculation": "pct_original", "amount": "", "rate": "0"}, "rate", "more than zero"),
        ({"repeat_every_days": "0"}, "repeat_every_days", "1 to"),
        ({"max_occurrences": "3"}, "max_occurrences", "Only a repeating rule"),
        ({"effective_to": "2026-06-30"}, "effective_to", "before it starts"),
        ({"applies_to": "invoice"}, "citation_kind", "Only a citation rule"),
        ({"code": "PKG-LATE-1"}, "code", "already a rule"),
        ({"code": "late penalty!"}, "code", "capitals"),
    ],
)
def test_bad_terms_are_refused_beside_their_field(
    client_for, ar_chart, ar_users, changes, field, message
):
    make_rules(("PKG-LATE-1",))
    url = reverse("receivables:penalty_rule_create")
    response = client_for(ar_users["supervisor"]).post(url, rule_values(ar_chart, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert PenaltyRule.objects.count() == 1


def test_revenue_account_must_be_an_active_postable_revenue_account(ar_chart, ar_users):
    values = {
        "code": "X",
        "name": "X",
        "applies_to": "invoice",
        "citation_kind": "",
        "days_after": 30,
        "calculation": "flat",
        "amount": Decimal("5"),
        "rate": None,
        "repeat_every_days": None,
        "max_occurrences": None,
        "effective_from": datetime.date(2026, 7, 1),
        "effective_to": None,
        "notes": "",
    }
    cash = Account.objects.get(number="101-0000-1010")
    with pytest.raises(ValidationError) as error:
        create_penalty_rule(**values, revenue_account=cash, actor=ar_users["supervisor"])
    assert "not an active revenue account" in error.value.message_dict["revenue_account"][0]
    revenue = ar_chart["101-1100-4910"]
    revenue.is_active = False
    revenue.save()
    with pytest.raises(ValidationError):
        create_penalty_rule(**values, revenue_account=revenue, actor=ar_users["supervisor"])


def test_supervisor_deactivates_a_rule(client_for, ar_chart, ar_users):
    rule = make_rules(("PKG-LATE-1",))["PKG-LATE-1"]
    url = reverse("receivables:penalty_rule_edit", args=[rule.pk])
    page = client_for(ar_users["supervisor"]).get(url)
    assert page.status_code == 200
    assert page.context["form"]["rate"].value() is None
    values = rule_values(ar_chart, code="PKG-LATE-1", days_after="21", amount="25.00")
    response = client_for(ar_users["supervisor"]).post(url, values)  # is_active unticked
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    assert client_for(ar_users["senior"]).get(url).status_code == 403


# ---------------------------------------------------------------- the batch


def test_batch_page_defaults_to_today_and_previews_nothing_until_asked(client_for, due, ar_users):
    response = client_for(ar_users["tech"]).get(BATCH_URL)
    assert response.status_code == 200
    assert response.context["form"]["batch_date"].value() == datetime.date.today()
    assert response.context["preview"] is None


def test_preview_renders_rows_totals_and_csv(
    client_for, due, ar_users, django_assert_max_num_queries
):
    client = client_for(ar_users["tech"])
    # Session, user, roles, audit context, totals, count, one page of rows.
    with django_assert_max_num_queries(9):
        response = client.get(BATCH_URL, {"batch_date": DAY.isoformat()})
    assert response.status_code == 200
    content = response.content.decode()
    assert "P101" in content and "P103" in content
    assert "21 days after issue 2026-09-01" in content
    assert "$180.00" in content  # 3 × (25 + 35)
    # A technician previews; only a lead sees Post.
    assert "Post penalties" not in content
    fragment = client.get(
        BATCH_URL, {"batch_date": DAY.isoformat()}, headers={"HX-Request": "true"}
    )
    assert b'id="preview"' in fragment.content
    assert b"<h1>" not in fragment.content
    csv = client.get(BATCH_URL, {"batch_date": DAY.isoformat(), "format": "csv"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0].startswith("Document,Customer or plate,Rule")
    assert len(lines) == 7
    assert not ArTransaction.objects.filter(kind=ArKind.PENALTY).exists()


def test_preview_date_errors_are_beside_the_date(client_for, due, ar_users):
    response = client_for(ar_users["tech"]).get(BATCH_URL, {"batch_date": "2026-13-40"})
    assert response.status_code == 200
    assert response.context["form"].errors["batch_date"]
    assert b'id="id_batch_date_error"' in response.content
    assert response.context["preview"] is None


def test_a_clerk_and_a_technician_may_not_post(client_for, due, ar_users):
    data = {"batch_date": DAY.isoformat(), "idempotency_key": "forged"}
    assert client_for(ar_users["clerk"]).post(BATCH_URL, data).status_code == 403
    assert client_for(ar_users["clerk"]).get(BATCH_URL).status_code == 403
    assert client_for(ar_users["tech"]).post(BATCH_URL, data).status_code == 403
    assert client_for(ar_users["auditor"]).post(BATCH_URL, data).status_code == 403
    assert not PenaltyBatch.objects.exists()


def test_a_lead_posts_once_even_when_the_button_is_clicked_twice(client_for, due, ar_users):
    client = client_for(ar_users["senior"])
    preview = client.get(BATCH_URL, {"batch_date": DAY.isoformat()})
    assert b"Post penalties" in preview.content
    key = preview.context["batch_key"]
    data = {"batch_date": DAY.isoformat(), "idempotency_key": key}
    first = client.post(BATCH_URL, data)
    second = client.post(BATCH_URL, data)
    # The post starts one background job (the same for both clicks) and shows its page.
    job = Job.objects.get()
    job_page = reverse("job_detail", args=[job.pk])
    assert first["Location"] == job_page == second["Location"]
    assert not PenaltyBatch.objects.exists()
    assert "Waiting for a worker" in client.get(job_page).content.decode()
    run_queued_jobs()
    batch = PenaltyBatch.objects.get()
    detail = reverse("receivables:penalty_batch_detail", args=[batch.pk])
    finished = client.get(job_page).content.decode()
    assert f'<a href="{detail}">Penalty batch PB-{batch.pk:06d}: 6 charges, $180.00</a>' in finished
    assert "hx-trigger" not in finished
    assert batch.items_charged == 6
    assert batch.total == Decimal("180.00")
    page = client.get(detail)
    content = page.content.decode()
    assert f"PB-{batch.pk:06d}" in content
    assert f"JE {batch.journal_entry.number}" in content
    assert "Parking second late penalty" in content
    assert "7ABC123 CA" in content
    csv = client.get(detail, {"format": "csv"})
    assert len(b"".join(csv.streaming_content).decode().splitlines()) == 7
    auditor = client_for(ar_users["auditor"])
    listing = auditor.get(reverse("receivables:penalty_batch_list"))
    assert f"PB-{batch.pk:06d}".encode() in listing.content
    rows = auditor.get(reverse("receivables:penalty_batch_list"), {"format": "csv"})
    lines = b"".join(rows.streaming_content).decode().splitlines()
    assert lines[0].startswith("batch,batch_date,run_by")
    assert lines[1].endswith(f",6,180.00,{batch.journal_entry_id}")
    # Previewing the same day again: nothing left to charge.
    again = client.get(BATCH_URL, {"batch_date": DAY.isoformat()})
    assert b"Nothing is due on this day" in again.content
    assert b"Post penalties" not in again.content


def test_posting_into_a_closed_period_is_refused_beside_the_date(client_for, due, ar_users):
    period = FiscalPeriod.objects.get(start_date__lte=DAY, end_date__gte=DAY, number__lt=13)
    close_period(period, actor=ar_users["supervisor2"], reason="Month end")
    data = {"batch_date": DAY.isoformat(), "idempotency_key": "k"}
    response = client_for(ar_users["supervisor"]).post(BATCH_URL, data)
    assert response.status_code == 200
    assert "closed to posting" in response.context["form"].errors["batch_date"][0]
    assert b'id="id_batch_date_error"' in response.content
    assert not PenaltyBatch.objects.exists()


def test_a_future_day_cannot_be_posted(client_for, due, ar_users):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    data = {"batch_date": tomorrow.isoformat(), "idempotency_key": "k"}
    response = client_for(ar_users["senior"]).post(BATCH_URL, data)
    assert response.status_code == 200
    assert "has not come yet" in response.context["form"].errors["batch_date"][0]
    assert not PenaltyBatch.objects.exists()


def test_batch_list_and_detail_pin_their_queries(
    client_for, due, ar_users, django_assert_max_num_queries
):
    from receivables.services.penalties import run_penalty_batch

    batch = run_penalty_batch(DAY, idempotency_key="k", actor=ar_users["senior"])
    run_penalty_batch(DAY, idempotency_key="k2", actor=ar_users["senior"])
    client = client_for(ar_users["auditor"])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("receivables:penalty_batch_list")).status_code == 200
    with django_assert_max_num_queries(9):
        detail = reverse("receivables:penalty_batch_detail", args=[batch.pk])
        assert client.get(detail).status_code == 200


def role_matrix_samples() -> dict:
    """Sample arguments for the role-matrix walk: a rule and a batch."""
    from django.contrib.auth.models import User

    from tests.conftest import make_user
    from tests.receivables.conftest import make_ar_chart

    chart = make_ar_chart()
    rule = PenaltyRule.objects.filter(code="ROLE-MATRIX").first() or PenaltyRule.objects.create(
        code="ROLE-MATRIX",
        name="Role matrix",
        applies_to="invoice",
        days_after=30,
        calculation="flat",
        amount=Decimal("5.00"),
        revenue_account=chart["101-1100-4910"],
        effective_from=datetime.date(2026, 7, 1),
    )
    batch = PenaltyBatch.objects.filter(idempotency_key="role-matrix").first()
    if batch is None:
        runner = User.objects.filter(username="penalty_matrix_runner").first()
        batch = PenaltyBatch.objects.create(
            batch_date=DAY,
            run_by=runner or make_user(None, "penalty_matrix_runner"),
            idempotency_key="role-matrix",
        )
    return {
        "receivables:penalty_rule_edit": {"pk": rule.pk},
        "receivables:penalty_batch_detail": {"pk": batch.pk},
    }


def test_a_day_to_come_is_a_forecast_without_a_post_button(client_for, due, ar_users):
    client = client_for(ar_users["senior"])
    later = datetime.date.today() + datetime.timedelta(days=40)
    page = client.get(BATCH_URL, {"batch_date": later.isoformat()}).content.decode()
    assert "A forecast" in page
    assert "Post penalties" not in page
