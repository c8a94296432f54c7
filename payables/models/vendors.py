"""Vendors: who the city pays, where, and how; their bank details and tax IDs sealed.

A bank account number or a tax ID is never a column of the vendor: it is a sealed value
(`SealedValue`), a row the app's database role may insert but not read (only its id),
so no list, export or `SELECT *` shows it in clear (millbrae_finance/db_roles.py). The
vendor keeps the last four digits for display; `payables_unseal()` (a function owned by
the owner, payables/migrations/sql/) reads one value for a role that may see it whole.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.approvals import PreparedAndDecided, approver_not_preparer
from millbrae_finance.audit_tracking import track


class SealedValue(models.Model):
    """A confidential value (bank account number, tax ID): insert-only for the app's role,
    which may read its id and nothing else. Not on the audit trail (that would copy it)."""

    value = models.TextField()

    def __str__(self) -> str:
        return f"sealed #{self.pk}"


class VendorStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    INACTIVE = "inactive", "Inactive"


class PaymentMethod(models.TextChoices):
    CHECK = "check", "Check"
    ACH = "ach", "ACH"


class TaxIdKind(models.TextChoices):
    EIN = "ein", "EIN"
    SSN = "ssn", "SSN"


class Form1099Type(models.TextChoices):
    NONE = "", "Not reportable"
    NEC = "nec", "1099-NEC"
    MISC = "misc", "1099-MISC"


# The boxes a city reports in: NEC box 1 (nonemployee compensation); MISC box 1 (rents),
# 2 (royalties), 3 (other income), 6 (medical and health care payments), 10 (gross
# proceeds paid to an attorney).
BOXES_1099 = {
    Form1099Type.NEC: ("1",),
    Form1099Type.MISC: ("1", "2", "3", "6", "10"),
}


class VendorQuerySet(models.QuerySet):
    def active(self) -> "VendorQuerySet":
        return self.filter(status=VendorStatus.ACTIVE)


@track()
class Vendor(models.Model):
    name = models.CharField(max_length=120)
    contact_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=10, choices=VendorStatus.choices, default=VendorStatus.ACTIVE
    )
    payment_method = models.CharField(
        max_length=5, choices=PaymentMethod.choices, default=PaymentMethod.CHECK
    )
    # Net days as data: a new invoice's terms start from the vendor's.
    terms_days = models.PositiveSmallIntegerField(default=30)
    # The approved bank details (set only by an approved VendorBankChange).
    bank_routing = models.CharField(max_length=9, blank=True)
    bank_account_last4 = models.CharField(max_length=4, blank=True)
    bank_account = models.ForeignKey(
        SealedValue, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # NACHA: a new or changed account gets a zero-dollar prenote before its first payment.
    prenote_required = models.BooleanField(default=False)
    prenote_sent_on = models.DateField(null=True, blank=True)
    tax_id_kind = models.CharField(max_length=3, choices=TaxIdKind.choices, blank=True)
    tax_id_last4 = models.CharField(max_length=4, blank=True)
    tax_id = models.ForeignKey(
        SealedValue, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    form_1099_type = models.CharField(
        "1099 type", max_length=4, choices=Form1099Type.choices, blank=True
    )
    form_1099_box = models.CharField("1099 box", max_length=2, blank=True)
    w9_received_on = models.DateField("W-9 received", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VendorQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"], name="payables_vendor_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(bank_routing="") | Q(bank_routing__regex=r"^[0-9]{9}$"),
                name="payables_vendor_routing_9_digits",
            ),
            models.CheckConstraint(
                condition=Q(form_1099_type="", form_1099_box="")
                | (~Q(form_1099_type="") & ~Q(form_1099_box="")),
                name="payables_vendor_1099_box_with_type",
            ),
            models.CheckConstraint(
                condition=Q(tax_id__isnull=True, tax_id_kind="")
                | Q(tax_id__isnull=False) & ~Q(tax_id_kind=""),
                name="payables_vendor_tax_id_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"V-{self.pk:05d}"


@track()
class VendorAddress(models.Model):
    """A remit-to address; one per vendor is the default a check is mailed to."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=60, blank=True)
    line1 = models.CharField(max_length=120)
    line2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=60)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"],
                condition=Q(is_default=True),
                name="payables_vendoraddress_one_default",
            )
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.line1, self.line2, self.city) if part)


class BankChangeStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


@track()
class VendorBankChange(PreparedAndDecided):
    """New bank details for a vendor, waiting for a second person. Changed bank details
    are the fraud that hits cities most (a forged "we changed banks" letter): nothing is
    paid to them until someone who did not enter them approves, and a prenote has gone."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="bank_changes")
    status = models.CharField(
        max_length=10, choices=BankChangeStatus.choices, default=BankChangeStatus.PENDING
    )
    bank_routing = models.CharField(max_length=9)
    bank_account_last4 = models.CharField(max_length=4)
    bank_account = models.ForeignKey(SealedValue, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=250)
    decision_note = models.CharField(max_length=250, blank=True)
    prepared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            approver_not_preparer(),
            models.UniqueConstraint(
                fields=["vendor"],
                condition=Q(status="pending"),
                name="payables_vendorbankchange_one_pending",
            ),
        ]

    @property
    def number(self) -> str:
        return f"BC-{self.pk:05d}"
