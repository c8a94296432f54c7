"""Receipts: what a clerk took, for what, in which tenders.

A receipt is numbered without gaps within its drawer ("<drawer>-<number>"); a voided
number stays, marked void. Its idempotency key is unique, so a double-click, a browser
retry or twenty requests at once make one receipt.

Cards: only the last four digits and the authorization code are kept, never a full card
number (PCI DSS keeps a full number out of any system not built to hold one); the
database refuses anything but four digits.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


@track()
class Receipt(models.Model):
    session = models.ForeignKey(
        "cashiering.CashSession", on_delete=models.PROTECT, related_name="receipts"
    )
    drawer = models.ForeignKey(
        "cashiering.Drawer", on_delete=models.PROTECT, related_name="receipts"
    )
    number = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    posted_at = models.DateTimeField()
    total = MoneyField()
    customer_name = models.CharField(max_length=200, blank=True)
    # Set in the transaction that makes the receipt: the receipt row is written first, to
    # claim its key, and the entry is posted after the items are applied.
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Voids (same day, with a lead's approval): the number stays, marked void.
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # How many times the receipt has been printed: every print after the first is a copy.
    prints = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["drawer", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["drawer", "number"], name="cashiering_receipt_number_per_drawer"
            ),
            models.CheckConstraint(
                condition=Q(total__gt=0), name="cashiering_receipt_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True)
                | Q(voided_by__isnull=False, void_approved_by__isnull=False),
                name="cashiering_receipt_void_approved",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.drawer.code}-{self.number:06d}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def is_reversed(self) -> bool:
        """Reversed by a supervisor after its session closed (a ReceiptReversal row)."""
        return hasattr(self, "reversal")


@track()
class ReceiptItem(models.Model):
    """One thing paid: a payment target (its registered kind and reference) and what of
    the receipt went to it."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="items")
    line = models.PositiveSmallIntegerField()
    target_kind = models.CharField(max_length=40)
    target_reference = models.CharField(max_length=60)
    description = models.CharField(max_length=250)
    customer = models.CharField(max_length=200, blank=True)
    amount = MoneyField()
    # The receivable or revenue account the target credited (the first, if several).
    account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["receipt", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["receipt", "line"], name="cashiering_receiptitem_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="cashiering_receiptitem_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class TenderKind(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    CARD = "card", "Card"
    MONEY_ORDER = "money_order", "Money order"


@track()
class ReceiptTender(models.Model):
    """How the customer paid: one row a tender (a split payment has several)."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="tenders")
    kind = models.CharField(max_length=12, choices=TenderKind.choices)
    # What was handed over; for cash, the change given back is apart from it, so the
    # tender applied to the receipt is amount - change_given.
    amount = MoneyField()
    change_given = MoneyField(default=0)
    check_number = models.CharField(max_length=20, blank=True)
    card_last_four = models.CharField(max_length=4, blank=True)
    authorization_code = models.CharField(max_length=12, blank=True)
    reference = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["receipt", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="cashiering_receipttender_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(change_given__gte=0, change_given__lt=models.F("amount"))
                & (Q(kind="cash") | Q(change_given=0)),
                name="cashiering_receipttender_change_only_cash",
            ),
            # Never a full card number: four digits exactly, and only on a card.
            models.CheckConstraint(
                condition=(Q(kind="card") & Q(card_last_four__regex=r"^[0-9]{4}$"))
                | (~Q(kind="card") & Q(card_last_four="")),
                name="cashiering_receipttender_card_last_four",
            ),
            models.CheckConstraint(
                condition=~Q(kind="check") | ~Q(check_number=""),
                name="cashiering_receipttender_check_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    @property
    def applied(self):
        return self.amount - self.change_given
