"""Cash drawers and the sessions clerks work them in.

A clerk takes money only inside an open session on a drawer, opened with the float they
counted. One open session per drawer and one per clerk: partial unique indexes make the
database refuse a second, so two clerks racing to open the same drawer cannot both win.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField


@track()
class Drawer(models.Model):
    """A cash drawer at the counter; its receipts are numbered without gaps."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # The last receipt number given out from this drawer; the next receipt locks the
    # drawer row and takes this plus one, so numbers never skip or repeat.
    last_receipt_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"Drawer {self.code} ({self.name})"


class SessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    VERIFIED = "verified", "Verified"


class CashSessionQuerySet(models.QuerySet):
    def open(self) -> "CashSessionQuerySet":
        return self.filter(status=SessionStatus.OPEN)


@track()
class CashSession(models.Model):
    """One clerk's turn at one drawer, from the counted opening float to the close."""

    drawer = models.ForeignKey(Drawer, on_delete=models.PROTECT, related_name="sessions")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cash_sessions"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    opening_float = MoneyField()
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The sign-off of a closed, counted session: a lead or the supervisor, never the clerk.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = CashSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["drawer"],
                condition=Q(status="open"),
                name="cashiering_cashsession_one_open_per_drawer",
            ),
            models.UniqueConstraint(
                fields=["clerk"],
                condition=Q(status="open"),
                name="cashiering_cashsession_one_open_per_clerk",
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0),
                name="cashiering_cashsession_float_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="cashiering_cashsession_closed_has_time",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="verified", verified_by__isnull=False, verified_at__isnull=False)
                    & ~Q(verified_by=models.F("clerk"))
                )
                | (~Q(status="verified") & Q(verified_by__isnull=True, verified_at__isnull=True)),
                name="cashiering_cashsession_verified_by_other",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} on {self.drawer.code}"

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN
