import datetime as dt
from decimal import Decimal

import pytest

from ledger.models import Account
from millbrae_finance.roles import Role
from payables.models import Vendor
from payables.services.invoices import InvoiceInput, LineInput, enter_invoice
from payables.services.vendors import AddressInput, VendorInput, create_vendor
from tests.conftest import make_user

# A routing number whose ABA check digit is right (Wells Fargo, California).
GOOD_ROUTING = "121000248"

AP_CHART = [
    # (number, name, type, control subledger)
    ("101-0000-1010", "Pooled cash", "asset", ""),
    ("101-0000-1310", "Due from other funds", "asset", ""),
    ("101-0000-2010", "Accounts payable", "liability", "ap"),
    ("101-0000-2110", "Due to other funds", "liability", ""),
    ("101-1100-5220", "Office supplies", "expenditure", ""),
    ("101-1100-5310", "Contract services", "expenditure", ""),
    ("101-1100-4920", "Miscellaneous revenue", "revenue", ""),
    ("501-0000-1310", "Due from other funds", "asset", ""),
    ("501-0000-2010", "Accounts payable", "liability", "ap"),
    ("501-0000-2110", "Due to other funds", "liability", ""),
    ("501-4100-5510", "Water purchases (SFPUC)", "expenditure", ""),
]


def make_ap_chart() -> dict[str, Account]:
    """The accounts payables posts to, AP control in each fund; FY 2026 and 2027 open."""
    from ledger.models import Department, Fund, FundType, ObjectCode
    from ledger.services import create_account, create_fiscal_year

    accounts = {}
    for number, name, kind, control in AP_CHART:
        existing = Account.objects.filter(number=number).first()
        if existing is not None:
            accounts[number] = existing
            continue
        fund_code, department_code, object_code = number.split("-")
        fund, _ = Fund.objects.get_or_create(
            code=fund_code, defaults={"name": f"Fund {fund_code}", "fund_type": FundType.GENERAL}
        )
        department, _ = Department.objects.get_or_create(
            code=department_code, defaults={"name": f"Department {department_code}"}
        )
        code, _ = ObjectCode.objects.get_or_create(
            code=object_code, defaults={"name": name, "account_type": kind}
        )
        accounts[number] = create_account(
            fund=fund, department=department, object_code=code, control_subledger=control
        )
    create_fiscal_year(2026)
    create_fiscal_year(2027)
    return accounts


@pytest.fixture
def ap_chart(db) -> dict[str, Account]:
    return make_ap_chart()


@pytest.fixture
def ap_users(db) -> dict:
    return {
        "tech": make_user(Role.ACCOUNTING_TECHNICIAN, "ap_tech"),
        "senior": make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN, "ap_senior"),
        "supervisor": make_user(Role.FINANCE_SUPERVISOR, "ap_supervisor"),
        "supervisor2": make_user(Role.FINANCE_SUPERVISOR, "ap_supervisor2"),
        "clerk": make_user(Role.COUNTER_CLERK, "ap_clerk"),
        "auditor": make_user(Role.AUDITOR, "ap_auditor"),
    }


ADDRESS = AddressInput(line1="1 Industrial Way", city="Brisbane", state="CA", postal_code="94005")


def make_vendor(actor, name: str = "Bay Office Supply", **values) -> Vendor:
    return create_vendor(VendorInput(name=name, **values), addresses=[ADDRESS], actor=actor)


@pytest.fixture
def vendor(ap_users) -> Vendor:
    return make_vendor(ap_users["tech"], tax_id_kind="ein", tax_id="94-1234567")


def make_invoice(actor, vendor, chart, *, number="INV-100", amount="125.50", **values):
    lines = values.pop("lines", None) or [
        LineInput(account=chart["101-1100-5220"], amount=Decimal(amount), description="Paper")
    ]
    data = InvoiceInput(
        vendor=vendor,
        invoice_number=number,
        invoice_date=values.pop("invoice_date", dt.date(2026, 11, 2)),
        received_date=values.pop("received_date", dt.date(2026, 11, 5)),
        terms_days=values.pop("terms_days", 30),
        control_total=Decimal(values.pop("control_total", amount)),
        **values,
    )
    return enter_invoice(data, lines=lines, actor=actor)


def role_matrix_samples() -> dict:
    """The payables URLs that take arguments: a vendor with a pending bank change, and an
    invoice with its scan, entered by someone outside the matrix's users."""
    from payables.attachments import ScannedFile
    from payables.models import Invoice, VendorBankChange
    from payables.services.invoices import attach_file
    from payables.services.vendors import request_bank_change

    # Asked once per URL: made the first time, found after.
    invoice = Invoice.objects.filter(invoice_number="MATRIX-1").first()
    if invoice is None:
        preparer = make_user(Role.ACCOUNTING_TECHNICIAN, "matrix_ap_tech")
        chart = make_ap_chart()
        vendor = make_vendor(preparer, "Matrix Vendor")
        request_bank_change(
            vendor,
            bank_routing=GOOD_ROUTING,
            bank_account="12345678",
            reason="Letter",
            actor=preparer,
        )
        invoice = make_invoice(preparer, vendor, chart, number="MATRIX-1")
        attach_file(
            invoice, ScannedFile("scan.pdf", "application/pdf", b"%PDF-1.4"), actor=preparer
        )
    vendor = invoice.vendor
    change = VendorBankChange.objects.get(vendor=vendor)
    return {
        "payables:vendor_detail": {"pk": vendor.pk},
        "payables:vendor_edit": {"pk": vendor.pk},
        "payables:bank_change_create": {"pk": vendor.pk},
        "payables:bank_change_approve": {"pk": change.pk},
        "payables:bank_change_reject": {"pk": change.pk},
        "payables:invoice_detail": {"pk": invoice.pk},
        "payables:invoice_approve": {"pk": invoice.pk},
        "payables:invoice_reject": {"pk": invoice.pk},
        "payables:invoice_hold": {"pk": invoice.pk},
        "payables:invoice_release": {"pk": invoice.pk},
        "payables:invoice_attachment": {"pk": invoice.pk},
    }
