"""Demo data for payables: about 150 vendors (some paid by ACH to valid routing numbers,
some reported on 1099s) and a year of their invoices, most approved and posted, some
waiting for approval. Written set-based: vendors, addresses, sealed values, invoices and
lines in a few bulk inserts, the approved invoices posted in one batch through the
ledger's post_entries (each with the key approve_invoice would give it)."""

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ledger.models import Account, Subledger
from ledger.services import EntrySpec, LineSpec, post_entries
from payables.models import (
    Form1099Type,
    Invoice,
    InvoiceAttachment,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    SealedValue,
    TaxIdKind,
    Vendor,
    VendorAddress,
    VendorStatus,
)
from payables.services.invoices import SOURCE_MODULE
from payables.validators import ROUTING_WEIGHTS

SEED = 12
VENDORS = 150
INVOICES = 420
# Invoices from December 2025 to November 2026; those entered since October 15 wait for
# approval (October and November are the open periods once the demo closes the rest).
FIRST_DAY = dt.date(2025, 12, 1)
LAST_DAY = dt.date(2026, 11, 25)
PENDING_FROM = dt.date(2026, 10, 15)

NAMES = [
    "Bay Area", "Peninsula", "Golden Gate", "Pacific", "Coastal", "Summit", "Redwood",
    "Bayshore", "Millbrae", "San Mateo", "Sierra", "Harbor", "Skyline", "El Camino",
    "Crystal Springs", "Mission", "Sequoia", "Cypress", "Hillside", "Delta",
]  # fmt: skip
TRADES = [
    ("Office Supply", "101-1100-5220", ""),
    ("Paving", "201-3100-5310", Form1099Type.NEC),
    ("Electric", "101-3100-5410", ""),
    ("Consulting Group", "101-1200-5310", Form1099Type.NEC),
    ("Pipe & Valve", "501-4100-5310", ""),
    ("Landscaping", "101-6100-5410", Form1099Type.NEC),
    ("Printing", "101-1100-5210", ""),
    ("Engineering", "301-3100-5610", Form1099Type.NEC),
    ("Pump Services", "502-4200-5310", Form1099Type.NEC),
    ("Legal Services", "101-1200-5310", Form1099Type.MISC),
    ("Water Lab", "501-4100-5310", ""),
    ("Security Systems", "101-2100-5310", ""),
]
CITIES = [
    ("Millbrae", "94030"),
    ("Burlingame", "94010"),
    ("San Mateo", "94401"),
    ("South San Francisco", "94080"),
    ("San Bruno", "94066"),
    ("Redwood City", "94063"),
]
# SFPUC is every Peninsula city's water wholesaler: a large monthly invoice.
SFPUC = ("San Francisco Public Utilities Commission", "501-4100-5510")


def routing_number(rng: random.Random) -> str:
    """A routing number with a right ABA check digit, in a Federal Reserve district."""
    first8 = f"{rng.choice([1, 2, 3, 11, 12]):02d}" + "".join(
        str(rng.randrange(10)) for _ in range(6)
    )
    partial = sum(int(d) * w for d, w in zip(first8, ROUTING_WEIGHTS[:8], strict=True))
    return first8 + str((10 - partial % 10) % 10)


def seed_payables(log: Callable[[str], None]) -> None:
    with transaction.atomic():
        if Vendor.objects.exists():
            log("Payables: already seeded.")
            return
        rng = random.Random(SEED)
        tech = User.objects.get(username="tech")
        supervisor = User.objects.get(username="supervisor")
        vendors, trades = _vendors(rng, tech)
        _invoices(rng, vendors, trades, tech, supervisor, log)


def _vendors(rng: random.Random, tech: User) -> tuple[list[Vendor], list[str]]:
    vendors, sealed, accounts = [], [], []
    for number in range(VENDORS):
        if number == 0:
            name, account = SFPUC
            form_1099 = ""
        else:
            trade, account, form_1099 = TRADES[number % len(TRADES)]
            name = f"{NAMES[number % len(NAMES)]} {trade}"
            if number >= len(NAMES):
                name += f" {['Inc.', 'LLC', 'Co.', 'Corp.'][number % 4]} {number // len(NAMES)}"
        ach = number % 3 == 0
        vendor = Vendor(
            name=name,
            contact_name=f"{rng.choice(['Ana', 'Ben', 'Chen', 'Dana', 'Eli', 'Fatima'])} "
            f"{rng.choice(['Lopez', 'Nguyen', 'Patel', 'Smith', 'Kim', 'Reyes'])}",
            phone=f"650-555-{rng.randrange(100, 9999):04d}",
            status=VendorStatus.INACTIVE
            if number % 41 == 40
            else (VendorStatus.ON_HOLD if number % 53 == 52 else VendorStatus.ACTIVE),
            payment_method=PaymentMethod.ACH if ach else PaymentMethod.CHECK,
            terms_days=rng.choice([30, 30, 30, 15, 45]),
            form_1099_type=form_1099,
            form_1099_box="1" if form_1099 else "",
            w9_received_on=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(500)),
            created_by=tech,
        )
        tax_id = f"{rng.randrange(10, 99) if form_1099 != Form1099Type.NEC else 94}-" + (
            f"{rng.randrange(1000000, 9999999)}"
        )
        if tax_id[:2] in {"17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89"}:
            tax_id = "94" + tax_id[2:]
        vendor.tax_id_kind = TaxIdKind.EIN
        vendor.tax_id_last4 = tax_id[-4:]
        sealed.append(tax_id)
        if ach:
            account_number = f"{rng.randrange(10**9, 10**12)}"
            vendor.bank_routing = routing_number(rng)
            vendor.bank_account_last4 = account_number[-4:]
            # Demo vendors have been paid before: their prenotes went out long ago.
            vendor.prenote_sent_on = dt.date(2025, 6, 2)
            sealed.append(account_number)
        vendors.append(vendor)
        accounts.append(account)
    values = SealedValue.objects.bulk_create([SealedValue(value=v) for v in sealed])
    position = 0
    for vendor in vendors:
        vendor.tax_id = values[position]
        position += 1
        if vendor.bank_routing:
            vendor.bank_account = values[position]
            position += 1
    Vendor.objects.bulk_create(vendors)
    addresses = []
    for vendor in vendors:
        city, postal = rng.choice(CITIES)
        addresses.append(
            VendorAddress(
                vendor=vendor,
                label="Remit to",
                line1=f"{rng.randrange(10, 2999)} {rng.choice(['Industrial Way', 'Broadway', 'El Camino Real', 'Rollins Rd', 'Airport Blvd'])}",  # noqa: E501
                city=city,
                state="CA",
                postal_code=postal,
                is_default=True,
            )
        )
        if vendor.pk % 10 == 0:
            addresses.append(
                VendorAddress(
                    vendor=vendor,
                    label="Lockbox",
                    line1=f"PO Box {rng.randrange(1000, 99999)}",
                    city="Los Angeles",
                    state="CA",
                    postal_code="90074",
                )
            )
    VendorAddress.objects.bulk_create(addresses)
    return vendors, accounts


def _invoices(rng, vendors, trades, tech, supervisor, log) -> None:
    accounts = {a.number: a for a in Account.objects.filter(number__in=set(trades))}
    controls = {
        a.fund_id: a for a in Account.objects.postable().filter(control_subledger=Subledger.AP)
    }
    payable = [
        (vendor, accounts[trade])
        for vendor, trade in zip(vendors, trades, strict=True)
        if vendor.status != VendorStatus.INACTIVE
    ]
    days = (LAST_DAY - FIRST_DAY).days
    invoices, amounts = [], []
    for number in range(INVOICES):
        if number % 35 == 0:  # SFPUC's monthly water purchase
            vendor, account = payable[0]
            amount = Decimal(rng.randrange(38000000, 52000000)) / 100
        else:
            vendor, account = rng.choice(payable[1:])
            amount = Decimal(rng.randrange(4000, 2500000)) / 100
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(days + 1))
        invoices.append(
            Invoice(
                vendor=vendor,
                invoice_number=f"{rng.randrange(1000, 99999)}-{number}",
                invoice_date=day,
                received_date=day + dt.timedelta(days=rng.randrange(0, 6)),
                posting_date=day,
                terms_days=vendor.terms_days,
                due_date=day + dt.timedelta(days=vendor.terms_days),
                description=f"{account.name} services",
                control_total=amount,
                total=amount,
                prepared_by=tech,
            )
        )
        amounts.append((account, amount))
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, position=1, account=account, amount=amount)
        for invoice, (account, amount) in zip(invoices, amounts, strict=True)
    )
    approved = [
        (invoice, account)
        for invoice, (account, _) in zip(invoices, amounts, strict=True)
        if invoice.invoice_date < PENDING_FROM
    ]
    specs = [
        EntrySpec(
            entry_date=invoice.posting_date,
            lines=[
                LineSpec(account, invoice.total, invoice.invoice_number),
                LineSpec(controls[account.fund_id], -invoice.total, invoice.vendor.name[:100]),
            ],
            memo=f"Invoice {invoice.invoice_number} from {invoice.vendor.name}"[:250],
            idempotency_key=f"payables-invoice-{invoice.pk}",
            source_document=invoice.number,
        )
        for invoice, account in approved
    ]
    entries = post_entries(
        specs, source_module=SOURCE_MODULE, prepared_by=tech, approved_by=supervisor
    )
    now = timezone.now()
    held = 0
    for (invoice, _), entry in zip(approved, entries, strict=True):
        invoice.status = InvoiceStatus.APPROVED
        invoice.journal_entry = entry
        invoice.decided_by = supervisor
        invoice.decided_at = now
        if invoice.pk % 47 == 0:
            invoice.status = InvoiceStatus.HELD
            invoice.hold_reason = "Vendor disputes quantity delivered"
            held += 1
    Invoice.objects.bulk_update(
        [invoice for invoice, _ in approved],
        ["status", "journal_entry", "decided_by", "decided_at", "hold_reason"],
        batch_size=500,
    )
    # Every tenth invoice has its scan, as a technician attaches it.
    scanned = [invoice for invoice in invoices if invoice.pk % 10 == 0]
    InvoiceAttachment.objects.bulk_create(
        InvoiceAttachment(
            invoice=invoice,
            filename=f"scan-{invoice.invoice_number}.pdf",
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=tech,
        )
        for invoice in scanned
        for content in [scan_pdf(invoice)]
    )
    log(
        f"Payables: {len(vendors)} vendors, {len(invoices)} invoices "
        f"({len(approved)} approved and posted, {held} held, "
        f"{len(invoices) - len(approved)} awaiting approval)."
    )


def scan_pdf(invoice: Invoice) -> bytes:
    """A one-page PDF standing in for a scanned invoice: the vendor, number and amount."""
    text = f"{invoice.vendor.name}  Invoice {invoice.invoice_number}  ${invoice.total:,.2f}"
    text = text.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
