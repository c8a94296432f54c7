"""The write-off screens: request, list, detail, approve and reject, the supervisor's work
queue; and the role matrix's samples for every collections URL."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from millbrae_finance.roles import Role
from receivables.models import Invoice, WriteOff, WriteOffStatus
from receivables.services.write_offs import request_write_off
from tests.receivables.conftest import make_citation, make_customer, make_invoice

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 11, 20)


def requested(ar_users, *, by: str = "tech", amount: str = "40.00") -> WriteOff:
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="148.00")
    return request_write_off(
        invoice, amount=D(amount), reason="Business closed.", write_off_date=DAY, actor=ar_users[by]
    )


def test_request_form_shows_the_balance_and_requests(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer("Lee, Ann"), actor=ar_users["tech"], amount="148.00")
    client.force_login(ar_users["tech"])
    url = reverse("receivables:write_off_create")
    page = client.get(url, {"document": invoice.number})
    assert page.status_code == 200
    assert page.context["summary"].available == D("148.00")
    assert "Lee, Ann" in page.text and "148.00" in page.text
    fragment = client.get(url, {"document": invoice.number}, headers={"HX-Request": "true"})
    assert 'id="summary"' in fragment.text and "<form" not in fragment.text
    response = client.post(
        url,
        {
            "document": invoice.number.lower(),
            "amount": "$100.00",
            "write_off_date": "2026-11-20",
            "reason": "Debtor moved out of state.",
        },
    )
    write_off = WriteOff.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("receivables:write_off_detail", args=[write_off.pk])
    assert (write_off.invoice_id, write_off.amount, write_off.prepared_by) == (
        invoice.pk,
        D("100.00"),
        ar_users["tech"],
    )


def test_request_errors_are_beside_their_fields(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="50.00")
    client.force_login(ar_users["tech"])
    url = reverse("receivables:write_off_create")
    response = client.post(
        url, {"document": "INV-999999", "amount": "ten", "write_off_date": "x", "reason": ""}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"document", "amount", "write_off_date", "reason"}
    assert "There is no invoice or citation numbered INV-999999." in response.text
    response = client.post(
        url,
        {"document": invoice.number, "amount": "60", "write_off_date": "2026-11-20", "reason": "x"},
    )
    assert response.status_code == 200
    assert "more than the $50.00 that can be written off" in str(
        response.context["form"]["amount"].errors
    )
    assert 'id="id_amount_error"' in response.text
    assert not WriteOff.objects.exists()


def test_a_citation_is_found_by_its_number(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], number="P777001")
    client.force_login(ar_users["senior"])
    response = client.post(
        reverse("receivables:write_off_create"),
        {"document": "p777001", "amount": "45", "write_off_date": "2026-11-20", "reason": "x"},
    )
    assert response.status_code == 302
    assert WriteOff.objects.get().citation == citation


def test_supervisor_approves_from_the_detail_page(client, ar_fees, ar_users):
    write_off = requested(ar_users)
    url = reverse("receivables:write_off_detail", args=[write_off.pk])
    client.force_login(ar_users["supervisor"])
    page = client.get(url)
    assert "Approve and post" in page.text
    response = client.post(reverse("receivables:write_off_approve", args=[write_off.pk]))
    assert response.status_code == 302
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.APPROVED
    assert "approved and posted" in client.get(url).text
    # A second click posts nothing more.
    client.post(reverse("receivables:write_off_approve", args=[write_off.pk]))
    assert Invoice.objects.get(pk=write_off.invoice_id).balance == D("108.00")


def test_requester_sees_no_buttons_and_a_forged_post_is_refused(client, ar_fees, ar_users):
    write_off = requested(ar_users, by="supervisor")
    client.force_login(ar_users["supervisor"])
    page = client.get(reverse("receivables:write_off_detail", args=[write_off.pk]))
    assert "Approve and post" not in page.text
    assert "Waiting for a Finance Supervisor who did not request it" in page.text
    for name in ("write_off_approve", "write_off_reject"):
        response = client.post(reverse(f"receivables:{name}", args=[write_off.pk]), {"note": "x"})
        assert response.status_code == 403
    for role in ("tech", "senior", "clerk", "auditor"):
        client.force_login(ar_users[role])
        response = client.post(reverse("receivables:write_off_approve", args=[write_off.pk]))
        assert response.status_code == 403, role
    client.force_login(ar_users["tech"])
    assert "Approve and post" not in client.get(page.request["PATH_INFO"]).text
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.PENDING


def test_reject_needs_a_note_beside_the_field(client, ar_fees, ar_users):
    write_off = requested(ar_users)
    client.force_login(ar_users["supervisor"])
    url = reverse("receivables:write_off_reject", args=[write_off.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 200
    assert "note" in response.context["reject_form"].errors
    assert 'id="id_note_error"' in response.text
    response = client.post(url, {"note": "Refer it to the agency first."})
    assert response.status_code == 302
    write_off.refresh_from_db()
    assert write_off.status == WriteOffStatus.REJECTED


def test_list_filters_exports_and_pins_its_queries(
    client, ar_fees, ar_users, django_assert_max_num_queries
):
    for _ in range(3):
        requested(ar_users)
    approved = requested(ar_users, amount="1.00")
    WriteOff.objects.filter(pk=approved.pk).update(status=WriteOffStatus.REJECTED)
    client.force_login(ar_users["auditor"])
    url = reverse("receivables:write_off_list")
    with django_assert_max_num_queries(8):
        page = client.get(url, {"status": "pending"})
    assert page.context["page"].paginator.count == 3
    assert "Request write-off" not in page.text  # the auditor reads only
    csv = client.get(url, {"status": "rejected", "format": "csv"})
    text = b"".join(csv.streaming_content).decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("Write-off,Document,Debtor,Amount")
    assert len(lines) == 2 and f"WO-{approved.pk:06d}" in lines[1] and "1.00" in lines[1]
    bad = client.get(url, {"status": "nonsense"})
    assert bad.status_code == 200 and "status" in bad.context["form"].errors


def test_work_queue_lists_others_requests_for_supervisors(client, ar_fees, ar_users):
    from millbrae_finance.work_queues import queues_for

    mine = requested(ar_users, by="supervisor")
    theirs = requested(ar_users, by="tech")
    (queue,) = [
        q
        for q in queues_for(frozenset({Role.FINANCE_SUPERVISOR}))
        if q.key.startswith("receiv") and "write-off" in q.key
    ]
    labels = [label for label, _ in queue.items(ar_users["supervisor"])]
    assert len(labels) == 1 and labels[0].startswith(str(theirs))
    assert {label.split()[0] for label, _ in queue.items(ar_users["supervisor2"])} == {
        str(mine),
        str(theirs),
    }
    assert not [
        q for q in queues_for(frozenset({Role.ACCOUNTING_TECHNICIAN})) if "write-off" in q.key
    ]
    client.force_login(ar_users["supervisor"])
    home = client.get(reverse("home"))
    assert "Write-offs to approve" in home.text and str(theirs) in home.text


def role_matrix_samples() -> dict:
    """Real objects for the role matrix's collections URLs (idempotent: the matrix asks
    once per URL): a pending write-off requested by a user outside the matrix."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from ledger.models import Account
    from receivables.models import Fee, FeeStatus
    from tests.conftest import make_user
    from tests.receivables.conftest import make_ar_chart

    write_off = WriteOff.objects.filter(reason="Role matrix").first()
    if write_off is None:
        make_ar_chart()
        tech = User.objects.filter(username="wo_matrix_tech").first() or make_user(
            Role.ACCOUNTING_TECHNICIAN, "wo_matrix_tech"
        )
        # Free invoice lines bill to accounts the fee schedule uses: one of our own.
        Fee.objects.create(
            code="MATRIX-COLLECTIONS",
            description="Matrix collections fee",
            revenue_account=Account.objects.get(number="101-1100-4920"),
            rule="flat",
            amount=D("10.00"),
            effective_from=datetime.date(2025, 7, 1),
            status=FeeStatus.APPROVED,
            prepared_by=tech,
            approved_by=make_user(Role.FINANCE_SUPERVISOR, "wo_matrix_sup"),
            approved_at=timezone.now(),
        )
        invoice = make_invoice(make_customer("Matrix, Write-off"), actor=tech)
        write_off = request_write_off(
            invoice, amount=D("1.00"), reason="Role matrix", write_off_date=DAY, actor=tech
        )
    return {
        name: {"pk": write_off.pk}
        for name in (
            "receivables:write_off_detail",
            "receivables:write_off_approve",
            "receivables:write_off_reject",
        )
    }
