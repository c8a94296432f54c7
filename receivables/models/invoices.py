"""Miscellaneous invoices, their lines, and credit memos against them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.approvals import PreparedAndDecided, approver_not_preparer
from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField, QuantityField
from receivables.models.collections import WriteOff, WriteOffStatus
from receivables.models.customers import Customer
from receivables.models.fees import Fee


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"  # a draft discarded before it was issued


class InvoiceQuerySet(models.QuerySet):
    def issued(self) -> "InvoiceQuerySet":
        return self.filter(status=InvoiceStatus.ISSUED)

    def open(self) -> "InvoiceQuerySet":
        """Issued invoices with something still owed."""
        return self.issued().filter(balance__gt=0)

    def with_written_off(self) -> "InvoiceQuerySet":
        """Each invoice with `written_off`: an approved write-off took part of it, so
        nothing owed reads "Written off", not "Paid"."""
        return self.annotate(
            written_off=models.Exists(
                WriteOff.objects.filter(
                    invoice=models.OuterRef("pk"), status=WriteOffStatus.APPROVED
                )
            )
        )


# Payment terms a city prints on an invoice: due on receipt, or net days.
TERMS_CHOICES = [
    (0, "Due on receipt"),
    (15, "Net 15"),
    (30, "Net 30"),
    (45, "Net 45"),
    (60, "Net 60"),
]


@track()
class Invoice(models.Model):
    """A miscellaneous invoice: a customer billed for fees (facility rental, false alarm,
    damage to city property, re-inspection...). Issuing it posts AR and revenue."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    invoice_date = models.DateField()
    terms_days = models.PositiveSmallIntegerField("terms", choices=TERMS_CHOICES, default=30)
    due_date = models.DateField()
    description = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    total = MoneyField(default=Decimal("0.00"))
    balance = MoneyField(default=Decimal("0.00"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices_prepared"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices_issued",
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-invoice_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="receivables_invoice_customer"),
            models.Index(
                fields=["due_date"],
                condition=Q(status="issued", balance__gt=0),
                name="receivables_invoice_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="receivables_invoice_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("invoice_date")),
                name="receivables_invoice_due_after_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | Q(journal_entry__isnull=False, total__gt=0),
                name="receivables_invoice_issued_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description}"

    @property
    def number(self) -> str:
        return f"INV-{self.pk:06d}"


@track()
class InvoiceLine(models.Model):
    """A line of an invoice: a fee from the schedule (its amount computed as the fee
    calculator computes it, on the invoice date) or a free line on an allowed revenue
    account."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    fee = models.ForeignKey(Fee, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=200)
    revenue_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    # What the fee was computed from: units for per-unit and tiered fees, a base amount
    # for percentage fees; both empty for flat fees and free lines.
    units = QuantityField(null=True, blank=True)
    base = MoneyField(null=True, blank=True)
    amount = MoneyField()
    # The calculator's steps, kept so the invoice shows how the amount was reached.
    calculation = models.TextField(blank=True)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="receivables_invoiceline_position"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="receivables_invoiceline_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved and posted"
    REJECTED = "rejected", "Rejected"


@track()
class CreditMemo(PreparedAndDecided):
    """A credit against an issued invoice (billed in error, service not rendered, a
    courtesy credit): prepared by staff, approved and posted by a lead who did not
    prepare it. It reverses revenue in proportion to the invoice's lines."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_memos")
    amount = MoneyField()
    reason = models.TextField()
    credit_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    # prepared_by, decided_by, decided_at: PreparedAndDecided.
    decision_note = models.TextField(blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="receivables_creditmemo_amount_positive"
            ),
            approver_not_preparer(),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(journal_entry__isnull=False),
                name="receivables_creditmemo_approved_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} on {self.invoice.number}"

    @property
    def number(self) -> str:
        return f"CM-{self.pk:06d}"
