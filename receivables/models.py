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
from millbrae_finance.roles import Role
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


class CitationKind(models.TextChoices):
    PARKING = "parking", "Parking"
    ADMINISTRATIVE = "administrative", "Administrative"


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
    # The citation kind this fee is the fine of (blank: not a violation code).
    violation_kind = models.CharField(
        "violation of", max_length=20, choices=CitationKind.choices, blank=True, default=""
    )
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


# ---------------------------------------------------------------- billing and citations
#
# The misc AR and fines AR subledgers are the rows of ArTransaction: every charge,
# penalty, payment, credit, reduction and write-off of an invoice or a citation, signed
# (positive raises what is owed). A document keeps its running balance beside it,
# changed in the same transaction as the row, so open-item screens and the penalty batch
# never sum history; "as of a date" questions (aging, reconciliation) sum the rows.


class ArSubledger(models.TextChoices):
    """The subledgers receivables keeps; the values match ledger.models.Subledger."""

    MISC_AR = "misc_ar", "Miscellaneous AR"
    FINES_AR = "fines_ar", "Fines AR"


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


@pghistory.track()
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


@pghistory.track()
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


@pghistory.track()
class CreditMemo(models.Model):
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
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_memos_prepared"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_memos_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
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
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("prepared_by")),
                name="receivables_creditmemo_approver_not_preparer",
            ),
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


class CitationStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    VOID = "void", "Void"  # entered in error, before anything was owed on it


class HearingStatus(models.TextChoices):
    NONE = "none", "None"
    REQUESTED = "requested", "Review requested"
    SCHEDULED = "scheduled", "Hearing scheduled"
    UPHELD = "upheld", "Upheld"
    REDUCED = "reduced", "Reduced"
    DISMISSED = "dismissed", "Dismissed"


# While a review or hearing is pending the citation does not escalate (due process: a
# respondent is not penalised for contesting).
HEARING_HOLDS = (HearingStatus.REQUESTED, HearingStatus.SCHEDULED)


# What a citation is, as people say it: the status the clerk recorded, and for one not
# dismissed or void, whether anything is still owed. Nothing owed is "Paid" unless an
# approved write-off took the balance ("Written off"): derived, never stored, so it
# cannot disagree with the balance.
CITATION_STATES = {
    "open": "Open",
    "paid": "Paid",
    "written_off": "Written off",
    CitationStatus.DISMISSED.value: CitationStatus.DISMISSED.label,
    CitationStatus.VOID.value: CitationStatus.VOID.label,
}
# The badge of each state in the app's status colours, as invoices show theirs: owed
# amber, paid green, closed grey.
CITATION_STATE_CSS = {
    "open": "status-submitted",
    "paid": "status-posted",
    "written_off": "status-closed",
    CitationStatus.DISMISSED.value: "status-closed",
    CitationStatus.VOID.value: "status-closed",
}


class CitationQuerySet(models.QuerySet):
    def open(self) -> "CitationQuerySet":
        """Citations with something still owed."""
        return self.filter(status=CitationStatus.OPEN, balance__gt=0)

    def with_state(self) -> "CitationQuerySet":
        """Each citation with `state`, a key of CITATION_STATES, computed in the query."""
        return self.annotate(
            state=models.Case(
                models.When(~Q(status=CitationStatus.OPEN), then=models.F("status")),
                models.When(balance__gt=0, then=models.Value("open")),
                models.When(_written_off(), then=models.Value("written_off")),
                default=models.Value("paid"),
                output_field=models.CharField(),
            )
        )

    def in_state(self, state: str) -> "CitationQuerySet":
        """Citations in one of CITATION_STATES (the list's status filter)."""
        settled = self.filter(status=CitationStatus.OPEN, balance=0)
        if state == "open":
            return self.open()
        if state == "paid":
            return settled.exclude(_written_off())
        if state == "written_off":
            return settled.filter(_written_off())
        return self.filter(status=state)


def _written_off() -> models.Exists:
    return models.Exists(
        WriteOff.objects.filter(citation=models.OuterRef("pk"), status=WriteOffStatus.APPROVED)
    )


@pghistory.track()
class Citation(models.Model):
    """A parking or administrative citation: the violation's amount comes from the fee
    schedule version in effect on the issue date; escalation rules add late penalties."""

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=CitationKind.choices)
    issue_date = models.DateField()
    violation = models.ForeignKey(Fee, on_delete=models.PROTECT, related_name="citations")
    # A parking citation names a plate (the registered owner is found later, if ever); an
    # administrative citation names a respondent, usually a customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="citations"
    )
    respondent_name = models.CharField(max_length=200, blank=True)
    plate = models.CharField(max_length=10, blank=True)
    plate_state = models.CharField(max_length=2, blank=True, default="CA")
    location = models.CharField(max_length=200, blank=True)
    officer = models.CharField("officer / badge", max_length=60, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=CitationStatus.choices, default=CitationStatus.OPEN
    )
    hearing_status = models.CharField(
        max_length=10, choices=HearingStatus.choices, default=HearingStatus.NONE
    )
    hearing_date = models.DateField(null=True, blank=True)
    fine_amount = MoneyField()
    balance = MoneyField(default=Decimal("0.00"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="citations_entered"
    )
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["plate"], name="receivables_citation_plate"),
            models.Index(fields=["customer"], name="receivables_citation_customer"),
            models.Index(
                fields=["issue_date"],
                condition=Q(status="open", balance__gt=0),
                name="receivables_citation_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="receivables_citation_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(fine_amount__gt=0), name="receivables_citation_fine_positive"
            ),
            models.CheckConstraint(
                condition=~Q(plate="") | ~Q(respondent_name="") | Q(customer__isnull=False),
                name="receivables_citation_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Citation {self.number}"

    @property
    def on_hold(self) -> bool:
        return self.hearing_status in HEARING_HOLDS

    @property
    def state_label(self) -> str:
        """ "Open", "Paid", "Written off", "Dismissed" or "Void"; needs with_state()."""
        return CITATION_STATES[self.state]

    @property
    def state_css(self) -> str:
        return CITATION_STATE_CSS[self.state]


class PenaltyAppliesTo(models.TextChoices):
    INVOICE = "invoice", "Miscellaneous invoices"
    CITATION = "citation", "Citations"


class PenaltyCalculation(models.TextChoices):
    FLAT = "flat", "Flat amount"
    PERCENT_OF_ORIGINAL = "pct_original", "Percentage of the original amount"
    PERCENT_OF_BALANCE = "pct_balance", "Percentage of the balance (interest)"


@pghistory.track()
class PenaltyRule(models.Model):
    """A late penalty, escalation or interest charge, as data: charged by the penalty
    batch to each open item `days_after` days past its basis date (the due date of an
    invoice, the issue date of a citation), once, or again every `repeat_every_days`
    (monthly interest) up to `max_occurrences` times."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    applies_to = models.CharField(max_length=10, choices=PenaltyAppliesTo.choices)
    # For citations: only this kind ("" for every kind).
    citation_kind = models.CharField(
        max_length=20, choices=CitationKind.choices, blank=True, default=""
    )
    days_after = models.PositiveSmallIntegerField()
    calculation = models.CharField(max_length=15, choices=PenaltyCalculation.choices)
    amount = MoneyField(null=True, blank=True)
    rate = RateField(null=True, blank=True)  # percent: 1.5 means 1.5%
    repeat_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    max_occurrences = models.PositiveSmallIntegerField(null=True, blank=True)
    revenue_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["applies_to", "days_after", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(calculation="flat") & Q(amount__gt=0, rate__isnull=True))
                | (~Q(calculation="flat") & Q(rate__gt=0, rate__lte=100, amount__isnull=True)),
                name="receivables_penaltyrule_terms",
            ),
            models.CheckConstraint(
                condition=Q(repeat_every_days__isnull=True) | Q(repeat_every_days__gte=1),
                name="receivables_penaltyrule_repeat_positive",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="receivables_penaltyrule_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@pghistory.track()
class PenaltyBatch(models.Model):
    """One run of the penalty batch for a date: what it charged, posted as one entry."""

    batch_date = models.DateField()
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    items_charged = models.PositiveIntegerField(default=0)
    total = MoneyField(default=Decimal("0.00"))
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-batch_date", "-id"]

    def __str__(self) -> str:
        return f"Penalty batch {self.batch_date:%Y-%m-%d}"


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved and posted"
    REJECTED = "rejected", "Rejected"


@pghistory.track()
class WriteOff(models.Model):
    """Writing off an uncollectible balance: requested by staff, approved by a Finance
    Supervisor who did not request it."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="write_offs"
    )
    citation = models.ForeignKey(
        Citation, on_delete=models.PROTECT, null=True, blank=True, related_name="write_offs"
    )
    amount = MoneyField()
    reason = models.TextField()
    write_off_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="write_offs_requested"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="write_offs_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
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
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="receivables_writeoff_approver_not_requester",
            ),
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


@pghistory.track()
class CollectionReferral(models.Model):
    """An item sent to the collection agency, and what the agency reports back."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    citation = models.ForeignKey(
        Citation, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
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


@pghistory.track()
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


class ArKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    PENALTY = "penalty", "Penalty"
    PAYMENT = "payment", "Payment"
    CREDIT = "credit", "Credit memo"
    REDUCTION = "reduction", "Reduction"
    DISMISSAL = "dismissal", "Dismissal"
    WRITE_OFF = "write_off", "Write-off"


@pghistory.track()
class ArTransaction(models.Model):
    """One movement in the misc AR or fines AR subledger. Signed: a charge or penalty is
    positive, a payment, credit, reduction, dismissal or write-off negative. The rows of a
    subledger add up to its control accounts in the general ledger."""

    subledger = models.CharField(max_length=10, choices=ArSubledger.choices)
    kind = models.CharField(max_length=10, choices=ArKind.choices)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    citation = models.ForeignKey(
        Citation, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transaction_date = models.DateField()
    amount = MoneyField()
    memo = models.CharField(max_length=250, blank=True)
    # The receipt, credit memo, write-off or batch this came from (what a clerk quotes).
    reference = models.CharField(max_length=40, blank=True)
    # What caused it, unique, so nothing moves the subledger twice: the idempotency key
    # of the movement's posting ("receivables-invoice-12"), a payment's key and the
    # document it paid ("<key>:invoice-12"), or a penalty batch's charge
    # ("PB-000007:rule-3:invoice-12:1").
    cause = models.CharField(max_length=200)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A penalty names its rule and which occurrence it is, so no batch charges it twice.
    rule = models.ForeignKey(
        PenaltyRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurrence = models.PositiveSmallIntegerField(null=True, blank=True)
    penalty_batch = models.ForeignKey(
        PenaltyBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction_date", "id"]
        indexes = [
            models.Index(fields=["invoice", "transaction_date"], name="receivables_artx_invoice"),
            models.Index(fields=["citation", "transaction_date"], name="receivables_artx_citation"),
            models.Index(fields=["customer", "transaction_date"], name="receivables_artx_customer"),
            models.Index(fields=["subledger", "transaction_date"], name="receivables_artx_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=True, citation__isnull=False)
                | Q(invoice__isnull=False, citation__isnull=True),
                name="receivables_artx_one_document",
            ),
            models.CheckConstraint(
                condition=(Q(subledger="misc_ar") & Q(invoice__isnull=False))
                | (Q(subledger="fines_ar") & Q(citation__isnull=False)),
                name="receivables_artx_subledger_matches",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="receivables_artx_not_zero"),
            # Every movement but a payment posts its own entry; a payment's entry is the
            # cashier's, with the cash, and the movement names its receipt.
            models.CheckConstraint(
                condition=Q(kind="payment", reference__gt="") | Q(journal_entry__isnull=False),
                name="receivables_artx_posted",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=["charge", "penalty"]) & Q(amount__gt=0))
                | (~Q(kind__in=["charge", "penalty"]) & Q(amount__lt=0)),
                name="receivables_artx_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(rule__isnull=True, occurrence__isnull=True)
                | Q(rule__isnull=False, occurrence__isnull=False),
                name="receivables_artx_rule_occurrence",
            ),
            # A repeated cause (a retried payment, a batch run again) is refused by the
            # database, whatever the code that wrote it. varchar_pattern_ops: the same
            # index finds a payment's movements by their prefix, "<key>:".
            models.UniqueConstraint(
                fields=["cause"],
                opclasses=["varchar_pattern_ops"],
                name="receivables_artx_cause_unique",
            ),
            models.CheckConstraint(condition=Q(cause__gt=""), name="receivables_artx_cause_given"),
            models.UniqueConstraint(
                fields=["rule", "invoice", "occurrence"],
                condition=Q(rule__isnull=False, invoice__isnull=False),
                name="receivables_artx_invoice_penalty_once",
            ),
            models.UniqueConstraint(
                fields=["rule", "citation", "occurrence"],
                condition=Q(rule__isnull=False, citation__isnull=False),
                name="receivables_artx_citation_penalty_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.transaction_date:%Y-%m-%d}"

    @property
    def document_number(self) -> str:
        return self.invoice.number if self.invoice_id else self.citation.number


def wrong_kind(fee: Fee, kind: str) -> str:
    """Why a violation code does not go on a citation of this kind."""

    def a(label: str) -> str:
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"

    theirs = CitationKind(fee.violation_kind).label.lower()
    ours = CitationKind(kind).label.lower()
    return f"{fee.code} is {a(theirs)} violation, not {a(ours)} one."


# The hearing statuses that may follow each; a decision that reduces or dismisses goes
# through the supervisor's reduce_citation / dismiss_citation.
HEARING_TRANSITIONS: dict[str, tuple[str, ...]] = {
    HearingStatus.NONE: (HearingStatus.REQUESTED, HearingStatus.SCHEDULED),
    HearingStatus.REQUESTED: (HearingStatus.SCHEDULED, HearingStatus.UPHELD),
    # Scheduled again: the hearing moved to another date.
    HearingStatus.SCHEDULED: (HearingStatus.SCHEDULED, HearingStatus.UPHELD),
    # An initial review upheld: the respondent may still ask for an administrative hearing.
    HearingStatus.UPHELD: (HearingStatus.SCHEDULED,),
    HearingStatus.REDUCED: (),
    HearingStatus.DISMISSED: (),
}
CITATION_DECIDERS = frozenset({Role.FINANCE_SUPERVISOR})

# A referral the agency is still working.
ACTIVE_STATUSES = (ReferralStatus.REFERRED, ReferralStatus.COLLECTING)

# Contact fields a survivor takes from the duplicate when its own are blank.
FILLED_ON_MERGE = ("care_of", "phone", "phone_alt", "email")
