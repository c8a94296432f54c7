"""Payables' tables, one module per area; every public name is re-exported here."""

from payables.models.invoices import (
    Invoice,
    InvoiceAttachment,
    InvoiceKind,
    InvoiceLine,
    InvoiceQuerySet,
    InvoiceStatus,
)
from payables.models.vendors import (
    BOXES_1099,
    BankChangeStatus,
    Form1099Type,
    PaymentMethod,
    SealedValue,
    TaxIdKind,
    Vendor,
    VendorAddress,
    VendorBankChange,
    VendorQuerySet,
    VendorStatus,
)

__all__ = [
    "BOXES_1099",
    "BankChangeStatus",
    "Form1099Type",
    "Invoice",
    "InvoiceAttachment",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceQuerySet",
    "InvoiceStatus",
    "PaymentMethod",
    "SealedValue",
    "TaxIdKind",
    "Vendor",
    "VendorAddress",
    "VendorBankChange",
    "VendorQuerySet",
    "VendorStatus",
]
