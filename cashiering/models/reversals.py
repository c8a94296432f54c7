"""What undoes a receipt after its session is closed: a supervisor's reversal of the whole
receipt, and a returned (NSF) check, which undoes the payments the check made. Each is a
row of its own beside the receipt, never an edit of it or of the closed session's count,
and the database allows one of each: one reversal a receipt, one return a check."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


@track()
class CashieringPolicy(models.Model):
    """The counter's rules kept as data, one row: how long a returned check keeps a
    customer's checks refused, and which fee of the fee schedule a returned check costs.
    An administrator changes them in the admin; nothing in code holds the numbers."""

    # One row only: the column is always true and unique.
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    no_checks_days = models.PositiveIntegerField(
        "days checks are refused after a returned check", default=365
    )
    nsf_fee_code = models.CharField("returned-check fee (fee schedule code)", max_length=30)

    class Meta:
        verbose_name_plural = "cashiering policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True), name="cashiering_cashieringpolicy_one_row"
            ),
            models.CheckConstraint(
                condition=Q(no_checks_days__gte=1) & ~Q(nsf_fee_code=""),
                name="cashiering_cashieringpolicy_values",
            ),
        ]

    def __str__(self) -> str:
        return f"Checks refused {self.no_checks_days} days; fee {self.nsf_fee_code}"


@track()
class ReceiptReversal(models.Model):
    """A supervisor's reversal of a receipt from a closed session: every item undone
    through its target and an entry, dated the day of the reversal, reversing the
    receipt's entry. The receipt keeps its number, marked reversed."""

    # One reversal a receipt: a retry, a double-click or a second supervisor is refused
    # by this unique column, whatever the code above it does.
    receipt = models.OneToOneField(
        "cashiering.Receipt", on_delete=models.PROTECT, related_name="reversal"
    )
    reversed_at = models.DateTimeField()
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200)
    journal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-reversed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="cashiering_receiptreversal_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Reversal of receipt {self.receipt_id}"


@track()
class ReturnedCheck(models.Model):
    """A check tender the bank returned unpaid (NSF, account closed, stop payment): the
    payments it made undone (oldest item first), the money taken back out of the bank,
    the fee charged to the payer, who may not pay by check again for a while."""

    # One return a check: the database refuses a second.
    tender = models.OneToOneField(
        "cashiering.ReceiptTender", on_delete=models.PROTECT, related_name="returned"
    )
    receipt = models.ForeignKey(
        "cashiering.Receipt", on_delete=models.PROTECT, related_name="returned_checks"
    )
    # The form's one-time key: a double-click or a retry returns this row.
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = MoneyField()
    bank_reason = models.CharField(max_length=200)
    returned_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    journal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="+"
    )
    # What the payer was charged ("Invoice INV-000123, 25.00, to C000042 ..."), blank when
    # nothing on the receipt has a payer to charge (a fee paid with no customer).
    fee_charged = models.CharField(max_length=250, blank=True)
    no_checks_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="cashiering_returnedcheck_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(bank_reason=""), name="cashiering_returnedcheck_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Returned check {self.tender_id}: {self.amount}"


@track()
class ReturnedCheckShare(models.Model):
    """What of a returned check an item of the receipt gives back (oldest item first)."""

    returned_check = models.ForeignKey(
        ReturnedCheck, on_delete=models.PROTECT, related_name="shares"
    )
    item = models.ForeignKey("cashiering.ReceiptItem", on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()

    class Meta:
        ordering = ["returned_check", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["returned_check", "item"], name="cashiering_returnedcheckshare_once"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="cashiering_returnedcheckshare_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.amount}"
