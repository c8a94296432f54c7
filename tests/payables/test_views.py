import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from payables.models import Invoice, InvoiceStatus, Vendor, VendorBankChange
from tests.payables.conftest import GOOD_ROUTING, make_invoice

# A 1x1 PNG: what a phone's scan of an invoice looks like to the content check.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def vendor_post(**values) -> dict:
    data = {
        "name": "Skyline Paving",
        "contact_name": "Ana Reyes",
        "phone": "650-555-0101",
        "email": "",
        "status": "active",
        "payment_method": "check",
        "terms_days": "30",
        "tax_id_kind": "ein",
        "tax_id": "94-7654321",
        "form_1099_type": "nec",
        "form_1099_box": "1",
        "w9_received_on": "2026-10-01",
        "bank_routing": "",
        "bank_account": "",
        "addresses-TOTAL_FORMS": "2",
        "addresses-INITIAL_FORMS": "0",
        "addresses-0-line1": "10 Rollins Rd",
        "addresses-0-city": "Millbrae",
        "addresses-0-state": "CA",
        "addresses-0-postal_code": "94030",
        "addresses-1-line1": "",
    }
    data.update(values)
    return data


def invoice_post(vendor, chart, **values) -> dict:
    data = {
        "vendor": str(vendor.pk),
        "kind": "invoice",
        "invoice_number": "SP-1001",
        "invoice_date": "2026-11-02",
        "received_date": "2026-11-04",
        "terms_days": "",
        "due_date": "",
        "posting_date": "",
        "description": "Crack sealing",
        "control_total": "1,250.00",
        "duplicate_override": "",
        "entry_key": "ap-test-1",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-account": "101-1100-5310 Contract services",
        "lines-0-description": "Labor",
        "lines-0-amount": "1000.00",
        "lines-1-account": "101-1100-5220",
        "lines-1-description": "Materials",
        "lines-1-amount": "250.00",
    }
    data.update(values)
    return data


def test_vendor_create_and_detail_masks_tax_id(client_for, ap_users):
    client = client_for(ap_users["tech"])
    response = client.post(reverse("payables:vendor_create"), vendor_post())
    vendor = Vendor.objects.get()
    assert response.status_code == 302
    assert vendor.addresses.get().is_default
    page = client.get(reverse("payables:vendor_detail", args=[vendor.pk]) + "?reveal=1")
    assert "****4321" in page.content.decode() and "94-7654321" not in page.content.decode()
    supervisor = client_for(ap_users["supervisor"])
    whole = supervisor.get(reverse("payables:vendor_detail", args=[vendor.pk]) + "?reveal=1")
    assert "94-7654321" in whole.content.decode()


def test_vendor_create_refuses_bad_routing_beside_field(client_for, ap_users):
    client = client_for(ap_users["tech"])
    response = client.post(
        reverse("payables:vendor_create"),
        vendor_post(
            payment_method="ach",
            bank_routing="121000249",
            bank_account="12345678",
            tax_id_kind="ssn",
            tax_id="666-12-3456",
        ),
    )
    assert response.status_code == 200
    # Every problem at once, each beside its field.
    assert "check digit does not match" in response.content.decode()
    assert "666-12-3456 is not a valid SSN" in response.content.decode()
    assert not Vendor.objects.exists() and not VendorBankChange.objects.exists()


def test_bank_change_flow_through_screens(client_for, ap_users, vendor):
    tech = client_for(ap_users["tech"])
    url = reverse("payables:bank_change_create", args=[vendor.pk])
    response = tech.post(
        url, {"bank_routing": GOOD_ROUTING, "bank_account": "987654321", "reason": "Letter"}
    )
    assert response.status_code == 302
    change = VendorBankChange.objects.get()
    # The preparer has no approve button and is refused by the server.
    assert tech.post(reverse("payables:bank_change_approve", args=[change.pk])).status_code == 403
    supervisor = client_for(ap_users["supervisor"])
    page = supervisor.get(reverse("payables:vendor_detail", args=[vendor.pk])).content.decode()
    assert "Approve bank change" in page
    supervisor.post(reverse("payables:bank_change_approve", args=[change.pk]))
    vendor.refresh_from_db()
    assert vendor.bank_account_last4 == "4321" and vendor.prenote_required
    page = tech.get(reverse("payables:vendor_detail", args=[vendor.pk])).content.decode()
    assert "****4321" in page and "987654321" not in page and "Prenote required" in page


def test_invoice_entry_approval_through_screens(client_for, ap_users, ap_chart, vendor):
    tech = client_for(ap_users["tech"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = invoice_post(vendor, ap_chart)
    data["attachment"] = SimpleUploadedFile("scan.png", PNG, content_type="image/png")
    response = tech.post(reverse("payables:invoice_create"), data)
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert invoice.due_date == dt.date(2026, 12, 2) and invoice.total == Decimal("1250.00")
    # A double-clicked save (same one-time key) makes no second invoice.
    tech.post(reverse("payables:invoice_create"), invoice_post(vendor, ap_chart))
    assert Invoice.objects.count() == 1
    scan = tech.get(reverse("payables:invoice_attachment", args=[invoice.pk]))
    assert scan.content == PNG and scan["Content-Type"] == "image/png"
    assert tech.post(reverse("payables:invoice_approve", args=[invoice.pk])).status_code == 403
    supervisor = client_for(ap_users["supervisor"])
    page = supervisor.get(reverse("payables:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Approve and post" in page
    supervisor.post(reverse("payables:invoice_approve", args=[invoice.pk]))
    supervisor.post(reverse("payables:invoice_approve", args=[invoice.pk]))  # double-click
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED and invoice.journal_entry_id


def test_invoice_that_does_not_foot_is_refused_beside_total(client_for, ap_users, ap_chart, vendor):
    tech = client_for(ap_users["tech"])
    response = tech.post(
        reverse("payables:invoice_create"), invoice_post(vendor, ap_chart, control_total="1200")
    )
    assert response.status_code == 200
    assert "off by $50.00" in response.content.decode()
    assert not Invoice.objects.exists()


def test_non_image_attachment_refused(client_for, ap_users, ap_chart, vendor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    tech = client_for(ap_users["tech"])
    data = invoice_post(vendor, ap_chart)
    # Named .pdf, but an executable inside.
    data["attachment"] = SimpleUploadedFile(
        "invoice.pdf", b"MZ\x90\x00", content_type="application/pdf"
    )
    data["control_total"] = "1,300.00"
    response = tech.post(reverse("payables:invoice_create"), data)
    assert response.status_code == 200
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    assert "off by $50.00" in response.content.decode()  # shown with it, not after
    assert not Invoice.objects.exists()


def test_non_expenditure_account_refused_on_its_row(client_for, ap_users, ap_chart, vendor):
    tech = client_for(ap_users["tech"])
    response = tech.post(
        reverse("payables:invoice_create"),
        invoice_post(vendor, ap_chart, **{"lines-1-account": "101-1100-4920"}),
    )
    assert response.status_code == 200
    assert "101-1100-4920 is not an expenditure account" in response.content.decode()
    assert not Invoice.objects.exists()


def test_duplicate_warning_then_override(client_for, ap_users, ap_chart, vendor):
    make_invoice(ap_users["tech"], vendor, ap_chart, number="SP-1001", amount="9.00")
    tech = client_for(ap_users["tech"])
    response = tech.post(reverse("payables:invoice_create"), invoice_post(vendor, ap_chart))
    assert response.status_code == 200 and "looks like an invoice already entered" in (
        response.content.decode()
    )
    response = tech.post(
        reverse("payables:invoice_create"),
        invoice_post(vendor, ap_chart, duplicate_override="Vendor reuses numbers yearly"),
    )
    assert response.status_code == 302 and Invoice.objects.count() == 2


def test_account_search_finds_expenditure_accounts_only(client_for, ap_users, ap_chart):
    tech = client_for(ap_users["tech"])
    response = tech.get(reverse("payables:account_search"), {"q": "1100"})
    body = response.content.decode()
    assert "101-1100-5220" in body and "101-1100-4920" not in body


def test_hold_and_release_through_screens(client_for, ap_users, ap_chart, vendor):
    from payables.services.invoices import approve_invoice

    invoice = approve_invoice(
        make_invoice(ap_users["tech"], vendor, ap_chart), actor=ap_users["supervisor"]
    )
    tech = client_for(ap_users["tech"])
    tech.post(reverse("payables:invoice_hold", args=[invoice.pk]), {"reason": "Damaged"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD
    assert tech.post(reverse("payables:invoice_release", args=[invoice.pk])).status_code == 403
    client_for(ap_users["supervisor"]).post(reverse("payables:invoice_release", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


@pytest.mark.parametrize(
    "url_name",
    [
        "payables:vendor_list",
        "payables:invoice_list",
        "payables:vendor_create",
        "payables:invoice_create",
    ],
)
def test_clerk_refused(client_for, ap_users, url_name):
    assert client_for(ap_users["clerk"]).get(reverse(url_name)).status_code == 403


def test_auditor_reads_but_does_not_enter(client_for, ap_users, ap_chart, vendor):
    invoice = make_invoice(ap_users["tech"], vendor, ap_chart)
    auditor = client_for(ap_users["auditor"])
    assert auditor.get(reverse("payables:vendor_list")).status_code == 200
    assert auditor.get(reverse("payables:invoice_detail", args=[invoice.pk])).status_code == 200
    assert auditor.get(reverse("payables:invoice_create")).status_code == 403
    assert auditor.post(reverse("payables:invoice_approve", args=[invoice.pk])).status_code == 403


def test_lists_query_counts(client_for, ap_users, ap_chart, vendor, django_assert_max_num_queries):
    for number in range(5):
        make_invoice(
            ap_users["tech"], vendor, ap_chart, number=f"Q-{number}", amount=f"{number + 1}.00"
        )
    tech = client_for(ap_users["tech"])
    tech.get(reverse("payables:invoice_list"))
    with django_assert_max_num_queries(12):
        assert tech.get(reverse("payables:invoice_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert tech.get(reverse("payables:vendor_list")).status_code == 200
