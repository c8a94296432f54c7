"""Bank deposits: verified drawer sessions taken to the bank together.

A deposit keeps cash and checks apart: the cash is the currency and coin the clerks
counted, less the floats that stay in the drawers; the checks (and money orders) are
listed one by one with their payers. Card payments reach the bank through the card
processor, not on the slip, but they sat in cash in drawers like every tender, so the
deposit moves them to cash in bank beside the slip.

What a deposit holds is one table per source: `DepositSession` now; a later source (a
mail or lockbox batch) gets its own table beside it, with its own one-to-one column, and
its checks go in `DepositCheck` with that source named. The one-to-one column is the
database's guarantee that a session (or a batch) is deposited once.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


@track()
class Deposit(models.Model):
    """One trip to the bank: a slip for one bank account on one day."""

    deposit_date = models.DateField()
    # The cash-in-bank account of the chart the deposit goes to (object 1010).
    bank_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    bank_name = models.CharField(max_length=100)
    # Cash: the currency and coin counted, less the floats kept in the drawers.
    currency_total = MoneyField()
    coin_total = MoneyField()
    floats_kept = MoneyField()
    cash_total = MoneyField()
    # Checks and money orders, listed in DepositCheck.
    check_count = models.PositiveIntegerField()
    check_total = MoneyField()
    # Card payments settled to the account by the processor (not on the slip).
    card_total = MoneyField()
    total = MoneyField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    # Set in the transaction that makes the deposit: the row claims the key first.
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-deposit_date", "-id"]
        constraints = [
            # The slip foots: cash is currency and coin less the floats; the total is cash,
            # checks and cards.
            models.CheckConstraint(
                condition=Q(cash_total=F("currency_total") + F("coin_total") - F("floats_kept")),
                name="cashiering_deposit_cash_foots",
            ),
            models.CheckConstraint(
                condition=Q(total=F("cash_total") + F("check_total") + F("card_total")),
                name="cashiering_deposit_total_foots",
            ),
            models.CheckConstraint(
                condition=Q(total__gt=0, check_total__gte=0, card_total__gte=0),
                name="cashiering_deposit_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"DEP-{self.pk:06d}"


@track()
class DepositSession(models.Model):
    """A verified drawer session in a deposit; one deposit a session (one-to-one)."""

    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="session_rows")
    session = models.OneToOneField(
        "cashiering.CashSession", on_delete=models.PROTECT, related_name="deposit_row"
    )
    # What the session moves from cash in drawers: all it counted less its float.
    amount = MoneyField()

    class Meta:
        ordering = ["deposit", "session"]

    def __str__(self) -> str:
        return f"Session {self.session_id} in deposit {self.deposit_id}"


class DepositCheckKind(models.TextChoices):
    CHECK = "check", "Check"
    MONEY_ORDER = "money_order", "Money orders"


@track()
class DepositCheck(models.Model):
    """A check on the slip (or the money orders of a session, as one line): number,
    payer, amount, and the source it came from."""

    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="checks")
    line = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=DepositCheckKind.choices)
    # The source: a session now; a mail batch later gets its own nullable column here.
    session = models.ForeignKey(
        "cashiering.CashSession", on_delete=models.PROTECT, null=True, related_name="+"
    )
    check_number = models.CharField(max_length=20, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    amount = MoneyField()

    class Meta:
        ordering = ["deposit", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["deposit", "line"], name="cashiering_depositcheck_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="cashiering_depositcheck_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="check") | ~Q(check_number=""),
                name="cashiering_depositcheck_check_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.check_number}: {self.amount}"
