"""Parking and administrative citations, their hearings, and the states people name.

A citation names its violation (a fee) by string: the fee schedule imports CitationKind
from here, since a fee is the fine of one kind of citation."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField
from millbrae_finance.roles import Role
from receivables.models.collections import WriteOff, WriteOffStatus
from receivables.models.customers import Customer


class CitationKind(models.TextChoices):
    PARKING = "parking", "Parking"
    ADMINISTRATIVE = "administrative", "Administrative"


class CitationStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    VOID = "void", "Void"  # entered in error, before anything was owed on it


class HearingStatus(models.TextChoices):
    NONE = "none", "None"
    REQUESTED = "requested", "Review requested"
    SCHEDULED = "scheduled", "Hearing scheduled"
    UPHELD = "upheld", "Upheld"
    REDUCED = "reduced", "Reduced"
    DISMISSED = "dismissed", "Dismissed"


# While a review or hearing is pending the citation does not escalate (due process: a
# respondent is not penalised for contesting).
HEARING_HOLDS = (HearingStatus.REQUESTED, HearingStatus.SCHEDULED)


# What a citation is, as people say it: the status the clerk recorded, and for one not
# dismissed or void, whether anything is still owed. Nothing owed is "Paid" unless an
# approved write-off took the balance ("Written off"): derived, never stored, so it
# cannot disagree with the balance.
CITATION_STATES = {
    "open": "Open",
    "paid": "Paid",
    "written_off": "Written off",
    CitationStatus.DISMISSED.value: CitationStatus.DISMISSED.label,
    CitationStatus.VOID.value: CitationStatus.VOID.label,
}
# The badge of each state in the app's status colours, as invoices show theirs: owed
# amber, paid green, closed grey.
CITATION_STATE_CSS = {
    "open": "status-submitted",
    "paid": "status-posted",
    "written_off": "status-closed",
    CitationStatus.DISMISSED.value: "status-closed",
    CitationStatus.VOID.value: "status-closed",
}


class CitationQuerySet(models.QuerySet):
    def open(self) -> "CitationQuerySet":
        """Citations with something still owed."""
        return self.filter(status=CitationStatus.OPEN, balance__gt=0)

    def with_state(self) -> "CitationQuerySet":
        """Each citation with `state`, a key of CITATION_STATES, computed in the query."""
        return self.annotate(
            state=models.Case(
                models.When(~Q(status=CitationStatus.OPEN), then=models.F("status")),
                models.When(balance__gt=0, then=models.Value("open")),
                models.When(_written_off(), then=models.Value("written_off")),
                default=models.Value("paid"),
                output_field=models.CharField(),
            )
        )

    def in_state(self, state: str) -> "CitationQuerySet":
        """Citations in one of CITATION_STATES (the list's status filter)."""
        settled = self.filter(status=CitationStatus.OPEN, balance=0)
        if state == "open":
            return self.open()
        if state == "paid":
            return settled.exclude(_written_off())
        if state == "written_off":
            return settled.filter(_written_off())
        return self.filter(status=state)


def _written_off() -> models.Exists:
    return models.Exists(
        WriteOff.objects.filter(citation=models.OuterRef("pk"), status=WriteOffStatus.APPROVED)
    )


@track()
class Citation(models.Model):
    """A parking or administrative citation: the violation's amount comes from the fee
    schedule version in effect on the issue date; escalation rules add late penalties."""

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=CitationKind.choices)
    issue_date = models.DateField()
    violation = models.ForeignKey(
        "receivables.Fee", on_delete=models.PROTECT, related_name="citations"
    )
    # A parking citation names a plate (the registered owner is found later, if ever); an
    # administrative citation names a respondent, usually a customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="citations"
    )
    respondent_name = models.CharField(max_length=200, blank=True)
    plate = models.CharField(max_length=10, blank=True)
    plate_state = models.CharField(max_length=2, blank=True, default="CA")
    location = models.CharField(max_length=200, blank=True)
    officer = models.CharField("officer / badge", max_length=60, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=CitationStatus.choices, default=CitationStatus.OPEN
    )
    hearing_status = models.CharField(
        max_length=10, choices=HearingStatus.choices, default=HearingStatus.NONE
    )
    hearing_date = models.DateField(null=True, blank=True)
    fine_amount = MoneyField()
    balance = MoneyField(default=Decimal("0.00"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="citations_entered"
    )
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["plate"], name="receivables_citation_plate"),
            models.Index(fields=["customer"], name="receivables_citation_customer"),
            models.Index(
                fields=["issue_date"],
                condition=Q(status="open", balance__gt=0),
                name="receivables_citation_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="receivables_citation_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(fine_amount__gt=0), name="receivables_citation_fine_positive"
            ),
            models.CheckConstraint(
                condition=~Q(plate="") | ~Q(respondent_name="") | Q(customer__isnull=False),
                name="receivables_citation_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Citation {self.number}"

    @property
    def on_hold(self) -> bool:
        return self.hearing_status in HEARING_HOLDS

    @property
    def state_label(self) -> str:
        """ "Open", "Paid", "Written off", "Dismissed" or "Void"; needs with_state()."""
        return CITATION_STATES[self.state]

    @property
    def state_css(self) -> str:
        return CITATION_STATE_CSS[self.state]


# The hearing statuses that may follow each; a decision that reduces or dismisses goes
# through the supervisor's reduce_citation / dismiss_citation.
HEARING_TRANSITIONS: dict[str, tuple[str, ...]] = {
    HearingStatus.NONE: (HearingStatus.REQUESTED, HearingStatus.SCHEDULED),
    HearingStatus.REQUESTED: (HearingStatus.SCHEDULED, HearingStatus.UPHELD),
    # Scheduled again: the hearing moved to another date.
    HearingStatus.SCHEDULED: (HearingStatus.SCHEDULED, HearingStatus.UPHELD),
    # An initial review upheld: the respondent may still ask for an administrative hearing.
    HearingStatus.UPHELD: (HearingStatus.SCHEDULED,),
    HearingStatus.REDUCED: (),
    HearingStatus.DISMISSED: (),
}
CITATION_DECIDERS = frozenset({Role.FINANCE_SUPERVISOR})
