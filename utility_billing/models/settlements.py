"""Money at move-out and a tenant's delinquency: deposits held, collection referrals of
what a final bill leaves owed, and notices to an owner of a tenant's past-due bill.

A deposit is taken at the counter (payment target "utility-deposit"): the cash is
credited to the customer-deposits liability (the deposits control account). When the
account's final bill posts, the deposit is applied to the balance; a credit left is
refunded (to refunds payable) and a balance left is referred to collection."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


class DepositStatus(models.TextChoices):
    HELD = "held", "Held"
    APPLIED = "applied", "Applied to the final bill"
    REFUNDED = "refunded", "Refunded"


@track()
class UtilityDeposit(models.Model):
    """A deposit received for an account, held in the deposits liability until the
    account's final bill applies it."""

    account = models.ForeignKey(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="deposits"
    )
    amount = MoneyField()
    received_date = models.DateField()
    receipt = models.CharField(max_length=40)
    # The payment's key: a deposit is taken once per key.
    payment_key = models.CharField(max_length=100, unique=True)
    liability_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=DepositStatus.choices, default=DepositStatus.HELD
    )
    settled_on = models.DateField(null=True, blank=True)
    settlement_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["account", "received_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="utility_billing_deposit_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="held", settled_on__isnull=True)
                | (~Q(status="held") & Q(settled_on__isnull=False)),
                name="utility_billing_deposit_settled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.amount} on {self.account_id} ({self.status})"


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", "Referred to collection"
    PARTLY_RECOVERED = "partly", "Partly recovered"
    PAID = "paid", "Paid in full"
    CLOSED = "closed", "Closed"


@track()
class UtilityCollectionReferral(models.Model):
    """What an account's final bill left owed after its deposit, referred to collection
    once (one per account), and what payments on the account have recovered of it since
    (services/referrals.py keeps it: a payment raises it, a voided payment lowers it)."""

    account = models.OneToOneField(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="referral"
    )
    amount = MoneyField()
    referred_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.REFERRED
    )
    recovered_amount = MoneyField(default=Decimal("0.00"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="utility_billing_referral_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(recovered_amount__gte=0, recovered_amount__lte=F("amount")),
                name="utility_billing_referral_recovered_within",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral of {self.account_id}: {self.amount}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.recovered_amount


class OwnerNoticeStatus(models.TextChoices):
    TO_SEND = "to_send", "To send"
    SENT = "sent", "Sent"


@track()
class OwnerNotice(models.Model):
    """A notice to a location's owner that the tenant's bill is past due: data to send
    (a letter), listed on the owner's account; once per tenant bill."""

    owner_account = models.ForeignKey(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="owner_notices"
    )
    tenant_account = models.ForeignKey(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="+"
    )
    bill = models.ForeignKey("utility_billing.Bill", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    amount_past_due = MoneyField()
    days_past_due = models.PositiveIntegerField()
    as_of = models.DateField()
    status = models.CharField(
        max_length=10, choices=OwnerNoticeStatus.choices, default=OwnerNoticeStatus.TO_SEND
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "-as_of", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_account", "bill"], name="utility_billing_owner_notice_once"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False, sent_by__isnull=False),
                name="utility_billing_owner_notice_sent_has_who",
            ),
        ]

    def __str__(self) -> str:
        return f"Owner notice {self.pk}"
