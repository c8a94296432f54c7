"""Late penalties, escalations and interest as data, and the batches that charge them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField, RateField
from receivables.models.citations import CitationKind


class PenaltyAppliesTo(models.TextChoices):
    INVOICE = "invoice", "Miscellaneous invoices"
    CITATION = "citation", "Citations"


class PenaltyCalculation(models.TextChoices):
    FLAT = "flat", "Flat amount"
    PERCENT_OF_ORIGINAL = "pct_original", "Percentage of the original amount"
    PERCENT_OF_BALANCE = "pct_balance", "Percentage of the balance (interest)"


@track()
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


@track()
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
