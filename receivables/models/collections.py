"""Collections: write-offs, referrals to the collection agency, and dunning notices.

Write-offs and referrals name their invoice or citation by string ("receivables.Invoice"):
invoices and citations ask whether a write-off took their balance, so they import this
module, not the other way round."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.approvals import PreparedAndDecided, approver_not_preparer
from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField
from receivables.models.customers import Customer


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved and posted"
    REJECTED = "rejected", "Rejected"


@track()
class WriteOff(PreparedAndDecided):
    """Writing off an uncollectible balance: requested by staff, approved by a Finance
    Supervisor who did not request it."""

    invoice = models.ForeignKey(
        "receivables.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="write_offs",
    )
    citation = models.ForeignKey(
        "receivables.Citation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="write_offs",
    )
    amount = MoneyField()
    reason = models.TextField()
    write_off_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    # prepared_by (who requested it), decided_by, decided_at: PreparedAndDecided.
    decision_note = models.TextField(blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=True, citation__isnull=False)
                | Q(invoice__isnull=False, citation__isnull=True),
                name="receivables_writeoff_one_document",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="receivables_writeoff_amount_positive"
            ),
            approver_not_preparer(),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(journal_entry__isnull=False),
                name="receivables_writeoff_approved_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"WO-{self.pk:06d}"


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    COLLECTING = "collecting", "Agency collecting"
    PAID = "paid", "Paid in full"
    RETURNED = "returned", "Returned uncollectible"
    RECALLED = "recalled", "Recalled by the City"


@track()
class CollectionReferral(models.Model):
    """An item sent to the collection agency, and what the agency reports back."""

    invoice = models.ForeignKey(
        "receivables.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    citation = models.ForeignKey(
        "receivables.Citation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    agency = models.CharField(max_length=100)
    referred_on = models.DateField()
    amount_referred = MoneyField()
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.REFERRED
    )
    amount_collected = MoneyField(default=Decimal("0.00"))
    agency_fees = MoneyField(default=Decimal("0.00"))
    status_date = models.DateField(null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=True, citation__isnull=False)
                | Q(invoice__isnull=False, citation__isnull=True),
                name="receivables_referral_one_document",
            ),
            # An item is with at most one agency at a time.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["referred", "collecting"]),
                name="receivables_referral_invoice_active",
            ),
            models.UniqueConstraint(
                fields=["citation"],
                condition=Q(status__in=["referred", "collecting"]),
                name="receivables_referral_citation_active",
            ),
        ]

    def __str__(self) -> str:
        return f"REF-{self.pk:06d}"


@track()
class DunningNotice(models.Model):
    """A past-due notice mailed to a customer: level 1 a reminder, 2 a second notice, 3
    a final notice before referral to collections."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notices")
    notice_date = models.DateField()
    level = models.PositiveSmallIntegerField()
    amount_past_due = MoneyField()
    # The items it named: [{"reference": "INV-000012", "due": "2026-09-30", "balance": "12.00"}]
    items = models.JSONField(default=list)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-notice_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "notice_date"], name="receivables_notice_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3), name="receivables_notice_level"
            ),
        ]

    def __str__(self) -> str:
        return f"Notice {self.level} to {self.customer.number} on {self.notice_date:%Y-%m-%d}"


# A referral the agency is still working.
ACTIVE_STATUSES = (ReferralStatus.REFERRED, ReferralStatus.COLLECTING)
