"""Vendor invoices and credit memos, their lines coded to expenditure accounts, and the
scanned document attached to each."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from millbrae_finance.approvals import PreparedAndDecided, approver_not_preparer
from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField
from payables.models.vendors import Vendor


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_MEMO = "credit", "Credit memo"


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Awaiting approval"
    APPROVED = "approved", "Approved"
    HELD = "held", "Held"
    PAID = "paid", "Paid"
    REJECTED = "rejected", "Rejected"


class InvoiceQuerySet(models.QuerySet):
    def awaiting_approval(self) -> "InvoiceQuerySet":
        return self.filter(status=InvoiceStatus.OPEN)

    def payable(self) -> "InvoiceQuerySet":
        """Approved, not held, something left to pay: what a payment run may select."""
        return self.filter(
            status=InvoiceStatus.APPROVED, kind=InvoiceKind.INVOICE, amount_paid__lt=F("total")
        )


@track()
class Invoice(PreparedAndDecided):
    """A vendor's invoice (or credit memo) as entered by a technician. Approval by someone
    else posts it: each line's expenditure account against AP control, per fund."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=7, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    invoice_number = models.CharField(max_length=40)
    invoice_date = models.DateField()
    received_date = models.DateField()
    # The date the expenditure is booked on; its period must be open.
    posting_date = models.DateField()
    terms_days = models.PositiveSmallIntegerField(default=30)
    due_date = models.DateField()
    description = models.CharField(max_length=200, blank=True)
    control_total = MoneyField()
    total = MoneyField()
    amount_paid = MoneyField(default=Decimal("0.00"))
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    # Why it was saved although it looked like one already entered.
    duplicate_override = models.CharField(max_length=250, blank=True)
    hold_reason = models.CharField(max_length=250, blank=True)
    decision_note = models.CharField(max_length=250, blank=True)
    # The one-time key of the entry form: a double-clicked Save makes one invoice.
    entry_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-invoice_date", "-id"]
        indexes = [
            models.Index(fields=["vendor", "invoice_number"], name="payables_invoice_vendor_no"),
            models.Index(fields=["status", "due_date"], name="payables_invoice_status_due"),
        ]
        constraints = [
            approver_not_preparer(),
            models.CheckConstraint(
                condition=Q(total=F("control_total")), name="payables_invoice_foots"
            ),
            models.CheckConstraint(
                condition=Q(total__gt=0), name="payables_invoice_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("total")),
                name="payables_invoice_paid_within_total",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("invoice_date")),
                name="payables_invoice_due_after_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "rejected"])
                | Q(journal_entry__isnull=False, decided_by__isnull=False),
                name="payables_invoice_approved_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.invoice_number}"

    @property
    def number(self) -> str:
        prefix = "VCM" if self.kind == InvoiceKind.CREDIT_MEMO else "AP"
        return f"{prefix}-{self.pk:06d}"


@track()
class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200, blank=True)
    amount = MoneyField()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="payables_invoiceline_position"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payables_invoiceline_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position} {self.amount}"


class InvoiceAttachment(models.Model):
    """The scanned invoice, kept in the database with the invoice (backed up and
    restored with it, no file server to lose): a PDF, PNG or JPEG, checked by content."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="attachment")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename
