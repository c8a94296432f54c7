"""Payment batches: checks received by mail, keyed from the envelopes against a control
total, and lockbox or online-payment files the bank sends. Each batch is posted in one
all-or-nothing step through the payment targets' batch path (`apply_payments`) and one
journal entry.

Where the money is: a mail batch's checks are in the office until they are deposited, so
its entry debits cash in drawers (101-0000-1020), as the counter's receipts do; a lockbox
or online file reports money the bank has already deposited, so its entry debits pooled
cash in the bank (101-0000-1010) and `in_bank` says so. The deposit screen (issue 11,
item 8) picks up posted mail batches (`PaymentBatch.objects.awaiting_deposit()`) and
moves them to DEPOSITED; a lockbox batch never waits for a deposit.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


class BatchKind(models.TextChoices):
    MAIL = "mail", "Mail"
    LOCKBOX = "lockbox", "Lockbox / online"


class BatchStatus(models.TextChoices):
    # Being keyed (mail), or uploaded and waiting for its job (lockbox).
    DRAFT = "draft", "Draft"
    # A lockbox file with rows to fix: nothing was posted; upload the corrected file.
    REFUSED = "refused", "Refused: rows to fix"
    POSTED = "posted", "Posted"
    # Its checks went to the bank in a deposit (item 8).
    DEPOSITED = "deposited", "Deposited"


class PaymentBatchQuerySet(models.QuerySet):
    def awaiting_deposit(self) -> "PaymentBatchQuerySet":
        """Posted mail batches whose checks are still in the office."""
        return self.filter(status=BatchStatus.POSTED, in_bank=False)


# The file's text is kept for the job that posts it, but left out of the audit trail.
@track(exclude=["content"])
class PaymentBatch(models.Model):
    """A batch of payments by check (mail) or from the bank's lockbox or online file."""

    kind = models.CharField(max_length=10, choices=BatchKind.choices)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    # The day the payments were received (mail) or deposited by the bank (lockbox): the
    # date the payments are applied and the entry is posted.
    batch_date = models.DateField()
    # The figures the batch must agree with before it posts: the adding-machine tape of
    # the envelopes (mail), or the file's trailer (lockbox, when it has one).
    control_total = MoneyField(null=True, blank=True)
    control_count = models.PositiveIntegerField(null=True, blank=True)
    # The checks keyed or read: kept as the rows change, for the deposit and the lists.
    checks_total = MoneyField(default=0)
    checks_count = models.PositiveIntegerField(default=0)
    # True when the money is already in the bank (lockbox): no deposit to make.
    in_bank = models.BooleanField(default=False)
    # Made when the new-batch or upload form is shown: a double-clicked Create or Upload
    # is one batch. Also the root of the keys the batch posts with (subledger movements
    # "PB<key>:<n>:...", the journal entry "payment-batch:<key>").
    idempotency_key = models.CharField(max_length=60, unique=True)
    filename = models.CharField(max_length=200, blank=True)
    # SHA-256 of the uploaded file: the same file is imported once (see Meta).
    file_sha256 = models.CharField(max_length=64, blank=True)
    content = models.TextField(blank=True)
    # A refused file's rows to fix, [[line, "what is wrong"], ...] in line order.
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The account the entry debited: cash in drawers (mail) or pooled cash (lockbox).
    cash_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    job = models.ForeignKey(
        "millbrae_finance.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PaymentBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-batch_date", "-id"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            # The same lockbox file posts once; a refused one may be uploaded again fixed
            # (another hash) or as it was (refused again).
            models.UniqueConstraint(
                fields=["file_sha256"],
                condition=~Q(file_sha256="") & ~Q(status="refused"),
                name="cashiering_paymentbatch_file_once",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["posted", "deposited"])
                | Q(journal_entry__isnull=False, posted_by__isnull=False, posted_at__isnull=False),
                name="cashiering_paymentbatch_posted_has_entry",
            ),
            # Mail is checks in the office; lockbox money is in the bank.
            models.CheckConstraint(
                condition=Q(kind="mail", in_bank=False) | Q(kind="lockbox", in_bank=True),
                name="cashiering_paymentbatch_lockbox_in_bank",
            ),
            models.CheckConstraint(
                condition=~Q(kind="lockbox", status="deposited"),
                name="cashiering_paymentbatch_lockbox_not_deposited",
            ),
            models.CheckConstraint(
                condition=Q(control_total__isnull=True) | Q(control_total__gt=0),
                name="cashiering_paymentbatch_control_total_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{'MB' if self.kind == BatchKind.MAIL else 'LB'}-{self.pk or 0:06d}"

    @property
    def difference(self):
        """What the checks are over (+) or under (-) the control total."""
        if self.control_total is None:
            return None
        return self.checks_total - self.control_total

    @property
    def is_editable(self) -> bool:
        return self.kind == BatchKind.MAIL and self.status == BatchStatus.DRAFT


@track()
class PaymentBatchItem(models.Model):
    """One check of a batch (a row keyed, or a line of the file)."""

    batch = models.ForeignKey(PaymentBatch, on_delete=models.CASCADE, related_name="items")
    # The row's number in the batch, from 1: payment n of the batch path.
    line = models.PositiveIntegerField()
    # The line of the uploaded file it came from (lockbox), for the rows to fix.
    file_line = models.PositiveIntegerField(null=True, blank=True)
    account_number = models.CharField(max_length=60)
    amount = MoneyField()
    check_number = models.CharField(max_length=30, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "line"], name="cashiering_paymentbatchitem_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_number}: {self.amount}"
