"""Meters and their reads. Consumption is in HCF (hundred cubic feet, 748 gallons), the
unit water rates are stated in."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import QuantityField
from utility_billing.models.choices import MeterSize


class MeterType(models.TextChoices):
    POSITIVE_DISPLACEMENT = "positive_displacement", "Positive displacement"
    COMPOUND = "compound", "Compound"
    TURBINE = "turbine", "Turbine"
    AMI = "ami", "AMI (read remotely)"


class MeterStatus(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    INSTALLED = "installed", "Installed"
    REMOVED = "removed", "Removed"
    RETIRED = "retired", "Retired"


class MeterQuerySet(models.QuerySet):
    def installed(self) -> "MeterQuerySet":
        return self.filter(status=MeterStatus.INSTALLED)


@track()
class Meter(models.Model):
    """A water meter. Its register has `dials` digits, so it rolls over to zero after
    10**dials - 1; a reading times `multiplier` is HCF (large meters read in tens or
    hundreds of cubic feet)."""

    serial = models.CharField("serial number", max_length=30, unique=True)
    size = models.CharField(max_length=5, choices=MeterSize.choices)
    meter_type = models.CharField("type", max_length=25, choices=MeterType.choices)
    dials = models.PositiveSmallIntegerField(default=6)
    multiplier = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("1.000"))
    status = models.CharField(
        max_length=10, choices=MeterStatus.choices, default=MeterStatus.IN_STOCK
    )
    # Where it is installed now (none in stock, removed or retired).
    location = models.ForeignKey(
        "utility_billing.ServiceLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meters",
    )
    install_date = models.DateField(null=True, blank=True)
    removal_date = models.DateField(null=True, blank=True)
    # The register when installed: the first read's consumption counts from here.
    install_reading = QuantityField(null=True, blank=True)
    notes = models.TextField(blank=True)

    objects = MeterQuerySet.as_manager()

    class Meta:
        ordering = ["serial"]
        indexes = [
            models.Index(
                fields=["location"],
                condition=Q(status="installed"),
                name="utility_meter_installed_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(dials__gte=3, dials__lte=10), name="utility_billing_meter_dials"
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gt=0), name="utility_billing_meter_multiplier_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="installed")
                | Q(location__isnull=False, install_date__isnull=False),
                name="utility_billing_meter_installed_somewhere",
            ),
            models.CheckConstraint(
                condition=Q(status="installed") | Q(location__isnull=True),
                name="utility_billing_meter_location_only_installed",
            ),
            models.CheckConstraint(
                condition=Q(removal_date__isnull=True)
                | Q(install_date__isnull=False, removal_date__gte=models.F("install_date")),
                name="utility_billing_meter_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def max_reading(self) -> int:
        """The highest the register shows before it rolls over to zero."""
        return 10**self.dials - 1


class ReadKind(models.TextChoices):
    ACTUAL = "actual", "Actual"
    ESTIMATED = "estimated", "Estimated"


class ReadSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    HANDHELD = "handheld", "Handheld"
    AMI = "ami", "AMI"
    IMPORT = "import", "File import"


class ExceptionStatus(models.TextChoices):
    NONE = "none", "No exception"
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    CORRECTED = "corrected", "Corrected"
    RE_READ_REQUESTED = "re_read_requested", "Re-read requested"


class ExceptionCode(models.TextChoices):
    HIGH = "high", "High against the account's history"
    LOW = "low", "Low against the account's history"
    NEGATIVE_NO_ROLLOVER = "negative_no_rollover", "Lower than the last read, not a rollover"
    MISSING = "missing", "No read for the cycle"
    ZERO_OCCUPIED = "zero_occupied", "Zero use on an occupied account"
    CONSECUTIVE_ESTIMATES = "consecutive_estimates", "Consecutive estimates"


# A read whose exception is settled (or never had one) may be billed.
BILLABLE_EXCEPTION_STATUSES = (
    ExceptionStatus.NONE,
    ExceptionStatus.ACCEPTED,
    ExceptionStatus.CORRECTED,
)


class MeterReadQuerySet(models.QuerySet):
    def open_exceptions(self) -> "MeterReadQuerySet":
        return self.filter(exception_status=ExceptionStatus.OPEN)

    def billable(self) -> "MeterReadQuerySet":
        return self.filter(exception_status__in=BILLABLE_EXCEPTION_STATUSES)


@track()
class MeterRead(models.Model):
    """One reading of a meter's register on a day. Its consumption (HCF, the multiplier
    applied, a rollover counted) is worked out when the read is validated against the
    meter's previous read; a read that looks wrong carries exception codes until someone
    accepts it, corrects it or asks for a re-read."""

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="reads")
    # Where the meter was when read. A removed meter leaves its location (Meter.location
    # is where it is now): its reads stay with the location they measured, so the bill of
    # a meter changed mid-cycle sums the reads of both meters there.
    location = models.ForeignKey(
        "utility_billing.ServiceLocation", on_delete=models.PROTECT, related_name="reads"
    )
    read_date = models.DateField()
    reading = QuantityField()
    kind = models.CharField(max_length=10, choices=ReadKind.choices, default=ReadKind.ACTUAL)
    source = models.CharField(max_length=10, choices=ReadSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    # The read it was measured from (None: the first read after installation).
    previous_read = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # HCF since the previous read; None until validated.
    consumption = QuantityField(null=True, blank=True)
    rolled_over = models.BooleanField(default=False)
    exception_status = models.CharField(
        max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.NONE
    )
    exception_codes = ArrayField(
        models.CharField(max_length=25, choices=ExceptionCode.choices),
        default=list,
        blank=True,
    )
    note = models.TextField(blank=True)

    objects = MeterReadQuerySet.as_manager()

    class Meta:
        ordering = ["meter", "read_date"]
        indexes = [
            models.Index(
                fields=["exception_status"],
                condition=Q(exception_status="open"),
                name="utility_read_open_exceptions",
            ),
            # A location's reads by date: the bill's consumption and the history that
            # high and low use are judged against.
            models.Index(fields=["location", "read_date"], name="utility_read_location_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "read_date"], name="utility_billing_read_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(reading__gte=0), name="utility_billing_read_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(consumption__isnull=True) | Q(consumption__gte=0),
                name="utility_billing_read_consumption_not_negative",
            ),
            # An exception names what is wrong; a read without one names nothing.
            models.CheckConstraint(
                condition=(Q(exception_status="none") & Q(exception_codes=[]))
                | (~Q(exception_status="none") & ~Q(exception_codes=[])),
                name="utility_billing_read_exception_codes",
            ),
            models.CheckConstraint(
                condition=~Q(previous_read=models.F("id")),
                name="utility_billing_read_not_own_previous",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter} {self.read_date:%Y-%m-%d}: {self.reading}"
