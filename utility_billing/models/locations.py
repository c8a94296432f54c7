"""Where service is given and to whom: billing cycles, service locations (parcels),
utility accounts (a receivables customer at a location), the services each account
takes, and service orders (connect, disconnect, re-read, meter change)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField, QuantityField
from utility_billing.models.choices import (
    AccountRole,
    AccountStatus,
    ServiceClass,
    ServiceKind,
)

# An account that takes service (pending accounts are scheduled to).
OPEN_ACCOUNT_STATUSES = (AccountStatus.PENDING, AccountStatus.ACTIVE)


@track()
class Cycle(models.Model):
    """A billing cycle: the locations read on the same day of the month and billed
    together (a bill run is per cycle)."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    # Days of the month; at most 28 so every month has them.
    read_day = models.PositiveSmallIntegerField()
    bill_day = models.PositiveSmallIntegerField()
    # A bill is due this many days after its bill date.
    due_days = models.PositiveSmallIntegerField(default=21)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(read_day__gte=1, read_day__lte=28),
                name="utility_billing_cycle_read_day",
            ),
            models.CheckConstraint(
                condition=Q(bill_day__gte=1, bill_day__lte=28),
                name="utility_billing_cycle_bill_day",
            ),
            models.CheckConstraint(
                condition=Q(due_days__gte=1), name="utility_billing_cycle_due_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceLocationQuerySet(models.QuerySet):
    def active(self) -> "ServiceLocationQuerySet":
        return self.filter(is_active=True)


@track()
class ServiceLocation(models.Model):
    """A parcel that receives service, known by its assessor's parcel number (APN)."""

    parcel_number = models.CharField("parcel number (APN)", max_length=20, unique=True)
    address_line1 = models.CharField("service address", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, default="Millbrae")
    postal_code = models.CharField("ZIP code", max_length=10, default="94030")
    service_class = models.CharField("class", max_length=20, choices=ServiceClass.choices)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="locations")
    # The meter reader's route within the cycle, and the stop's order on it.
    route = models.CharField(max_length=10, blank=True)
    route_sequence = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceLocationQuerySet.as_manager()

    class Meta:
        ordering = ["address_line1", "id"]
        indexes = [
            models.Index(
                fields=["cycle", "route", "route_sequence"], name="utility_location_route"
            ),
            models.Index(fields=["address_line1"], name="utility_location_address"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(parcel_number__gt=""), name="utility_billing_location_apn_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address_line1} ({self.parcel_number})"

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.address_line1, self.address_line2) if part)


class UtilityAccountQuerySet(models.QuerySet):
    def open(self) -> "UtilityAccountQuerySet":
        """Accounts taking service, or scheduled to."""
        return self.filter(status__in=OPEN_ACCOUNT_STATUSES)

    def active(self) -> "UtilityAccountQuerySet":
        return self.filter(status=AccountStatus.ACTIVE)


# The search words are derived (a trigger writes them): no need to audit them.
@track(exclude=["search_vector"])
class UtilityAccount(models.Model):
    """A receivables customer's service at a location, from a start date (move-in) to an
    end date (move-out). What is billed is the account's services (AccountService): an
    owner's account with a tenant in the house keeps no open services, and takes them
    back when the tenant moves out."""

    number = models.CharField("account number", max_length=20, unique=True)
    customer = models.ForeignKey(
        "receivables.Customer", on_delete=models.PROTECT, related_name="utility_accounts"
    )
    location = models.ForeignKey(ServiceLocation, on_delete=models.PROTECT, related_name="accounts")
    role = models.CharField(max_length=10, choices=AccountRole.choices)
    status = models.CharField(
        max_length=15, choices=AccountStatus.choices, default=AccountStatus.PENDING
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    # The deposit the credit rule asked for at move-in (zero: none asked), or waived.
    deposit_required = MoneyField(default=Decimal("0.00"))
    deposit_waived = models.BooleanField(default=False)
    deposit_waiver_reason = models.CharField(max_length=200, blank=True)
    # Average monthly water use (HCF) over the winter months, recomputed each spring:
    # caps the sewer use billed to a residence. None until the account has a winter.
    winter_average_hcf = QuantityField(
        verbose_name="winter average (HCF a month)", null=True, blank=True
    )
    notes = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The words the counter finds an account by: its number, the customer's name, the
    # service address and the parcel number's parts. Written by the database (triggers on
    # the account, the customer and the location: migrations/sql/0005_account_search.sql)
    # because a generated column cannot read other tables; searched by word prefix
    # through the GIN index, so a search reads the matching rows, not all 200,000.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = UtilityAccountQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        indexes = [
            GinIndex(fields=["search_vector"], name="utility_account_search"),
            models.Index(fields=["customer", "status"], name="utility_account_customer"),
            models.Index(fields=["location", "status"], name="utility_account_location"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gt=""), name="utility_billing_account_number_given"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="utility_billing_account_dates_in_order",
            ),
            # Closed (moved out) means the move-out date is known.
            models.CheckConstraint(
                condition=Q(status__in=OPEN_ACCOUNT_STATUSES) | Q(end_date__isnull=False),
                name="utility_billing_account_closed_has_end",
            ),
            models.CheckConstraint(
                condition=Q(deposit_required__gte=0),
                name="utility_billing_account_deposit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deposit_waived=False) | Q(deposit_waiver_reason__gt=""),
                name="utility_billing_account_waiver_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(winter_average_hcf__isnull=True) | Q(winter_average_hcf__gte=0),
                name="utility_billing_account_winter_average",
            ),
            # At most one open owner account and one open tenant account per location.
            models.UniqueConstraint(
                fields=["location", "role"],
                condition=Q(status__in=OPEN_ACCOUNT_STATUSES),
                name="utility_billing_account_one_open_per_role",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AccountServiceQuerySet(models.QuerySet):
    def in_service_on(self, on_date) -> "AccountServiceQuerySet":
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on_date), start_date__lte=on_date
        )


@track()
class AccountService(models.Model):
    """One service an account takes (water, sewer, storm drain, fire line), billed on its
    own rate schedule, from a start date to an end date."""

    account = models.ForeignKey(UtilityAccount, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(max_length=15, choices=ServiceKind.choices)
    rate_schedule = models.ForeignKey(
        "utility_billing.RateSchedule", on_delete=models.PROTECT, related_name="services"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    objects = AccountServiceQuerySet.as_manager()

    class Meta:
        ordering = ["account", "kind", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="utility_billing_service_dates_in_order",
            ),
            # One open service of a kind per account (a change of rate ends one, starts one).
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(end_date__isnull=True),
                name="utility_billing_service_one_open_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.get_kind_display()}"


class ServiceOrderKind(models.TextChoices):
    CONNECT = "connect", "Connect (turn on)"
    DISCONNECT = "disconnect", "Disconnect (turn off)"
    RE_READ = "re_read", "Re-read"
    METER_CHANGE = "meter_change", "Meter change"
    # Read the meter on the move-out date: the final bill is computed to this read.
    FINAL_READ = "final_read", "Final read (move-out)"


class ServiceOrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class ServiceOrderQuerySet(models.QuerySet):
    def outstanding(self) -> "ServiceOrderQuerySet":
        return self.filter(status__in=[ServiceOrderStatus.OPEN, ServiceOrderStatus.SCHEDULED])


@track()
class ServiceOrder(models.Model):
    """Field work at a location: turn service on or off, read a meter again, change a
    meter. Reads and meter changes it causes name it."""

    location = models.ForeignKey(
        ServiceLocation, on_delete=models.PROTECT, related_name="service_orders"
    )
    account = models.ForeignKey(
        UtilityAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_orders",
    )
    meter = models.ForeignKey(
        "utility_billing.Meter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_orders",
    )
    kind = models.CharField(max_length=15, choices=ServiceOrderKind.choices)
    status = models.CharField(
        max_length=10, choices=ServiceOrderStatus.choices, default=ServiceOrderStatus.OPEN
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    scheduled_for = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.CharField("reason cancelled", max_length=200, blank=True)
    notes = models.TextField(blank=True)

    objects = ServiceOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["status", "scheduled_for"],
                condition=Q(status__in=["open", "scheduled"]),
                name="utility_order_outstanding",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_for__isnull=False),
                name="utility_billing_order_scheduled_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | Q(completed_at__isnull=False, completed_by__isnull=False),
                name="utility_billing_order_completed_has_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | Q(cancelled_at__isnull=False, cancelled_by__isnull=False, cancel_reason__gt=""),
                name="utility_billing_order_cancelled_has_why",
            ),
        ]

    def __str__(self) -> str:
        return f"SO-{self.pk:06d} {self.get_kind_display()}"

    @property
    def number(self) -> str:
        return f"SO-{self.pk:06d}"


@track()
class DepositRule(models.Model):
    """The credit rule for a move-in deposit, one per class, kept as data: the amount
    asked, waived when the customer has paid on time on another utility account for at
    least `good_history_months`, or (when `letter_of_credit_waives`) shows a letter of
    good credit from a prior utility. Staff may also waive it, giving a reason."""

    service_class = models.CharField(
        "class", max_length=20, choices=ServiceClass.choices, unique=True
    )
    amount = MoneyField()
    # None: payment history never waives this class's deposit.
    good_history_months = models.PositiveSmallIntegerField(
        "months of good payment history that waive it", null=True, blank=True, default=12
    )
    letter_of_credit_waives = models.BooleanField("a letter of credit waives it", default=True)

    class Meta:
        ordering = ["service_class"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="utility_billing_deposit_rule_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.get_service_class_display()}: {self.amount}"
