"""Bill runs, bills and the utility AR subledger.

A bill run bills one cycle for one period: a background job selects the cycle's active
accounts, computes each one's bill with the rate engine (or records why it cannot: an
exception row), and the proof register shows the result. A senior technician or a
supervisor, never the one who started it, approves it; posting writes the ledger entries
(one per fund: the fund's utility AR control account against its revenue accounts) and
one subledger movement per bill and fund, all or nothing.

A bill and its lines are the run's output, written once in bulk: the database refuses
any change to what was billed, and deletes them only with a run discarded before it
posted. The subledger (UtilityTransaction) is append-only: a correction is a new
movement. Triggers in migrations/sql/0003_bill_runs.sql.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField, QuantityField, RateField
from utility_billing.models.choices import MeterSize, ServiceClass, ServiceKind
from utility_billing.models.rates import ChargeKind


class BillRunStatus(models.TextChoices):
    COMPUTING = "computing", "Computing"
    COMPUTED = "computed", "Computed: proof register to review"
    APPROVED = "approved", "Approved: posting"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Failed"
    DISCARDED = "discarded", "Discarded"


# A run in one of these states holds its cycle and period: a second run for them is
# refused until it is discarded.
HOLDING_STATUSES = (
    BillRunStatus.COMPUTING,
    BillRunStatus.COMPUTED,
    BillRunStatus.APPROVED,
    BillRunStatus.POSTED,
    BillRunStatus.FAILED,
)
# Before posting, a run can be thrown away (and the cycle run again).
DISCARDABLE_STATUSES = (BillRunStatus.COMPUTING, BillRunStatus.COMPUTED, BillRunStatus.FAILED)


class BillRunQuerySet(models.QuerySet):
    def holding(self) -> "BillRunQuerySet":
        return self.exclude(status=BillRunStatus.DISCARDED)


@track()
class BillRun(models.Model):
    """One cycle billed for one period (both dates billed), dated `bill_date` and due on
    `due_date`. The counts and totals are written when the run is computed: accounts
    selected = bills + exceptions, always."""

    cycle = models.ForeignKey(
        "utility_billing.Cycle", on_delete=models.PROTECT, related_name="bill_runs"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    bill_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=BillRunStatus.choices, default=BillRunStatus.COMPUTING
    )
    # The one-time key of the form that started it: a double click starts one run.
    idempotency_key = models.CharField(max_length=100, unique=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bill_runs_prepared"
    )
    prepared_at = models.DateTimeField(default=timezone.now)
    computed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bill_runs_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    # The background jobs that computed and posted it.
    job = models.ForeignKey(
        "millbrae_finance.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    post_job = models.ForeignKey(
        "millbrae_finance.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accounts_selected = models.PositiveIntegerField(default=0)
    bills_count = models.PositiveIntegerField(default=0)
    exceptions_count = models.PositiveIntegerField(default=0)
    consumption_total = QuantityField(default=Decimal("0.000"))
    amount_total = MoneyField(default=Decimal("0.00"))
    # Why it failed, or why the last attempt to post it did not (in words).
    error = models.TextField(blank=True)

    objects = BillRunQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [
            models.Index(fields=["cycle", "period_end"], name="utility_billrun_cycle"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="utility_billing_billrun_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("bill_date")),
                name="utility_billing_billrun_due_after_bill",
            ),
            # Segregation of duties: whoever started the run never approves it.
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("prepared_by")),
                name="utility_billing_billrun_approver_not_preparer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "posted"])
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="utility_billing_billrun_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status="posted") | Q(posted_at__isnull=False),
                name="utility_billing_billrun_posted_has_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="discarded")
                | Q(discarded_by__isnull=False, discarded_at__isnull=False),
                name="utility_billing_billrun_discarded_has_who",
            ),
            # The proof register's count: every account selected has a bill or an
            # exception row, never neither.
            models.CheckConstraint(
                condition=~Q(status__in=["computed", "approved", "posted"])
                | Q(accounts_selected=models.F("bills_count") + models.F("exceptions_count")),
                name="utility_billing_billrun_counts_reconcile",
            ),
            # A cycle is billed once for a period (overlapping periods: a trigger).
            models.UniqueConstraint(
                fields=["cycle", "period_start", "period_end"],
                condition=~Q(status="discarded"),
                name="utility_billing_billrun_one_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """What people quote for a run, and the source document of its entries."""
        return f"BR-{self.pk:06d}" if self.pk else "BR-(new)"

    @property
    def is_discardable(self) -> bool:
        return self.status in DISCARDABLE_STATUSES


class Bill(models.Model):
    """An account's bill in a run: the period billed (the run's, cut to the account's
    own dates), the reads it billed, their consumption (HCF) and the amount, the sum of
    its lines. `previous_balance` is the account's subledger balance when it was computed.

    Posted when its run is posted: the run's status is the bill's."""

    # Indexed by the unique (run, account) and by (account, period end): a bill run
    # writes a hundred thousand bills, each index a cost on every one. The run is checked
    # once per statement by a trigger (it exists, and is computing), not per row.
    run = models.ForeignKey(
        BillRun,
        on_delete=models.PROTECT,
        related_name="bills",
        db_index=False,
        db_constraint=False,
    )
    account = models.ForeignKey(
        "utility_billing.UtilityAccount",
        on_delete=models.PROTECT,
        related_name="bills",
        db_index=False,
    )
    period_start = models.DateField()
    period_end = models.DateField()
    service_class = models.CharField(max_length=20, choices=ServiceClass.choices)
    meter_size = models.CharField(max_length=5, choices=MeterSize.choices, blank=True)
    # The reads billed (several when a meter was changed in the period).
    read_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # A read billed was estimated: the bill says so, and the next actual read trues it up.
    estimated = models.BooleanField(default=False)
    consumption = QuantityField(default=Decimal("0.000"))
    previous_balance = MoneyField(default=Decimal("0.00"))
    amount = MoneyField()
    due_date = models.DateField()
    # What the rate engine noted (a residence's sewer use not capped: no winter average).
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "account"]
        indexes = [
            models.Index(fields=["account", "period_end"], name="utility_bill_account"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="utility_billing_bill_once"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="utility_billing_bill_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="utility_billing_bill_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(consumption__gte=0), name="utility_billing_bill_consumption"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"B{self.pk:08d}" if self.pk else "B(new)"

    @property
    def status(self) -> str:
        return self.run.status


class BillLine(models.Model):
    """A charge on a bill, as the rate engine computed it, with its arithmetic; credited
    to its revenue account when the run posts."""

    # Indexed by the unique (bill, position) and by (run, revenue account) only: a run
    # writes half a million lines. The run, the rate version and the revenue account are
    # checked once per statement by a trigger, not by a foreign key per row (about 4 us a
    # row each): rows the database does not delete (a run, an approved version, an
    # account posted to; posting checks the account again).
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines", db_index=False)
    # The bill's run, kept on the line: the proof register sums a run's lines directly.
    run = models.ForeignKey(
        BillRun, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    position = models.PositiveSmallIntegerField()
    service_kind = models.CharField(max_length=15, choices=ServiceKind.choices)
    schedule_code = models.CharField(max_length=20)
    charge_kind = models.CharField(max_length=25, choices=ChargeKind.choices)
    description = models.CharField(max_length=200)
    # HCF billed on this line (use lines); none for fixed charges.
    quantity = QuantityField(null=True, blank=True)
    rate = RateField()
    amount = MoneyField()
    arithmetic = models.TextField()
    rate_version = models.ForeignKey(
        "utility_billing.RateVersion",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The days this line bills (one side of a rate change, or the whole period).
    service_start = models.DateField()
    service_end = models.DateField()
    days = models.PositiveSmallIntegerField()
    revenue_account = models.ForeignKey(
        "ledger.Account",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["bill", "position"]
        indexes = [
            models.Index(fields=["run", "revenue_account"], name="utility_billline_run"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bill", "position"], name="utility_billing_billline_position"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="utility_billing_billline_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class BillExceptionReason(models.TextChoices):
    """Why an account selected by a run has no bill in it. Each names what to fix."""

    NO_READ = "no_read", "No read in the period"
    OPEN_READ_EXCEPTION = "open_read_exception", "A read exception is open"
    INACTIVE_METER = "inactive_meter", "No meter in service"
    CLOSED_PERIOD = "closed_period", "Fiscal period closed"
    NO_RATE = "no_rate", "No rate to bill by"
    NO_SERVICE = "no_service", "No service in the period"
    NO_CONTROL_ACCOUNT = "no_control_account", "No utility AR control account"
    ALREADY_BILLED = "already_billed", "Already billed for these days"
    OWNER_STANDBY = "owner_standby", "Owner's account on standby"


@track()
class BillRunException(models.Model):
    """An account the run selected and did not bill, and why. Every account selected has
    a bill or one of these: nothing is skipped silently."""

    run = models.ForeignKey(BillRun, on_delete=models.PROTECT, related_name="exceptions")
    account = models.ForeignKey(
        "utility_billing.UtilityAccount", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=25, choices=BillExceptionReason.choices)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "reason", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "account"], name="utility_billing_billrunexception_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_reason_display()}"


# ---------------------------------------------------------------- the subledger


class UtilityTransactionKind(models.TextChoices):
    CHARGE = "charge", "Charge (bill)"
    PAYMENT = "payment", "Payment"
    # A payment taken back (a receipt voided, a check returned): each of its movements
    # reversed on the same bill and fund, its entry the cashier's.
    PAYMENT_VOID = "payment_void", "Payment voided"
    ADJUSTMENT = "adjustment", "Adjustment"
    CREDIT = "credit", "Credit"
    DEPOSIT_APPLIED = "deposit_applied", "Deposit applied"
    REFUND = "refund", "Refund of a credit"
    TRANSFER = "transfer", "Balance transfer"
    WRITE_OFF = "write_off", "Write-off"


# Kinds that always raise what is owed, and kinds that always lower it; an adjustment or
# a transfer goes either way.
RAISING_KINDS = ("charge", "refund", "payment_void")
LOWERING_KINDS = ("payment", "credit", "deposit_applied", "write_off")


class UtilityTransaction(models.Model):
    """One movement in the utility AR subledger. Signed: positive raises what the account
    owes. Each names the utility AR control account (one per fund) it moved, so the
    movements of each fund add up to that fund's control account in the general ledger.

    Its own record, like the ledger's lines: append-only (the database refuses a change
    or a delete), each naming who wrote it, when, its cause and its journal entry; so it
    has no audit-trail copy (a bill run writes one per bill and fund)."""

    # Indexes: (account, date), bill, cause. A run writes a movement per bill and fund;
    # the other keys are never searched by (accounts, entries and users are not deleted).
    # The control account and the journal entry are checked once per statement by a
    # trigger rather than by a foreign key per row: rows the ledger never deletes.
    account = models.ForeignKey(
        "utility_billing.UtilityAccount",
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
    )
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    kind = models.CharField(max_length=15, choices=UtilityTransactionKind.choices)
    control_account = models.ForeignKey(
        "ledger.Account",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    amount = MoneyField()
    transaction_date = models.DateField()
    memo = models.CharField(max_length=250, blank=True)
    # The run, receipt or adjustment it came from (what a clerk quotes).
    reference = models.CharField(max_length=40, blank=True)
    # What caused it, unique, so nothing moves the subledger twice: a run's charge of a
    # bill in a fund ("BR-000012:bill-345:fund-501"), a payment's key and what it paid.
    cause = models.CharField(max_length=200)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["transaction_date", "id"]
        indexes = [
            models.Index(fields=["account", "transaction_date"], name="utility_tx_account"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="utility_billing_tx_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=RAISING_KINDS) | Q(amount__gt=0),
                name="utility_billing_tx_raising_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=LOWERING_KINDS) | Q(amount__lt=0),
                name="utility_billing_tx_lowering_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="charge") | Q(bill__isnull=False),
                name="utility_billing_tx_charge_has_bill",
            ),
            # Every movement but a payment (or its void) posts its own entry; a payment's
            # entry is the cashier's, with the cash, and the movement names its receipt.
            models.CheckConstraint(
                condition=Q(kind__in=["payment", "payment_void"], reference__gt="")
                | Q(journal_entry__isnull=False),
                name="utility_billing_tx_posted",
            ),
            models.CheckConstraint(condition=Q(cause__gt=""), name="utility_billing_tx_cause"),
            # varchar_pattern_ops: the same index finds a payment's movements by prefix.
            models.UniqueConstraint(
                fields=["cause"],
                name="utility_billing_tx_cause_unique",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.cause})"
