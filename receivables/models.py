"""Receivables: the customer master every module shares (utility accounts, invoices,
citations and receipts all belong to a customer)."""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from millbrae_finance.money import MoneyField, QuantityField, RateField
from receivables.fee_rules import FeeRule


class CustomerKind(models.TextChoices):
    PERSON = "person", "Person"
    BUSINESS = "business", "Business"


class ContactMethod(models.TextChoices):
    MAIL = "mail", "Mail"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"


class CustomerQuerySet(models.QuerySet):
    def active(self) -> "CustomerQuerySet":
        """Customers that can be billed: not closed and not merged into another."""
        return self.filter(is_active=True, merged_into__isnull=True)


# The search vector is derived from the tracked fields: no need to copy it.
@pghistory.track(exclude=["search_vector"])
class Customer(models.Model):
    """One payer: a person or a business, with where and how to reach them."""

    kind = models.CharField(max_length=10, choices=CustomerKind.choices)
    # For a person "Last, First" sorts and prints on statements; a business by its name.
    name = models.CharField(max_length=200)
    care_of = models.CharField("in care of", max_length=200, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, default="CA")
    postal_code = models.CharField("ZIP code", max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    phone_alt = models.CharField("other phone", max_length=30, blank=True)
    # The phones' digits only, so "(650) 259-2334" is found by "6502592334" or "2592334".
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)
    email = models.EmailField(blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.MAIL
    )
    notes = models.TextField(blank=True)
    do_not_accept_checks = models.BooleanField(
        default=False, help_text="Returned checks: take cash, card or money order only."
    )
    is_active = models.BooleanField(default=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Full-text search over the words people search by; 'simple' keeps names unstemmed.
    search_vector = models.GeneratedField(
        expression=SearchVector(
            "name",
            "care_of",
            "address_line1",
            "city",
            "email",
            "phone_digits",
            config="simple",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="receivables_customer_search"),
            models.Index(fields=["name"], name="receivables_customer_name"),
            models.Index(fields=["phone_digits"], name="receivables_customer_phone"),
            models.Index(fields=["email"], name="receivables_customer_email"),
            # An email prefix ("jdoe@", any case) is found by LIKE on the lowered address.
            models.Index(
                OpClass(Lower("email"), name="text_pattern_ops"),
                name="receivables_customer_email_lk",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")),
                name="receivables_customer_not_self_merged",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(is_active=False),
                name="receivables_customer_merged_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"C{self.pk:06d}"


@pghistory.track()
class CustomerMerge(models.Model):
    """One merge of a duplicate customer into the one that survives. Its one-time key,
    made when the confirmation was shown, makes a double-clicked Merge happen once."""

    duplicate = models.OneToOneField(
        Customer, on_delete=models.PROTECT, related_name="merged_as_duplicate"
    )
    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_in")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    merged_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    # What each registered module moved: {"utility accounts": 2, ...}.
    moved = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(duplicate=models.F("survivor")),
                name="receivables_customermerge_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.duplicate.number} into {self.survivor.number}"


class FeeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


class FeeQuerySet(models.QuerySet):
    def approved(self) -> "FeeQuerySet":
        return self.filter(status=FeeStatus.APPROVED)

    def in_effect_on(self, on_date) -> "FeeQuerySet":
        """Approved versions whose dates cover the day (an open end runs on forever)."""
        return self.approved().filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on_date),
            effective_from__lte=on_date,
        )


@pghistory.track()
class Fee(models.Model):
    """One version of a fee in the master fee schedule: a new rate from July 1 is a new
    row with the same code. The approved versions of a code never overlap in dates (the
    approval service checks under a lock; a constraint trigger makes sure)."""

    code = models.CharField(max_length=30)
    description = models.CharField(max_length=200)
    revenue_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="fees"
    )
    rule = models.CharField(max_length=10, choices=FeeRule.choices)
    amount = MoneyField(null=True, blank=True)
    rate = RateField(null=True, blank=True)
    minimum = MoneyField(null=True, blank=True)
    maximum = MoneyField(null=True, blank=True)
    unit_name = models.CharField(max_length=40, blank=True, default="unit")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=FeeStatus.choices, default=FeeStatus.DRAFT)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fees_prepared"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fees_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeeQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-effective_from", "id"]
        indexes = [models.Index(fields=["code", "effective_from"], name="receivables_fee_code")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="receivables_fee_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="receivables_fee_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True) | Q(rate__gt=0),
                name="receivables_fee_rate_positive",
            ),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True) | Q(minimum__gte=0),
                name="receivables_fee_minimum_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status=FeeStatus.APPROVED)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="receivables_fee_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("prepared_by")),
                name="receivables_fee_approver_not_preparer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} from {self.effective_from:%Y-%m-%d}"

    @property
    def dates(self) -> str:
        end = f"{self.effective_to:%Y-%m-%d}" if self.effective_to else "open-ended"
        return f"{self.effective_from:%Y-%m-%d} to {end}"

    @property
    def summary(self) -> str:
        """The terms in a line, e.g. "$45.00 flat" or "10% of the base, at least $5.00"."""
        unit = self.unit_name or "unit"
        if self.rule == FeeRule.FLAT:
            text = f"${self.amount:,.2f} flat"
        elif self.rule == FeeRule.PER_UNIT:
            text = f"${self.rate.normalize():,f} per {unit}"
        elif self.rule == FeeRule.PERCENT:
            text = f"{self.rate.normalize():f}% of the base"
        else:
            bands = []
            start = Decimal(0)
            for tier in self.tiers.all():
                if tier.up_to is None:
                    bands.append(f"above {start.normalize():,f}: ${tier.rate:,.2f}")
                else:
                    bands.append(f"up to {tier.up_to.normalize():,f}: ${tier.rate:,.2f}")
                    start = tier.up_to
            text = f"per {unit}, tiered ({'; '.join(bands)})"
        if self.minimum is not None:
            text += f", at least ${self.minimum:,.2f}"
        if self.maximum is not None:
            text += f", at most ${self.maximum:,.2f}"
        return text


@pghistory.track()
class FeeTier(models.Model):
    """A band of a tiered fee: units up to and including `up_to` (none: no limit)."""

    fee = models.ForeignKey(Fee, on_delete=models.CASCADE, related_name="tiers")
    position = models.PositiveSmallIntegerField()
    up_to = QuantityField(null=True, blank=True)
    rate = RateField()

    class Meta:
        ordering = ["fee", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["fee", "position"], name="receivables_feetier_unique_position"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="receivables_feetier_rate"),
        ]

    def __str__(self) -> str:
        end = f"up to {self.up_to}" if self.up_to is not None else "and above"
        return f"Tier {self.position} ({end}) at {self.rate}"
