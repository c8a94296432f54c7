"""The general ledger: fund accounting, fiscal periods, journal entries and balances.

The invariants (balanced per entry and per fund, posted rows immutable, nothing posted
into a closed period or to an inactive account) are enforced by PostgreSQL triggers in
migrations/sql/, not only here: see ledger/migrations/0002_ledger_invariants.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.approvals import PreparedAndDecided, approver_not_preparer
from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    FUND_BALANCE = "fund_balance", "Fund balance"
    REVENUE = "revenue", "Revenue"
    EXPENDITURE = "expenditure", "Expenditure"


class NormalBalance(models.TextChoices):
    DEBIT = "debit", "Debit"
    CREDIT = "credit", "Credit"


NORMAL_BALANCE = {
    AccountType.ASSET: NormalBalance.DEBIT,
    AccountType.EXPENDITURE: NormalBalance.DEBIT,
    AccountType.LIABILITY: NormalBalance.CREDIT,
    AccountType.FUND_BALANCE: NormalBalance.CREDIT,
    AccountType.REVENUE: NormalBalance.CREDIT,
}


class FundType(models.TextChoices):
    GENERAL = "general", "General"
    SPECIAL_REVENUE = "special_revenue", "Special revenue"
    CAPITAL_PROJECTS = "capital_projects", "Capital projects"
    DEBT_SERVICE = "debt_service", "Debt service"
    ENTERPRISE = "enterprise", "Enterprise"
    INTERNAL_SERVICE = "internal_service", "Internal service"
    FIDUCIARY = "fiduciary", "Fiduciary"


class Subledger(models.TextChoices):
    """Control accounts name the subledger whose total they must always equal."""

    UTILITY_AR = "utility_ar", "Utility accounts receivable"
    MISC_AR = "misc_ar", "Miscellaneous accounts receivable"
    FINES_AR = "fines_ar", "Fines and citations receivable"
    AP = "ap", "Accounts payable"
    DEPOSITS = "deposits", "Customer deposits held"


@track()
class Fund(models.Model):
    code = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=100)
    fund_type = models.CharField(max_length=20, choices=FundType.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{3}$"), name="ledger_fund_code_3_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@track()
class Department(models.Model):
    code = models.CharField(max_length=4, unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{4}$"), name="ledger_department_code_4_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@track()
class ObjectCode(models.Model):
    """What the money is: cash, a receivable, water sales revenue, postage expense."""

    code = models.CharField(max_length=4, unique=True)
    name = models.CharField(max_length=100)
    account_type = models.CharField(max_length=20, choices=AccountType.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{4}$"), name="ledger_objectcode_code_4_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def account_number(fund_code: str, department_code: str, object_code: str) -> str:
    """The number of the account of a fund, department and object: 501-4100-4411."""
    return f"{fund_code}-{department_code}-{object_code}"


class AccountQuerySet(models.QuerySet):
    def postable(self) -> "AccountQuerySet":
        return self.filter(is_active=True, allows_posting=True)


@track()
class Account(models.Model):
    """A GL account: fund-department-object, e.g. 501-4100-4411."""

    number = models.CharField(max_length=13, unique=True, editable=False)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="accounts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="accounts")
    object_code = models.ForeignKey(ObjectCode, on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(max_length=120)
    account_type = models.CharField(max_length=20, choices=AccountType.choices)
    normal_balance = models.CharField(max_length=6, choices=NormalBalance.choices)
    is_active = models.BooleanField(default=True)
    allows_posting = models.BooleanField(default=True)
    control_subledger = models.CharField(
        max_length=20, choices=Subledger.choices, blank=True, default=""
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "department", "object_code"], name="ledger_account_unique_segments"
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{3}-[0-9]{4}-[0-9]{4}$"),
                name="ledger_account_number_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class PeriodStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


@track()
class FiscalYear(models.Model):
    """July 1 to June 30, named for the year it ends in (FY 2027 = 2026-07-01..2027-06-30)."""

    year = models.PositiveIntegerField(unique=True)
    start_date = models.DateField(unique=True)
    end_date = models.DateField(unique=True)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"FY {self.year}"


ADJUSTMENT_PERIOD = 13


@track()
class FiscalPeriod(models.Model):
    """Twelve monthly periods (1 = July) and period 13, the year-end adjustment period,
    which shares June's last day and takes only entries posted to it by name."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="periods")
    number = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=6, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["fiscal_year__year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "number"], name="ledger_period_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=13), name="ledger_period_number_1_13"
            ),
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")),
                name="ledger_period_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        if self.number == ADJUSTMENT_PERIOD:
            return f"FY {self.fiscal_year.year} adjustments"
        return f"FY {self.fiscal_year.year} P{self.number:02d} ({self.start_date:%b %Y})"

    @property
    def is_open(self) -> bool:
        return self.status == PeriodStatus.OPEN


class PeriodStatusChange(models.Model):
    """Each close and reopen of a period, with who and why. Written only by the database
    (a trigger on the period's status), never by the app: the app's role may read it."""

    period = models.ForeignKey(FiscalPeriod, on_delete=models.PROTECT, related_name="changes")
    from_status = models.CharField(max_length=6, choices=PeriodStatus.choices)
    to_status = models.CharField(max_length=6, choices=PeriodStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.period_id}: {self.from_status} to {self.to_status}"


class JournalEntry(models.Model):
    """A posted journal entry. Rows here are posted: a correction is a reversing entry.

    Not tracked by pghistory: the ledger is its own append-only record (the database
    refuses updates and deletes), and each entry names its preparer, approver and time.
    """

    entry_date = models.DateField()
    # Indexed with the entry date below (ledger_entry_period_date), not on its own.
    period = models.ForeignKey(
        FiscalPeriod, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    source_module = models.CharField(max_length=30)
    source_document = models.CharField(max_length=100, blank=True)
    memo = models.CharField(max_length=250)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=100)
    # A digest of what was asked for, so a retry with the same key but other lines is refused.
    fingerprint = models.CharField(max_length=64)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(fields=["period", "entry_date"], name="ledger_entry_period_date"),
            models.Index(fields=["source_module", "source_document"], name="ledger_entry_source"),
        ]
        constraints = [
            # A constraint rather than unique=True: Django would add a second, pattern-ops
            # index for LIKE searches that no one makes, and every posting would pay for it.
            models.UniqueConstraint(
                fields=["idempotency_key"], name="ledger_journalentry_idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"JE {self.number}"

    @property
    def number(self) -> str:
        return f"{self.pk:07d}"


class JournalLine(models.Model):
    """One leg of an entry: a signed amount, debit positive, credit negative."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    # Indexed with the entry below (ledger_line_account_entry), not on its own.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    # Copied from the account by a trigger, never trusted from the caller: the per-fund
    # balance check reads it, through the entry's lines. No query looks lines up by fund.
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = MoneyField()
    memo = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "entry"], name="ledger_line_account_entry")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_journalline_amount_nonzero")
        ]

    def __str__(self) -> str:
        return f"JE {self.entry_id} {self.account_id} {self.amount}"

    @property
    def debit(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None


class AccountBalance(models.Model):
    """Debits and credits per account and period, kept by the posting service in the same
    transaction as each posting, so a trial balance never scans the lines."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balances")
    period = models.ForeignKey(FiscalPeriod, on_delete=models.PROTECT, related_name="balances")
    debits = MoneyField(default=0)
    credits = MoneyField(default=0)  # a positive number: the sum of the credit lines

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "period"], name="ledger_balance_unique"),
            models.CheckConstraint(
                condition=Q(debits__gte=0, credits__gte=0), name="ledger_balance_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} P{self.period_id}: {self.debits} / {self.credits}"

    @property
    def net(self):
        return self.debits - self.credits


# ---------------------------------------------------------------- manual journal entries


class JournalDraftStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    POSTED = "posted", "Posted"
    REJECTED = "rejected", "Rejected"


class JournalDraftQuerySet(models.QuerySet):
    def awaiting_approval(self) -> "JournalDraftQuerySet":
        return self.filter(status=JournalDraftStatus.SUBMITTED)

    def editable(self) -> "JournalDraftQuerySet":
        return self.filter(status__in=JournalDraft.EDITABLE)


@track()
class JournalDraft(PreparedAndDecided):
    """A manual journal entry on its way to the ledger: a technician prepares it, a senior
    or supervisor who did not prepare it approves it, and only then is it posted."""

    # A rejected draft goes back to its preparer, who may correct and resubmit it.
    EDITABLE = (JournalDraftStatus.DRAFT, JournalDraftStatus.REJECTED)

    entry_date = models.DateField()
    memo = models.CharField(max_length=250)
    status = models.CharField(
        max_length=10, choices=JournalDraftStatus.choices, default=JournalDraftStatus.DRAFT
    )
    # prepared_by, and who approved or rejected it and when (decided_by, decided_at):
    # PreparedAndDecided.
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    entry = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_draft",
    )
    # Made when the blank form is rendered, so a double-clicked "Save" makes one draft.
    idempotency_key = models.CharField(max_length=100, unique=True)
    # Where the lines came from: typed on the screen, or the name of an imported file.
    source_file = models.CharField(max_length=200, blank=True)
    # Year-end adjustments go to period 13, which shares June 30 with June: the preparer
    # says so, since the date alone cannot.
    adjustment_period = models.BooleanField(default=False)

    objects = JournalDraftQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "prepared_by"], name="ledger_jdraft_status_preparer")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="posted", entry__isnull=False)
                | (~Q(status="posted") & Q(entry__isnull=True)),
                name="ledger_journaldraft_posted_has_entry",
            ),
            # Segregation of duties, in the database too: nobody decides their own draft.
            approver_not_preparer(),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"JD-{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


@track()
class JournalDraftLine(models.Model):
    """One line of a draft: a signed amount like a posted line, debit positive."""

    draft = models.ForeignKey(JournalDraft, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    memo = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["draft", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "line_number"], name="ledger_journaldraftline_unique_number"
            ),
            models.CheckConstraint(
                condition=~Q(amount=0), name="ledger_journaldraftline_amount_nonzero"
            ),
        ]

    def __str__(self) -> str:
        return f"JD-{self.draft_id} line {self.line_number}"

    @property
    def debit(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None
