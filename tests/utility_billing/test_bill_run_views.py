"""The bill run screens: start a run, watch it compute, review the proof register (counts,
totals by charge and fund, exceptions, CSV), approve and post, discard; a bill with its
arithmetic. Jobs run in this process (run_queued_jobs), as a worker would run them."""

import pytest
from django.urls import reverse

from tests.jobs_helpers import run_queued_jobs
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
)
from utility_billing.models import Bill, BillRun, BillRunStatus, UtilityTransaction
from utility_billing.services.bill_compute import compute_bill_run
from utility_billing.services.bill_runs import start_bill_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(ub_users):
    return make_billing_cycle(ub_users)


def form_data(billing, **values) -> dict:
    return {
        "cycle": billing["cycle"].pk,
        "period_start": PERIOD_START.isoformat(),
        "period_end": PERIOD_END.isoformat(),
        "bill_date": BILL_DATE.isoformat(),
        "due_date": "",
        "idempotency_key": "form-key-1",
        **values,
    }


def started(client, billing, users) -> BillRun:
    client.force_login(users["tech"])
    response = client.post(reverse("utility_billing:bill_run_create"), form_data(billing))
    run = BillRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("utility_billing:bill_run_detail", args=[run.pk])
    return run


def test_a_technician_starts_a_run_and_sees_it_compute(client, billing, ub_users):
    client.force_login(ub_users["tech"])
    page = client.get(reverse("utility_billing:bill_run_create")).content.decode()
    assert "First day billed" in page and 'name="idempotency_key"' in page
    run = started(client, billing, ub_users)
    page = client.get(reverse("utility_billing:bill_run_detail", args=[run.pk])).content.decode()
    assert "Computing" in page and "Progress" in page  # the progress component, polling
    assert f'hx-get="{reverse("job_detail", args=[run.job_id])}"' in page
    # A second click with the same form's key is the same run.
    client.post(reverse("utility_billing:bill_run_create"), form_data(billing))
    assert BillRun.objects.count() == 1
    run_queued_jobs()
    page = client.get(reverse("utility_billing:bill_run_detail", args=[run.pk])).content.decode()
    assert "Proof register" in page
    assert "8 = 4 bills + 4 exceptions" in page
    assert "$605.25" in page
    for text in ("$367.25", "$224.00", "$14.00", "No read in the period", "Discard run"):
        assert text in page, text
    # The technician who started it is told a lead approves it; no button.
    assert "another lead" in page
    assert "Approve and post" not in page


def test_a_second_run_for_the_same_period_is_refused_beside_the_field(client, billing, ub_users):
    started(client, billing, ub_users)
    response = client.post(
        reverse("utility_billing:bill_run_create"),
        form_data(billing, idempotency_key="form-key-2"),
    )
    assert response.status_code == 200
    assert "is billed for 10/06/2026 to 11/05/2026 by bill run BR-" in response.content.decode()
    assert BillRun.objects.count() == 1


def test_bad_input_comes_back_with_field_errors_not_a_500(client, billing, ub_users):
    client.force_login(ub_users["tech"])
    url = reverse("utility_billing:bill_run_create")
    response = client.post(url, form_data(billing, period_end="2026-13-40", cycle="x"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid date." in page and "Select a valid choice." in page
    response = client.post(url, form_data(billing, bill_date="2026-11-01"))
    assert "A bill is dated on or after the last day it bills." in response.content.decode()
    assert not BillRun.objects.exists()


def test_a_lead_approves_and_posts_the_register(client, billing, ub_users):
    run = started(client, billing, ub_users)
    run_queued_jobs()
    client.force_login(ub_users["senior"])
    url = reverse("utility_billing:bill_run_detail", args=[run.pk])
    page = client.get(url).content.decode()
    assert "Approve and post" in page
    approve = reverse("utility_billing:bill_run_approve", args=[run.pk])
    response = client.post(approve, {"idempotency_key": "approve-key"})
    assert response.status_code == 302
    client.post(approve, {"idempotency_key": "approve-key"})  # a double click
    run_queued_jobs()
    run.refresh_from_db()
    assert run.status == BillRunStatus.POSTED
    assert UtilityTransaction.objects.count() == 10
    page = client.get(url).content.decode()
    assert "Posted" in page and "JE " in page


def test_the_register_exports_bills_and_exceptions(client, billing, ub_users):
    run = started(client, billing, ub_users)
    run_queued_jobs()
    client.force_login(ub_users["auditor"])
    url = reverse("utility_billing:bill_run_detail", args=[run.pk])
    bills = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    lines = bills.strip().splitlines()
    assert lines[0].startswith("Run,Bill,Account,Customer")
    assert len(lines) == 5
    assert "144.80" in bills and "336.50" in bills
    exceptions = b"".join(
        client.get(url, {"format": "exceptions-csv", "reason": "no_read"}).streaming_content
    ).decode()
    assert len(exceptions.strip().splitlines()) == 2
    assert "No read in the period" in exceptions
    page = client.get(url, {"reason": "no_read"}).content.decode()
    assert "1 exception of this reason" in page
    # The bills list, and a search in it.
    bills_url = reverse("utility_billing:bill_run_bills", args=[run.pk])
    page = client.get(bills_url, {"q": "102 Elm"}).content.decode()
    assert "1 bill" in page and "$336.50" in page


def test_a_bill_shows_its_reads_and_arithmetic(client, billing, ub_users):
    run = started(client, billing, ub_users)
    run_queued_jobs()
    bill = Bill.objects.get(run=run, account=billing["accounts"]["A3"])
    client.force_login(ub_users["clerk"])
    page = client.get(reverse("utility_billing:bill_detail", args=[bill.pk])).content.decode()
    assert "M-A3" in page and "M-A3-NEW" in page  # both meters of a mid-cycle change
    assert "1 HCF × $6.75 = $6.75" in page
    assert "7 HCF × $4.10 = $28.70" in page
    assert "$120.45" in page
    assert "Not posted" in page


def test_discard_then_run_again(client, billing, ub_users):
    run = started(client, billing, ub_users)
    run_queued_jobs()
    response = client.post(reverse("utility_billing:bill_run_discard", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == BillRunStatus.DISCARDED
    response = client.post(
        reverse("utility_billing:bill_run_create"),
        form_data(billing, idempotency_key="form-key-2"),
    )
    assert response.status_code == 302
    assert BillRun.objects.holding().count() == 1


def test_who_may_do_what(client, billing, ub_users):
    run = started(client, billing, ub_users)
    run_queued_jobs()
    client.force_login(ub_users["clerk"])
    assert client.get(reverse("utility_billing:bill_run_list")).status_code == 403
    client.force_login(ub_users["auditor"])
    assert client.get(reverse("utility_billing:bill_run_list")).status_code == 200
    response = client.post(reverse("utility_billing:bill_run_create"), form_data(billing))
    assert response.status_code == 403
    assert (
        client.post(reverse("utility_billing:bill_run_discard", args=[run.pk])).status_code == 403
    )
    client.force_login(ub_users["tech2"])
    approve = reverse("utility_billing:bill_run_approve", args=[run.pk])
    assert client.post(approve, {"idempotency_key": "k"}).status_code == 403
    # A lead who started the run is told why, and nothing is approved.
    run.prepared_by = ub_users["senior"]
    run.save(update_fields=["prepared_by"])
    client.force_login(ub_users["senior"])
    response = client.post(approve, {"idempotency_key": "k"}, follow=True)
    assert "another lead reviews and approves it" in response.content.decode()
    run.refresh_from_db()
    assert run.status == BillRunStatus.COMPUTED


def test_the_list_filters_and_exports(client, billing, ub_users):
    run = started(client, billing, ub_users)
    url = reverse("utility_billing:bill_run_list")
    page = client.get(url, {"status": "computing"}).content.decode()
    assert run.reference in page
    page = client.get(url, {"status": "posted"}).content.decode()
    assert run.reference not in page
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    rows = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    assert run.reference in rows


def role_matrix_samples() -> dict:
    """A computed run and one of its bills, for the role-matrix walk (made once)."""
    from django.contrib.auth.models import User

    from millbrae_finance.roles import Role
    from tests.conftest import make_user

    run = BillRun.objects.filter(idempotency_key="role-matrix").first()
    if run is None:
        users = {
            "tech": User.objects.filter(username="bill_matrix_tech").first()
            or make_user(Role.ACCOUNTING_TECHNICIAN, "bill_matrix_tech"),
            "senior": make_user(None, "bill_matrix_approver"),
        }
        billing = make_billing_cycle(users, codes=("RM1", "RM2"))
        run = start_bill_run(
            billing["cycle"],
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            bill_date=BILL_DATE,
            idempotency_key="role-matrix",
            actor=users["tech"],
        )
        compute_bill_run(run.pk)
    bill = Bill.objects.filter(run=run).first()
    return {
        **{
            f"utility_billing:{name}": {"pk": run.pk}
            for name in (
                "bill_run_detail",
                "bill_run_bills",
                "bill_run_approve",
                "bill_run_discard",
                "bill_run_print",
                "bill_run_print_file",
            )
        },
        "utility_billing:bill_run_print_part": {"pk": run.pk, "part": 2},
        "utility_billing:bill_detail": {"pk": bill.pk},
        "utility_billing:bill_pdf": {"pk": bill.pk},
    }


def test_the_register_pages_read_a_fixed_number_of_queries(client, billing, ub_users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run = started(client, billing, ub_users)
    run_queued_jobs()
    pages = [
        reverse("utility_billing:bill_run_detail", args=[run.pk]),
        reverse("utility_billing:bill_run_bills", args=[run.pk]),
        reverse("utility_billing:bill_run_list"),
        reverse("utility_billing:bill_detail", args=[Bill.objects.filter(run=run).first().pk]),
    ]
    counts = []
    for url in pages:
        client.get(url)  # warm: the session, the user's roles
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    # The register: the run, the bills' and lines' totals (by charge, by account), the
    # exceptions by reason and a page of them, the entries; no query per row.
    assert counts == [14, 9, 9, 9]
