import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from ledger.models import FiscalPeriod, JournalLine
from payables.attachments import ScannedFile
from payables.models import (
    BankChangeStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    SealedValue,
    Vendor,
    VendorBankChange,
)
from payables.queries.vendors import confidential_for, unsealed
from payables.services.invoices import (
    LineInput,
    approve_invoice,
    hold_invoice,
    release_invoice,
)
from payables.services.vendors import (
    VendorInput,
    approve_bank_change,
    create_vendor,
    request_bank_change,
)
from payables.validators import clean_routing_number, clean_tax_id
from tests.payables.conftest import ADDRESS, GOOD_ROUTING, make_invoice


def test_routing_number_checksum():
    assert clean_routing_number("121-000-248") == GOOD_ROUTING
    with pytest.raises(ValidationError, match="check digit"):
        clean_routing_number("121000249")
    with pytest.raises(ValidationError, match="starts with 99"):
        clean_routing_number("990000000")


def test_tax_id_formats():
    assert clean_tax_id("941234567", "ein") == "94-1234567"
    assert clean_tax_id("123 45 6789", "ssn") == "123-45-6789"
    with pytest.raises(ValidationError):
        clean_tax_id("07-1234567", "ein")
    with pytest.raises(ValidationError):
        clean_tax_id("666-12-3456", "ssn")


def test_vendor_sealed_values_unreadable_by_app_role(vendor, ap_users):
    vendor.refresh_from_db()
    assert vendor.tax_id_last4 == "4567"
    assert unsealed(vendor.tax_id_id) == "94-1234567"
    # The app's role reads the id of a sealed value, never the value itself.
    assert SealedValue.objects.filter(pk=vendor.tax_id_id).exists()
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT value FROM payables_sealedvalue")
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE payables_sealedvalue SET value = 'x'")


def test_confidential_values_masked_except_for_supervisor(vendor, ap_users):
    tech_view = confidential_for(vendor, ap_users["tech"], reveal=True)
    assert tech_view.tax_id == "****4567" and not tech_view.whole
    supervisor_view = confidential_for(vendor, ap_users["supervisor"], reveal=True)
    assert supervisor_view.tax_id == "94-1234567"
    assert confidential_for(vendor, ap_users["supervisor"]).tax_id == "****4567"


def test_new_ach_vendor_bank_details_wait_for_approval(ap_users):
    vendor = create_vendor(
        VendorInput(name="Peninsula Paving", payment_method="ach"),
        addresses=[ADDRESS],
        bank_routing=GOOD_ROUTING,
        bank_account="000123456789",
        actor=ap_users["supervisor2"],
    )
    assert vendor.bank_routing == "" and vendor.bank_account_id is None
    change = VendorBankChange.objects.get(vendor=vendor)
    assert change.status == BankChangeStatus.PENDING and change.bank_account_last4 == "6789"
    with pytest.raises(PermissionDenied):
        approve_bank_change(change, actor=ap_users["tech"])
    with pytest.raises(ValidationError, match="someone else"):
        approve_bank_change(change, actor=ap_users["supervisor2"])
    approve_bank_change(change, actor=ap_users["supervisor"])
    approve_bank_change(change, actor=ap_users["supervisor"])  # a double-click: once
    vendor.refresh_from_db()
    assert vendor.bank_routing == GOOD_ROUTING
    assert unsealed(vendor.bank_account_id) == "000123456789"
    assert vendor.prenote_required and vendor.prenote_sent_on is None


def test_bank_change_refuses_bad_routing_and_saves_nothing(vendor, ap_users):
    with pytest.raises(ValidationError) as caught:
        request_bank_change(
            vendor,
            bank_routing="121000249",
            bank_account="12345678",
            reason="Letter",
            actor=ap_users["tech"],
        )
    assert "bank_routing" in caught.value.message_dict
    assert not VendorBankChange.objects.exists()


def test_ach_vendor_needs_routing(ap_users):
    with pytest.raises(ValidationError) as caught:
        create_vendor(
            VendorInput(name="No Bank LLC", payment_method="ach"),
            addresses=[ADDRESS],
            actor=ap_users["tech"],
        )
    assert "bank_routing" in caught.value.message_dict
    assert not Vendor.objects.exists()


def test_approve_posts_expenditure_against_ap_control_per_fund(ap_chart, ap_users, vendor):
    invoice = make_invoice(
        ap_users["tech"],
        vendor,
        ap_chart,
        amount="300.00",
        lines=[
            LineInput(account=ap_chart["101-1100-5220"], amount=Decimal("100.00")),
            LineInput(account=ap_chart["501-4100-5510"], amount=Decimal("200.00")),
        ],
    )
    assert invoice.status == InvoiceStatus.OPEN and invoice.due_date == dt.date(2026, 12, 2)
    approved = approve_invoice(invoice, actor=ap_users["supervisor"])
    again = approve_invoice(invoice, actor=ap_users["supervisor"])
    assert approved.status == InvoiceStatus.APPROVED
    assert again.journal_entry_id == approved.journal_entry_id
    lines = sorted(
        (line.account.number, line.amount)
        for line in JournalLine.objects.filter(entry_id=approved.journal_entry_id).select_related(
            "account"
        )
    )
    assert lines == [
        ("101-0000-2010", Decimal("-100.00")),
        ("101-1100-5220", Decimal("100.00")),
        ("501-0000-2010", Decimal("-200.00")),
        ("501-4100-5510", Decimal("200.00")),
    ]


def test_preparer_never_approves_own(ap_chart, ap_users, vendor):
    invoice = make_invoice(ap_users["supervisor"], vendor, ap_chart)
    with pytest.raises(ValidationError, match="another supervisor"):
        approve_invoice(invoice, actor=ap_users["supervisor"])
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.journal_entry_id is None


def test_credit_memo_posts_the_reverse(ap_chart, ap_users, vendor):
    memo = make_invoice(
        ap_users["tech"],
        vendor,
        ap_chart,
        number="CM-7",
        amount="20.00",
        kind=InvoiceKind.CREDIT_MEMO,
    )
    memo = approve_invoice(memo, actor=ap_users["supervisor"])
    amounts = dict(
        JournalLine.objects.filter(entry_id=memo.journal_entry_id).values_list(
            "account__number", "amount"
        )
    )
    assert amounts == {"101-1100-5220": Decimal("-20.00"), "101-0000-2010": Decimal("20.00")}


def test_invoice_that_does_not_foot_is_refused(ap_chart, ap_users, vendor):
    with pytest.raises(ValidationError) as caught:
        make_invoice(ap_users["tech"], vendor, ap_chart, amount="125.50", control_total="125.00")
    assert "off by $0.50" in caught.value.message_dict["control_total"][0]
    assert not Invoice.objects.exists()


def test_closed_period_refused(ap_chart, ap_users, vendor):
    from ledger.services import close_period

    period = FiscalPeriod.objects.get(start_date=dt.date(2026, 11, 1), number__lt=13)
    close_period(period, actor=ap_users["supervisor"], reason="Month end")
    with pytest.raises(ValidationError) as caught:
        make_invoice(ap_users["tech"], vendor, ap_chart)
    assert "closed" in caught.value.message_dict["invoice_date"][0]
    assert not Invoice.objects.exists()


def test_duplicate_needs_override_reason(ap_chart, ap_users, vendor):
    first = make_invoice(ap_users["tech"], vendor, ap_chart, number="A-1")
    with pytest.raises(ValidationError) as caught:
        make_invoice(ap_users["tech"], vendor, ap_chart, number="a-1", amount="9.00")
    assert first.number in caught.value.message_dict["duplicate_override"][0]
    with pytest.raises(ValidationError):  # same amount and date, another number
        make_invoice(ap_users["tech"], vendor, ap_chart, number="A-2")
    second = make_invoice(
        ap_users["tech"], vendor, ap_chart, number="A-2", duplicate_override="Two deliveries"
    )
    assert second.duplicate_override == "Two deliveries"


def test_entry_key_makes_one_invoice(ap_chart, ap_users, vendor):
    from payables.services.invoices import InvoiceInput, enter_invoice

    data = InvoiceInput(
        vendor=vendor,
        invoice_number="K-1",
        invoice_date=dt.date(2026, 11, 2),
        received_date=dt.date(2026, 11, 2),
        terms_days=30,
        control_total=Decimal("5.00"),
    )
    lines = [LineInput(account=ap_chart["101-1100-5220"], amount=Decimal("5.00"))]
    first = enter_invoice(data, lines=lines, entry_key="k-1", actor=ap_users["tech"])
    second = enter_invoice(data, lines=lines, entry_key="k-1", actor=ap_users["tech"])
    assert first.pk == second.pk and Invoice.objects.count() == 1


def test_hold_and_release(ap_chart, ap_users, vendor):
    invoice = make_invoice(ap_users["tech"], vendor, ap_chart)
    with pytest.raises(ValidationError):
        hold_invoice(invoice, reason="Dispute", actor=ap_users["tech"])
    approve_invoice(invoice, actor=ap_users["supervisor"])
    hold_invoice(invoice, reason="Goods damaged", actor=ap_users["tech"])
    assert not Invoice.objects.payable().exists()
    release_invoice(invoice, actor=ap_users["supervisor"])
    assert list(Invoice.objects.payable()) == [invoice]


def test_attachment_kept_with_invoice(ap_chart, ap_users, vendor):
    from payables.services.invoices import attach_file

    invoice = make_invoice(ap_users["tech"], vendor, ap_chart)
    attach_file(
        invoice,
        ScannedFile("scan.pdf", "application/pdf", b"%PDF-1.4 test"),
        actor=ap_users["tech"],
    )
    assert bytes(invoice.attachment.content) == b"%PDF-1.4 test"


def test_database_refuses_invoice_that_does_not_foot(ap_chart, ap_users, vendor):
    invoice = make_invoice(ap_users["tech"], vendor, ap_chart)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(control_total=Decimal("1.00"))
