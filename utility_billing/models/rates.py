"""Rates as data: a rate schedule (water for single-family homes, sewer for commercial,
storm drain...) has versions with effective dates, each prepared by one person and
approved by another; a version's charge lines are what the rate engine
(utility_billing/rating.py) bills. An approved version never changes: a new rate is a
new version. Approved versions of one schedule never overlap in dates, and an approved
version's tiers run from zero without a gap or an overlap: triggers in
migrations/sql/ make sure, whatever wrote the rows."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import QuantityField, RateField
from utility_billing.models.choices import MeterSize, ServiceClass, ServiceKind


class RateScheduleQuerySet(models.QuerySet):
    def active(self) -> "RateScheduleQuerySet":
        return self.filter(is_active=True)


@track()
class RateSchedule(models.Model):
    """What one service costs one class of customer. A blank class: every class (a
    per-parcel storm drain charge). At most one active schedule per service and class,
    so the bill calculator knows which to use."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    service_kind = models.CharField("service", max_length=15, choices=ServiceKind.choices)
    service_class = models.CharField(
        "class", max_length=20, choices=ServiceClass.choices, blank=True, default=""
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = RateScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["service_kind", "service_class", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__gt=""), name="utility_billing_schedule_code"),
            models.UniqueConstraint(
                fields=["service_kind", "service_class"],
                condition=Q(is_active=True),
                name="utility_billing_schedule_one_per_class",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RateVersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


class RateVersionQuerySet(models.QuerySet):
    def approved(self) -> "RateVersionQuerySet":
        return self.filter(status=RateVersionStatus.APPROVED)

    def overlapping(self, start, end) -> "RateVersionQuerySet":
        """Approved versions in force on any day from `start` to `end` (inclusive)."""
        return self.approved().filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=start), effective_from__lte=end
        )


@track()
class RateVersion(models.Model):
    """The rates of a schedule from `effective_from` to `effective_to` (inclusive; none:
    until a later version). A draft until someone other than its preparer approves it;
    retired when withdrawn before it was ever billed, or superseded."""

    schedule = models.ForeignKey(RateSchedule, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=RateVersionStatus.choices, default=RateVersionStatus.DRAFT
    )
    # The resolution or ordinance that adopted the rates.
    authority = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rate_versions_prepared"
    )
    prepared_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rate_versions_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = RateVersionQuerySet.as_manager()

    class Meta:
        ordering = ["schedule", "-effective_from", "id"]
        indexes = [
            models.Index(
                fields=["schedule", "effective_from"],
                condition=Q(status="approved"),
                name="utility_rateversion_approved",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="utility_billing_rateversion_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="utility_billing_rateversion_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("prepared_by")),
                name="utility_billing_rateversion_approver_not_preparer",
            ),
            models.CheckConstraint(
                condition=~Q(status="retired")
                | Q(retired_by__isnull=False, retired_at__isnull=False),
                name="utility_billing_rateversion_retired_has_who",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.code} from {self.effective_from:%Y-%m-%d}"

    @property
    def dates(self) -> str:
        end = f"{self.effective_to:%Y-%m-%d}" if self.effective_to else "open-ended"
        return f"{self.effective_from:%Y-%m-%d} to {end}"


class ChargeKind(models.TextChoices):
    """How a charge line bills. Monthly amounts (fixed, per parcel, minimum, tier widths)
    are per month and prorated by the rate engine for a period that is not one."""

    FIXED_BY_METER_SIZE = "fixed_by_meter_size", "Fixed monthly charge by meter size"
    VOLUMETRIC_UNIFORM = "volumetric_uniform", "Use, uniform rate per HCF"
    VOLUMETRIC_TIER = "volumetric_tier", "Use, tier of HCF per month"
    PER_PARCEL = "per_parcel", "Monthly charge per parcel"
    MINIMUM = "minimum", "Minimum monthly charge"


VOLUMETRIC_KINDS = (ChargeKind.VOLUMETRIC_UNIFORM, ChargeKind.VOLUMETRIC_TIER)


@track()
class RateCharge(models.Model):
    """A charge line of a rate version. A fixed charge names a meter size (blank: every
    size the version does not name); a tier covers the HCF above `tier_from` up to and
    including `tier_to` a month (none: no upper limit). Changed only while the version is
    a draft (a trigger refuses otherwise)."""

    version = models.ForeignKey(RateVersion, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=25, choices=ChargeKind.choices)
    description = models.CharField(max_length=100, blank=True)
    meter_size = models.CharField(max_length=5, choices=MeterSize.choices, blank=True, default="")
    tier_from = QuantityField(verbose_name="tier from (HCF)", null=True, blank=True)
    tier_to = QuantityField(verbose_name="tier to (HCF)", null=True, blank=True)
    # Dollars per month (fixed, per parcel, minimum) or per HCF (use).
    rate = RateField()
    revenue_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    # Sewer use of a residence: bill no more HCF than the account's winter average.
    capped_by_winter_average = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "kind", "meter_size", "tier_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0), name="utility_billing_charge_rate"),
            # Only a fixed charge names a meter size.
            models.CheckConstraint(
                condition=Q(kind="fixed_by_meter_size") | Q(meter_size=""),
                name="utility_billing_charge_size_only_fixed",
            ),
            # Only a tier has bounds; a tier starts somewhere and ends above its start.
            models.CheckConstraint(
                condition=(
                    Q(kind="volumetric_tier")
                    & Q(tier_from__gte=0)
                    & (Q(tier_to__isnull=True) | Q(tier_to__gt=models.F("tier_from")))
                )
                | (~Q(kind="volumetric_tier") & Q(tier_from__isnull=True, tier_to__isnull=True)),
                name="utility_billing_charge_tier_bounds",
            ),
            models.CheckConstraint(
                condition=Q(capped_by_winter_average=False)
                | Q(kind__in=["volumetric_uniform", "volumetric_tier"]),
                name="utility_billing_charge_cap_only_use",
            ),
            models.UniqueConstraint(
                fields=["version", "meter_size"],
                condition=Q(kind="fixed_by_meter_size"),
                name="utility_billing_charge_one_fixed_per_size",
            ),
            models.UniqueConstraint(
                fields=["version", "tier_from"],
                condition=Q(kind="volumetric_tier"),
                name="utility_billing_charge_one_tier_per_start",
            ),
            models.UniqueConstraint(
                fields=["version", "kind"],
                condition=Q(kind__in=["volumetric_uniform", "per_parcel", "minimum"]),
                name="utility_billing_charge_one_of_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.rate_text}"

    @property
    def rate_text(self) -> str:
        """ "$30.00 a month", "$5.2512 an HCF": to the cent, or the places the rate has."""
        text = f"{self.rate.normalize():,f}"
        if "." not in text or len(text.split(".")[1]) < 2:
            text = f"{self.rate:,.2f}"
        per = "an HCF" if self.kind in VOLUMETRIC_KINDS else "a month"
        return f"${text} {per}"

    @property
    def band(self) -> str:
        """A tier's HCF a month, "6 to 20" or "20 and over"; blank for other charges."""
        if self.kind != ChargeKind.VOLUMETRIC_TIER:
            return ""
        low = f"{self.tier_from.normalize():,f}"
        if self.tier_to is None:
            return f"{low} and over"
        return f"{low} to {self.tier_to.normalize():,f}"
