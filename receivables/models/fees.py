"""The master fee schedule: versions of a fee by date, and the bands of a tiered fee."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.approvals import approver_not_preparer
from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField, QuantityField, RateField
from receivables.models.citations import CitationKind


class FeeRule(models.TextChoices):
    """How a fee's amount is calculated (the calculation is receivables.queries.fees)."""

    FLAT = "flat", "Flat amount"
    PER_UNIT = "per_unit", "Per unit"
    PERCENT = "percent", "Percentage of a base amount"
    TIERED = "tiered", "Tiered by units"


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


@track()
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
            # A fee version is approved, never rejected: its decider is its approver.
            approver_not_preparer(decider="approved_by"),
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


@track()
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


def wrong_kind(fee: Fee, kind: str) -> str:
    """Why a violation code does not go on a citation of this kind."""

    def a(label: str) -> str:
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"

    theirs = CitationKind(fee.violation_kind).label.lower()
    ours = CitationKind(kind).label.lower()
    return f"{fee.code} is {a(theirs)} violation, not {a(ours)} one."
