"""The invoice and credit memo screens: list, form, detail, issue, PDF, credit memos."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ledger.models import Account
from ledger.sources import source_document_url
from millbrae_finance.roles import Role
from receivables.models import (
    ApprovalStatus,
    ArKind,
    ArTransaction,
    CreditMemo,
    Invoice,
    InvoiceStatus,
)
from receivables.services.credit_memos import prepare_credit_memo
from tests.receivables.conftest import make_customer, make_invoice

pytestmark = pytest.mark.django_db
D = Decimal
NEW = reverse("receivables:invoice_create")
LIST = reverse("receivables:invoice_list")


def form_data(customer, lines, **header) -> dict:
    """The invoice form as a browser posts it: header fields, then the line rows."""
    data = {
        "customer": customer.number,
        "invoice_date": "2026-10-05",
        "terms_days": "30",
        "description": "Hall rental and cleanup",
        "notes": "",
        "action": "save",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        **header,
    }
    for index, line in enumerate(lines):
        for name in ("fee_code", "quantity", "description", "revenue_account", "amount"):
            data[f"lines-{index}-{name}"] = str(line.get(name, ""))
    return data


def test_create_invoice_with_a_fee_line_and_a_free_line(client, ar_fees, ar_users):
    customer = make_customer()
    misc = Account.objects.get(number="101-1100-4920")
    client.force_login(ar_users["tech"])
    response = client.get(NEW)
    assert response.status_code == 200
    assert b"Free line (no fee)" in response.content
    data = form_data(
        customer,
        [
            {"fee_code": "FACILITY-RENTAL", "quantity": "3"},
            {},  # a blank row is no line
            {"description": "Cleanup", "revenue_account": misc.pk, "amount": "40.00"},
        ],
    )
    response = client.post(NEW, data)
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("receivables:invoice_detail", args=[invoice.pk])
    assert invoice.status == InvoiceStatus.DRAFT and invoice.total == D("295.00")
    assert [(line.position, line.amount) for line in invoice.lines.all()] == [
        (1, D("255.00")),
        (2, D("40.00")),
    ]
    assert invoice.lines.get(position=1).units == D("3")
    page = client.get(response["Location"]).content.decode()
    assert "3 hour(s) × $85.00 = $255.00" in page
    assert "Issue invoice" in page and "Edit draft" in page


def test_service_errors_show_beside_their_row_and_nothing_is_saved(client, ar_fees, ar_users):
    customer = make_customer()
    client.force_login(ar_users["tech"])
    data = form_data(
        customer,
        [
            {"fee_code": "REINSPECTION"},
            {},
            # A free line on an account the fee schedule does not bill to.
            {
                "description": "Odd",
                "revenue_account": "999999",
                "amount": "10.00",
            },
            {"fee_code": "FACILITY-RENTAL"},  # needs units
        ],
        description="",
    )
    response = client.post(NEW, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_description_error"' in page and "This field is required" in page
    # Form-level problems beside their fields first; fix the header, keep the bad rows.
    data["description"] = "Several things"
    data["lines-2-revenue_account"] = ""
    response = client.post(NEW, data)
    page = response.content.decode()
    assert response.status_code == 200
    # The service numbers lines 1..3 (the blank row is skipped); its errors land on rows
    # 3 and 4 of the form.
    assert 'id="line-3-errors"' in page and "Line 3: Choose a revenue account" in page
    assert 'id="line-4-errors"' in page and "units" in page
    assert 'id="line-1-errors"' not in page
    assert Invoice.objects.count() == 0


def test_add_line_without_javascript_and_with_htmx(client, ar_fees, ar_users):
    client.force_login(ar_users["tech"])
    data = form_data(make_customer(), [{"fee_code": "REINSPECTION"}], action="add")
    response = client.post(NEW, data)
    assert response.status_code == 200
    assert response.content.count(b'name="lines-TOTAL_FORMS" value="2"') == 1
    assert b"$148.00" in response.content  # the fee row is priced
    response = client.post(NEW, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'id="invoice-lines"' in response.content and b"<html" not in response.content
    assert b'value="2"' in response.content
    recalc = client.post(NEW, {**data, "action": "recalc"}, headers={"HX-Request": "true"})
    assert b'id="invoice-total"' in recalc.content and b"$148.00" in recalc.content
    assert b'id="line-0-amount" class="line-amount" hx-swap-oob="true"' in recalc.content
    assert Invoice.objects.count() == 0


def test_issue_posts_once_and_shows_movements(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], issue=False)
    client.force_login(ar_users["tech2"])
    url = reverse("receivables:invoice_issue", args=[invoice.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # the double-click
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.balance == D("148.00")
    assert ArTransaction.objects.filter(invoice=invoice, kind=ArKind.CHARGE).count() == 1
    page = client.get(reverse("receivables:invoice_detail", args=[invoice.pk])).content.decode()
    assert reverse("ledger:entry_detail", args=[invoice.journal_entry_id]) in page
    assert "Prepare credit memo" in page and "Issue invoice" not in page
    # An issued invoice is not edited or voided.
    edit = reverse("receivables:invoice_edit", args=[invoice.pk])
    assert "cannot be changed" in client.get(edit).content.decode()
    assert client.post(edit, {}).status_code == 403
    response = client.post(reverse("receivables:invoice_void", args=[invoice.pk]))
    assert response.status_code == 200 and "credit memo" in response.content.decode()


def test_void_and_edit_a_draft(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], issue=False)
    client.force_login(ar_users["tech"])
    edit = reverse("receivables:invoice_edit", args=[invoice.pk])
    page = client.get(edit).content.decode()
    assert 'value="C' in page and "Services" in page
    misc = Account.objects.get(number="101-1100-4920")
    data = form_data(
        invoice.customer,
        [{"description": "Corrected", "revenue_account": misc.pk, "amount": "12.50"}],
    )
    assert client.post(edit, data).status_code == 302
    invoice.refresh_from_db()
    assert invoice.total == D("12.50") and invoice.lines.get().description == "Corrected"
    client.post(reverse("receivables:invoice_void", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID


def test_clerk_reads_but_may_not_prepare(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], issue=False)
    client.force_login(ar_users["clerk"])
    assert client.get(LIST).status_code == 200
    page = client.get(reverse("receivables:invoice_detail", args=[invoice.pk])).content
    assert b"Issue invoice" not in page and b"Edit draft" not in page
    assert client.get(NEW).status_code == 403
    assert client.post(reverse("receivables:invoice_issue", args=[invoice.pk])).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT


def test_list_filters_sorts_exports_and_pins_queries(
    client, ar_fees, ar_users, django_assert_max_num_queries
):
    tech = ar_users["tech"]
    garcia, bakery = make_customer("Garcia, Maria"), make_customer("Bayside Bakery LLC")
    first = make_invoice(garcia, actor=tech, amount="10.00", invoice_date=datetime.date(2026, 8, 3))
    draft = make_invoice(bakery, actor=tech, amount="20.00", issue=False)
    for day in range(1, 20):
        make_invoice(bakery, actor=tech, amount="1.00", invoice_date=datetime.date(2026, 9, day))
    client.force_login(ar_users["auditor"])
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200 and b"21 invoices" in response.content
    assert b"Garcia, Maria" in client.get(LIST, {"q": first.number}).content
    only = client.get(LIST, {"q": garcia.number}).content
    assert b"1 invoice" in only and b"Bayside" not in only.split(b'id="results"')[1]
    assert b"1 invoice<" in client.get(LIST, {"status": "draft"}).content
    assert b"20 invoices" in client.get(LIST, {"status": "open"}).content
    ranged = client.get(LIST, {"date_from": "2026-08-01", "date_to": "2026-08-31"})
    assert b"1 invoice<" in ranged.content
    bad = client.get(LIST, {"date_from": "2026-09-01", "date_to": "2026-08-01"})
    assert bad.status_code == 200 and b"before the start" in bad.content
    sorted_page = client.get(LIST, {"sort": "date"}).content.decode()
    assert sorted_page.index(first.number) < sorted_page.index(draft.number)
    csv = b"".join(client.get(LIST, {"format": "csv", "status": "draft"}).streaming_content)
    lines = csv.decode().splitlines()
    assert lines[0].startswith("number,invoice_date,due_date")
    assert len(lines) == 2 and "Bayside Bakery LLC" in lines[1] and "20.00" in lines[1]


def test_pdf_has_the_bill_and_the_remittance_stub(client, ar_fees, ar_users):
    customer = make_customer("Garcia, Maria", address_line1="120 Magnolia Ave")
    invoice = make_invoice(customer, actor=ar_users["tech"], amount="148.00")
    client.force_login(ar_users["clerk"])
    response = client.get(reverse("receivables:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        "City of Millbrae",
        "Garcia, Maria",
        "120 Magnolia Ave",
        invoice.number,
        customer.number,
        "Net 30",
        "November 4, 2026",
        "$148.00",
        "Balance due",
        "Amount enclosed",
        "payable to",
    ):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1


def test_pdf_shows_penalties_and_payments_apart(client, ar_fees, ar_users):
    from receivables.services.penalties import run_penalty_batch
    from tests.receivables.conftest import pay
    from tests.receivables.penalty_helpers import make_rules

    make_rules(("INV-LATE",))
    invoice = make_invoice(
        make_customer(), actor=ar_users["tech"], amount="200.00",
        invoice_date=datetime.date(2026, 8, 1),
    )  # fmt: skip
    run_penalty_batch(datetime.date(2026, 10, 15), idempotency_key="k", actor=ar_users["senior"])
    pay(invoice.number, "invoice", "50.00", actor=ar_users["clerk"])
    client.force_login(ar_users["clerk"])
    response = client.get(reverse("receivables:invoice_pdf", args=[invoice.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    # 10% of $200 late; $50 paid: $200 + $20 - $50 = $170 due.
    assert "Late penalties and interest $20.00" in text
    assert "Payments and credits −$50.00" in text
    assert "$170.00" in text


def test_credit_memo_screens_and_segregation(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="100.00")
    client.force_login(ar_users["senior"])
    url = reverse("receivables:credit_memo_create", args=[invoice.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"amount": "150", "credit_date": "2026-11-10", "reason": "x"})
    assert response.status_code == 200
    assert b'id="id_amount_error"' in response.content and b"at most $100.00" in response.content
    response = client.post(
        url, {"amount": "30.00", "credit_date": "2026-11-10", "reason": "Hall not used"}
    )
    memo = CreditMemo.objects.get()
    assert response.status_code == 302
    detail = reverse("receivables:credit_memo_detail", args=[memo.pk])
    page = client.get(detail).content.decode()
    assert "Approve and post" not in page and "another Senior" in page
    approve = reverse("receivables:credit_memo_approve", args=[memo.pk])
    assert client.post(approve).status_code == 403  # forged by the preparer
    client.force_login(ar_users["tech"])
    assert client.post(approve).status_code == 403  # not a lead
    client.force_login(ar_users["supervisor"])
    listing = client.get(reverse("receivables:credit_memo_list")).content.decode()
    assert memo.number in listing
    home = client.get(reverse("home")).content.decode()
    assert "Credit memos to approve" in home and memo.number in home
    assert "Approve and post" in client.get(detail).content.decode()
    assert client.post(approve).status_code == 302
    assert client.post(approve).status_code == 302
    memo.refresh_from_db()
    invoice.refresh_from_db()
    assert memo.status == ApprovalStatus.APPROVED and invoice.balance == D("70.00")
    assert ArTransaction.objects.filter(invoice=invoice, kind=ArKind.CREDIT).count() == 1
    assert (
        b"Credit memo"
        in client.get(reverse("receivables:invoice_detail", args=[invoice.pk])).content
    )
    csv = b"".join(
        client.get(
            reverse("receivables:credit_memo_list"), {"format": "csv", "status": "all"}
        ).streaming_content
    )
    assert b"Hall not used" in csv


def test_reject_needs_a_note_beside_the_field(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="100.00")
    memo = prepare_credit_memo(
        invoice,
        amount=D("5.00"),
        reason="x",
        credit_date=datetime.date(2026, 11, 10),
        actor=ar_users["tech"],
    )
    client.force_login(ar_users["senior"])
    url = reverse("receivables:credit_memo_reject", args=[memo.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 200 and b'id="id_note_error"' in response.content
    assert client.post(url, {"note": "No evidence"}).status_code == 302
    memo.refresh_from_db()
    assert memo.status == ApprovalStatus.REJECTED


def test_source_documents_resolve_to_their_pages(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"])
    assert source_document_url("receivables", invoice.number) == reverse(
        "receivables:invoice_detail", args=[invoice.pk]
    )
    assert source_document_url("receivables", "CM-000045") == reverse(
        "receivables:credit_memo_detail", args=[45]
    )
    assert source_document_url("receivables", "R-123") is None
    assert source_document_url("receivables", "INV-x") is None


def test_customer_search_offers_matches(client, ar_users):
    customer = make_customer("Garcia, Maria")
    client.force_login(ar_users["tech"])
    response = client.get(reverse("receivables:invoice_customer_search"), {"customer": "garc"})
    assert f'value="{customer.number} Garcia, Maria"'.encode() in response.content


def role_matrix_samples() -> dict:
    """Real objects for the role matrix's invoice and credit memo URLs (idempotent: the
    matrix asks once per URL): a draft, an issued invoice, and a pending credit memo
    prepared by a user outside the matrix."""
    from django.contrib.auth.models import User

    from tests.conftest import make_user
    from tests.receivables.conftest import AR_FEES, make_ar_chart

    preparer = User.objects.filter(username="invoice_matrix_tech").first()
    if preparer is None:
        preparer = make_user(Role.ACCOUNTING_TECHNICIAN, "invoice_matrix_tech")
    draft = Invoice.objects.filter(description="Role matrix draft").first()
    if draft is None:
        chart = make_ar_chart()
        from django.utils import timezone

        from receivables.models import Fee, FeeStatus

        approver = make_user(Role.FINANCE_SUPERVISOR, "invoice_matrix_sup")
        code, account, *_ = AR_FEES[2]
        Fee.objects.create(
            code=code,
            description="Matrix fee",
            revenue_account=chart[account],
            rule="flat",
            amount=D("25.00"),
            effective_from=datetime.date(2025, 7, 1),
            status=FeeStatus.APPROVED,
            prepared_by=preparer,
            approved_by=approver,
            approved_at=timezone.now(),
        )
        customer = make_customer("Matrix, Role")
        draft = make_invoice(customer, actor=preparer, issue=False, description="Role matrix draft")
        issued = make_invoice(customer, actor=preparer, description="Role matrix issued")
        prepare_credit_memo(
            issued,
            amount=D("1.00"),
            reason="Role matrix",
            credit_date=issued.invoice_date,
            actor=preparer,
        )
    issued = Invoice.objects.get(description="Role matrix issued")
    memo = CreditMemo.objects.get(invoice=issued)
    return {
        **{
            f"receivables:{name}": {"pk": draft.pk}
            for name in (
                "invoice_detail",
                "invoice_edit",
                "invoice_issue",
                "invoice_void",
                "invoice_pdf",
            )
        },
        "receivables:credit_memo_create": {"pk": issued.pk},
        **{
            f"receivables:{name}": {"pk": memo.pk}
            for name in ("credit_memo_detail", "credit_memo_approve", "credit_memo_reject")
        },
    }


def test_absurd_input_is_refused_beside_its_field_never_a_500(client, ar_fees, ar_users):
    customer = make_customer()
    client.force_login(ar_users["tech"])
    huge = form_data(customer, [{"fee_code": "FACILITY-RENTAL", "quantity": "99999999999"}])
    response = client.post(NEW, huge)
    assert response.status_code == 200
    assert "check the units" in response.content.decode()
    far = form_data(customer, [{"fee_code": "REINSPECTION"}], invoice_date="9999-12-31")
    response = client.post(NEW, far)
    assert response.status_code == 200
    assert "Enter a date between 2000 and 2099." in response.content.decode()
    odd = form_data(customer, [{"fee_code": "REINSPECTION"}], action="remove-²")
    assert client.post(NEW, odd).status_code == 200
    assert not Invoice.objects.exists()


def test_a_fee_line_of_zero_hours_is_refused_not_priced_at_the_minimum(client, ar_fees, ar_users):
    from django.core.exceptions import ValidationError

    from receivables.services.invoices import LineInput, create_invoice

    with pytest.raises(ValidationError) as error:
        create_invoice(
            make_customer(), invoice_date=datetime.date(2026, 10, 5), terms_days=30,
            description="Rental", lines=[LineInput(fee_code="FACILITY-RENTAL", units=D("0"))],
            actor=ar_users["tech"],
        )  # fmt: skip
    assert "more than zero" in error.value.message_dict["line-1"][0]
