"""The clerk's count of the drawer at the close: cash by denomination, the checks one by
one, the card and money-order totals; beside it, what the drawer should have held (kept
as it was at the close) and the over/short that was posted."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField

D = Decimal
# The denominations counted, bills then coins: (kind, face value, label).
BILLS = [D("100"), D("50"), D("20"), D("10"), D("5"), D("2"), D("1")]
COINS = [D("1.00"), D("0.50"), D("0.25"), D("0.10"), D("0.05"), D("0.01")]


class CountLineKind(models.TextChoices):
    BILL = "bill", "Bill"
    COIN = "coin", "Coin"
    CHECK = "check", "Check"


def denomination_label(kind: str, value: Decimal) -> str:
    """ "$20 bills", "$1 coins", "25¢ coins"."""
    if kind == CountLineKind.BILL:
        return f"${value:,.0f} bills"
    if value >= 1:
        return f"${value:,.0f} coins"
    return f"{int(value * 100)}¢ coins"


@track()
class SessionCount(models.Model):
    """One count a session, made in the step that closes it."""

    session = models.OneToOneField(
        "cashiering.CashSession", on_delete=models.PROTECT, related_name="count"
    )
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counted_at = models.DateTimeField()
    # Counted, by tender.
    cash_counted = MoneyField()
    checks_counted = MoneyField()
    card_counted = MoneyField()
    money_order_counted = MoneyField()
    # Expected, by tender, as the receipts stood at the close (cash with the float).
    cash_expected = MoneyField()
    checks_expected = MoneyField()
    card_expected = MoneyField()
    money_order_expected = MoneyField()
    # Counted less expected, all tenders: over is positive, short negative.
    over_short = MoneyField()
    # The entry that posted the over/short (none when the drawer balanced).
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cash_counted__gte=0)
                & Q(checks_counted__gte=0)
                & Q(card_counted__gte=0)
                & Q(money_order_counted__gte=0),
                name="cashiering_sessioncount_counted_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(over_short=0) | Q(journal_entry__isnull=False),
                name="cashiering_sessioncount_over_short_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"Count of session {self.session_id}"

    @property
    def counted_total(self) -> Decimal:
        return (
            self.cash_counted + self.checks_counted + self.card_counted + self.money_order_counted
        )

    @property
    def expected_total(self) -> Decimal:
        return (
            self.cash_expected
            + self.checks_expected
            + self.card_expected
            + self.money_order_expected
        )

    def by_tender(self) -> list[dict]:
        """Expected against counted and the difference, a row a tender."""
        rows = [
            ("Cash (with the float)", self.cash_expected, self.cash_counted),
            ("Checks", self.checks_expected, self.checks_counted),
            ("Card", self.card_expected, self.card_counted),
            ("Money orders", self.money_order_expected, self.money_order_counted),
        ]
        return [
            {
                "label": label,
                "expected": expected,
                "counted": counted,
                "difference": counted - expected,
            }
            for label, expected, counted in rows
        ]


@track()
class SessionCountLine(models.Model):
    """A denomination counted (its quantity) or a check listed (its number and amount)."""

    count = models.ForeignKey(SessionCount, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=5, choices=CountLineKind.choices)
    denomination = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    check_number = models.CharField(max_length=20, blank=True)
    amount = MoneyField()

    class Meta:
        ordering = ["count", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["bill", "coin"])
                    & Q(denomination__gt=0, quantity__gte=0, check_number="")
                    & Q(amount=models.F("denomination") * models.F("quantity"))
                )
                | (
                    Q(kind="check", denomination__isnull=True, quantity__isnull=True)
                    & ~Q(check_number="")
                    & Q(amount__gt=0)
                ),
                name="cashiering_sessioncountline_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"

    @property
    def label(self) -> str:
        if self.kind == CountLineKind.CHECK:
            return f"Check {self.check_number}"
        return denomination_label(self.kind, self.denomination)
