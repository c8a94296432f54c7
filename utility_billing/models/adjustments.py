"""Adjustments to a utility account, and the leak adjustment policy they follow.

An adjustment is prepared by one person and approved by another (PreparedAndDecided:
the database refuses a preparer deciding their own). Approving posts it: one journal
entry through the ledger's posting service and one subledger movement per account and
fund, in the same transaction. Four kinds:

- leak: a credit by the policy in force (LeakAdjustmentPolicy), a share of the water used
  over the account's average on one bill, priced at the bill's own use rates;
- fixed: an amount to charge or to credit, with the reason and the revenue account;
- reversal: of a charge on a posted bill (one bill line), or of an approved adjustment;
- transfer: an account's whole balance, fund by fund, to another utility account.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from millbrae_finance.approvals import PreparedAndDecided, approver_not_preparer
from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField, QuantityField, RateField


@track()
class LeakAdjustmentPolicy(models.Model):
    """The city's leak adjustment rule, as data with effective dates: the share of the
    water used over the account's average that is credited, how often an account may have
    one, how many months of bills the average is taken over, and whether proof of the
    repair is asked. Kept by the administrator, like rates."""

    name = models.CharField(max_length=100)
    effective_from = models.DateField(unique=True)
    effective_to = models.DateField(null=True, blank=True)
    # 0.500000: half the excess is credited.
    credit_share = RateField()
    # At most one leak adjustment per account in this many months.
    once_in_months = models.PositiveSmallIntegerField(default=12)
    # The average is of the account's bills in this many months before the leak bill.
    average_months = models.PositiveSmallIntegerField(default=12)
    repair_proof_required = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = "leak adjustment policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_share__gt=0) & Q(credit_share__lte=1),
                name="utility_billing_leakpolicy_share_in_range",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="utility_billing_leakpolicy_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(once_in_months__gt=0) & Q(average_months__gt=0),
                name="utility_billing_leakpolicy_months_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (from {self.effective_from:%m/%d/%Y})"

    @property
    def share_percent(self) -> str:
        """ "50%": the credit share as people say it."""
        return f"{(self.credit_share * 100).normalize():f}%"


class AdjustmentKind(models.TextChoices):
    LEAK = "leak", "Leak adjustment"
    FIXED = "fixed", "Fixed amount"
    REVERSAL = "reversal", "Reversal"
    TRANSFER = "transfer", "Balance transfer"


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved and posted"
    REJECTED = "rejected", "Rejected"


class UtilityAdjustmentQuerySet(models.QuerySet):
    def pending(self) -> "UtilityAdjustmentQuerySet":
        return self.filter(status=AdjustmentStatus.PENDING)

    def standing(self) -> "UtilityAdjustmentQuerySet":
        """Pending or approved: what counts against the once-a-year leak rule, and what
        a bill line or an adjustment may be reversed by only once."""
        return self.exclude(status=AdjustmentStatus.REJECTED)


@track()
class UtilityAdjustment(PreparedAndDecided):
    """A change to what an account owes, prepared by one person and approved (posted) or
    rejected by another. `amount` is signed as the subledger is: positive raises what the
    account owes, negative lowers it; a transfer's is what leaves this account (its
    balance) and arrives at `to_account`."""

    account = models.ForeignKey(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="adjustments"
    )
    kind = models.CharField(max_length=10, choices=AdjustmentKind.choices)
    status = models.CharField(
        max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PENDING
    )
    amount = MoneyField()
    adjustment_date = models.DateField()
    reason = models.TextField()
    # The one-time key of the form that prepared it: a double-clicked Prepare makes one.
    idempotency_key = models.CharField(max_length=100, unique=True)
    # leak: the bill with the leak; reversal: the charge (bill line) reversed, or the
    # adjustment reversed; fixed: the revenue account charged or credited back.
    bill = models.ForeignKey(
        "utility_billing.Bill", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bill_line = models.ForeignKey(
        "utility_billing.BillLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )
    revenue_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_account = models.ForeignKey(
        "utility_billing.UtilityAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
    )
    # A leak adjustment's working, kept as computed when it was prepared.
    policy = models.ForeignKey(
        LeakAdjustmentPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consumption = QuantityField(null=True, blank=True)
    average_consumption = QuantityField(null=True, blank=True)
    excess = QuantityField(null=True, blank=True)
    repair_date = models.DateField(null=True, blank=True)
    repair_proof = models.CharField(max_length=250, blank=True)
    arithmetic = models.TextField(blank=True)
    # prepared_by, decided_by, decided_at: PreparedAndDecided.
    prepared_at = models.DateTimeField(default=timezone.now)
    decision_note = models.TextField(blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = UtilityAdjustmentQuerySet.as_manager()

    class Meta:
        ordering = ["-prepared_at", "-id"]
        indexes = [
            models.Index(fields=["account", "adjustment_date"], name="utility_adjustment_account"),
            models.Index(
                fields=["status", "prepared_at"],
                condition=Q(status="pending"),
                name="utility_adjustment_pending",
            ),
        ]
        constraints = [
            approver_not_preparer(),
            models.CheckConstraint(
                condition=~Q(amount=0), name="utility_billing_adjustment_not_zero"
            ),
            models.CheckConstraint(
                condition=Q(reason__gt=""), name="utility_billing_adjustment_reason_given"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(journal_entry__isnull=False, decided_by__isnull=False),
                name="utility_billing_adjustment_approved_posted",
            ),
            models.CheckConstraint(
                condition=~Q(kind="leak")
                | Q(amount__lt=0, bill__isnull=False, policy__isnull=False),
                name="utility_billing_adjustment_leak_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind="fixed") | Q(revenue_account__isnull=False),
                name="utility_billing_adjustment_fixed_shape",
            ),
            # A reversal names exactly one thing it reverses.
            models.CheckConstraint(
                condition=~Q(kind="reversal")
                | Q(bill_line__isnull=False, reverses__isnull=True)
                | Q(bill_line__isnull=True, reverses__isnull=False),
                name="utility_billing_adjustment_reversal_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind="transfer")
                | (Q(to_account__isnull=False) & ~Q(to_account=models.F("account"))),
                name="utility_billing_adjustment_transfer_shape",
            ),
            # A bill's charge, or an adjustment, is reversed once.
            models.UniqueConstraint(
                fields=["bill_line"],
                condition=Q(kind="reversal") & ~Q(status="rejected"),
                name="utility_billing_adjustment_line_reversed_once",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=~Q(status="rejected"),
                name="utility_billing_adjustment_reversed_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} on {self.account}"

    @property
    def number(self) -> str:
        """What people quote, the source document of its entry and its movements."""
        return f"ADJ-{self.pk:06d}" if self.pk else "ADJ-(new)"

    @property
    def is_credit(self) -> bool:
        return self.amount < Decimal("0")
