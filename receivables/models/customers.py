"""The customer master every module shares (utility accounts, invoices, citations and
receipts all belong to a customer), and the merge of a duplicate into its survivor."""

import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from millbrae_finance.audit_tracking import track


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
@track(exclude=["search_vector"])
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
    # The last day the flag holds (a returned check sets it some days ahead, a period kept
    # as data in cashiering's policy); none: until someone clears it. After it, checks
    # are taken again without anyone having to remember to clear the flag.
    no_checks_until = models.DateField("no checks through", null=True, blank=True)
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

    def refuses_checks(self, on_date: datetime.date | None = None) -> bool:
        """Whether the counter refuses this customer's checks on the day: flagged, and
        the flag's end date (if any) not yet past."""
        if not self.do_not_accept_checks:
            return False
        if self.no_checks_until is None:
            return True
        return self.no_checks_until >= (on_date or timezone.localdate())

    @property
    def number(self) -> str:
        return f"C{self.pk:06d}"


@track()
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


# Contact fields a survivor takes from the duplicate when its own are blank.
FILLED_ON_MERGE = ("care_of", "phone", "phone_alt", "email")
