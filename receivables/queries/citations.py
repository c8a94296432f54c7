"""Reads of the citation screens: the list and its export, one citation with its
movements, the escalation schedule, the violation codes a clerk chooses from, and what
the notice to the registered owner or respondent prints."""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from millbrae_finance.money import to_money
from receivables.models import (
    CITATION_DECIDERS,
    HEARING_HOLDS,
    HEARING_TRANSITIONS,
    ArKind,
    ArTransaction,
    Citation,
    CitationKind,
    CitationStatus,
    Fee,
    FeeRule,
    PenaltyAppliesTo,
    PenaltyCalculation,
    PenaltyRule,
    wrong_kind,
)
from receivables.queries.subledger import OpenPart
from receivables.queries.subledger import open_parts as subledger_open_parts

MAX_SEARCH_CHARS = 100
CUSTOMER_NUMBER = re.compile(r"[cC]0*([0-9]{1,9})")
# How many occurrences of a repeating rule the schedule shows when it has no limit.
SHOWN_REPEATS = 3
# A respondent has this many days from the issue date to ask for an initial review
# (California Vehicle Code 40215(a) for parking; the City's ordinance for the rest).
REVIEW_DAYS = 21

SORTS = {
    "-issue_date": ("-issue_date", "-id"),
    "issue_date": ("issue_date", "id"),
    "number": ("number",),
    "-number": ("-number",),
    "-balance": ("-balance", "-issue_date", "-id"),
    "balance": ("balance", "-issue_date", "-id"),
    "plate": ("plate", "-issue_date", "-id"),
}
SORT_CHOICES = [
    ("-issue_date", "Newest first"),
    ("issue_date", "Oldest first"),
    ("number", "Number"),
    ("-balance", "Largest balance"),
    ("balance", "Smallest balance"),
    ("plate", "Plate"),
]

CITATION_EXPORT_HEADER = [
    "number",
    "kind",
    "issue_date",
    "violation_code",
    "violation",
    "plate",
    "plate_state",
    "respondent",
    "customer",
    "customer_name",
    "location",
    "officer",
    "status",
    "hearing_status",
    "hearing_date",
    "fine_amount",
    "balance",
]
_EXPORT_LOOKUPS = [
    "number",
    "kind",
    "issue_date",
    "violation__code",
    "violation__description",
    "plate",
    "plate_state",
    "respondent_name",
    "customer_id",
    "customer__name",
    "location",
    "officer",
    "state",  # open, paid, written_off, dismissed or void (Citation.objects.with_state())
    "hearing_status",
    "hearing_date",
    "fine_amount",
    "balance",
]


def citation_list(
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    hearing_status: str = "",
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    open_only: bool = False,
    sort: str = "",
) -> QuerySet[Citation]:
    """Citations matching a search (number, plate, respondent, customer name or number)
    and the filters, in the order asked for (newest first by default)."""
    citations = Citation.objects.select_related("violation", "customer").with_state()
    text = q.replace("\x00", "").strip()[:MAX_SEARCH_CHARS]
    if text:
        token = re.sub(r"[\s-]", "", text).upper()
        found = (
            Q(number__startswith=text.upper())
            | Q(plate__startswith=token)
            | Q(respondent_name__icontains=text)
            | Q(customer__name__icontains=text)
        )
        number = CUSTOMER_NUMBER.fullmatch(text)
        if number:
            found |= Q(customer_id=int(number.group(1)))
        citations = citations.filter(found)
    if kind:
        citations = citations.filter(kind=kind)
    if status:
        citations = citations.in_state(status)
    if hearing_status:
        citations = citations.filter(hearing_status=hearing_status)
    if issued_from:
        citations = citations.filter(issue_date__gte=issued_from)
    if issued_to:
        citations = citations.filter(issue_date__lte=issued_to)
    if open_only:
        citations = citations.filter(status=CitationStatus.OPEN, balance__gt=0)
    return citations.order_by(*SORTS.get(sort, SORTS["-issue_date"]))


def citation_export_rows(citations: QuerySet[Citation]) -> Iterator[list]:
    """The export's rows: the customer by the number people quote (C000123)."""
    for row in citations.values_list(*_EXPORT_LOOKUPS).iterator(chunk_size=2000):
        row = list(row)
        customer_index = _EXPORT_LOOKUPS.index("customer_id")
        if row[customer_index] is not None:
            row[customer_index] = f"C{row[customer_index]:06d}"
        yield row


def citation_detail(pk: int) -> Citation:
    """One citation with its violation, customer and who entered it; raises
    Citation.DoesNotExist."""
    return (
        Citation.objects.select_related("violation__revenue_account", "customer", "entered_by")
        .with_state()
        .get(pk=pk)
    )


def citation_by_number(number: str) -> Citation | None:
    return Citation.objects.filter(number=number.strip().upper()).first()


def citation_movements(citation: Citation) -> list[ArTransaction]:
    """Every movement of the citation in fines AR, oldest first."""
    return list(
        ArTransaction.objects.filter(citation=citation)
        .select_related("rule", "created_by", "journal_entry")
        .order_by("transaction_date", "id")
    )


def citation_parts(citation: Citation) -> list[OpenPart]:
    """What is left of the fine and of each penalty (see open_parts)."""
    return open_parts(citation)


STATE_BADGES = {
    "charged": "status-posted",
    "due": "status-submitted",
    "upcoming": "status-draft",
    "held": "status-rejected",
    "none": "status-closed",
}


@dataclass(frozen=True)
class EscalationStep:
    """One charge an escalation rule makes (or made) on a citation."""

    rule: PenaltyRule
    occurrence: int
    charge_on: dt.date
    amount: Decimal | None  # None: a percentage of the balance on that day
    amount_text: str
    state: str  # "charged", "due", "upcoming", "held", "none"
    state_text: str

    @property
    def badge(self) -> str:
        """The badge style of its state."""
        return STATE_BADGES[self.state]

    @property
    def pay_by(self) -> dt.date:
        """The last day to pay before this charge is added."""
        return self.charge_on - dt.timedelta(days=1)


def _rule_amount(rule: PenaltyRule, citation: Citation) -> tuple[Decimal | None, str]:
    if rule.calculation == PenaltyCalculation.FLAT:
        return rule.amount, f"${rule.amount:,.2f}"
    rate = rule.rate.normalize()
    if rule.calculation == PenaltyCalculation.PERCENT_OF_ORIGINAL:
        # As the batch computes it: the fine less any reduction a hearing made.
        reduced = citation.transactions.filter(kind="reduction").aggregate(total=Sum("amount"))
        fine = max(citation.fine_amount + (reduced["total"] or 0), Decimal(0))
        amount = to_money(fine * rule.rate / Decimal(100))
        return amount, f"${amount:,.2f} ({rate:f}% of the fine)"
    return None, f"{rate:f}% of the balance then"


def citation_rules(citation: Citation) -> list[PenaltyRule]:
    """The active escalation rules for citations of this kind."""
    return list(
        PenaltyRule.objects.filter(applies_to=PenaltyAppliesTo.CITATION, is_active=True)
        .filter(Q(citation_kind="") | Q(citation_kind=citation.kind))
        .order_by("days_after", "code")
    )


def escalation_schedule(
    citation: Citation, *, today: dt.date, movements: list[ArTransaction] | None = None
) -> list[EscalationStep]:
    """Each charge the escalation rules add to this citation: on its date, how much, and
    whether it was charged, is due or upcoming, is held (a review or hearing is pending),
    or will not be (dismissed, void or paid). The penalty batch (a service) does the
    charging; this mirrors its timing."""
    if movements is None:
        movements = citation_movements(citation)
    charged = {
        (movement.rule_id, movement.occurrence): movement
        for movement in movements
        if movement.kind == ArKind.PENALTY and movement.rule_id
    }
    steps = []
    for rule in citation_rules(citation):
        limit = rule.max_occurrences or (SHOWN_REPEATS if rule.repeat_every_days else 1)
        if not rule.repeat_every_days:
            limit = 1
        amount, amount_text = _rule_amount(rule, citation)
        for occurrence in range(1, limit + 1):
            days = rule.days_after + (occurrence - 1) * (rule.repeat_every_days or 0)
            # As the batch charges: on the first batch day at least `days` past the
            # issue date on which the rule is in effect.
            charge_on = max(citation.issue_date + dt.timedelta(days=days), rule.effective_from)
            in_effect = rule.effective_to is None or charge_on <= rule.effective_to
            movement = charged.get((rule.pk, occurrence))
            if movement is None and not in_effect:
                continue
            steps.append(
                _step(citation, rule, occurrence, charge_on, amount, amount_text, movement, today)
            )
    return sorted(steps, key=lambda step: (step.charge_on, step.rule.code, step.occurrence))


def _step(citation, rule, occurrence, charge_on, amount, amount_text, movement, today):
    if movement is not None:
        state = "charged"
        text = f"Charged {movement.transaction_date:%Y-%m-%d}"
        amount, amount_text = movement.amount, f"${movement.amount:,.2f}"
    elif citation.status == CitationStatus.DISMISSED:
        state, text = "none", "Not charged: dismissed"
    elif citation.status == CitationStatus.VOID:
        state, text = "none", "Not charged: void"
    elif citation.balance <= 0:
        state, text = "none", "Not charged: paid"
    elif citation.hearing_status in HEARING_HOLDS:
        state, text = "held", f"Held: {citation.get_hearing_status_display().lower()}"
    elif charge_on <= today:
        state, text = "due", "Due: the next penalty batch charges it"
    else:
        state, text = "upcoming", "Upcoming"
    return EscalationStep(rule, occurrence, charge_on, amount, amount_text, state, text)


def violation_choices(on_date: dt.date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The violation codes a clerk picks from, grouped by the citation kind they are the
    fine of (the fee schedule's "violation of"): approved flat fees, each with its
    description and the amount in effect on the day (or its latest amount)."""
    versions = (
        Fee.objects.approved()
        .filter(rule=FeeRule.FLAT)
        .exclude(violation_kind="")
        .order_by("code", "-effective_from")
    )
    chosen: dict[str, Fee] = {}
    for fee in versions:
        in_effect = fee.effective_from <= on_date and (
            fee.effective_to is None or on_date <= fee.effective_to
        )
        # The version in effect on the day, else the newest one.
        if fee.code not in chosen or in_effect:
            chosen[fee.code] = fee
    groups = []
    for kind, label in CitationKind.choices:
        codes = [
            (code, f"{code} · {fee.description} · ${fee.amount:,.2f}")
            for code, fee in chosen.items()
            if fee.violation_kind == kind
        ]
        if codes:
            groups.append((label, codes))
    return groups


@dataclass(frozen=True)
class FineLookup:
    fee: Fee | None
    message: str


def fine_on(code: str, on_date: dt.date | None, kind: str = "") -> FineLookup:
    """The fine a violation code carries on an issue date, or why there is none (also
    when the code is the violation of another kind of citation than `kind`)."""
    from receivables.queries.fees import fee_in_effect

    code = code.replace("\x00", "").strip().upper()[:30]
    if not code:
        return FineLookup(None, "Choose the violation to see its fine.")
    if on_date is None:
        return FineLookup(None, "Enter the issue date to see the fine on that day.")
    fee = fee_in_effect(code, on_date)
    if fee is None or fee.amount is None:
        return FineLookup(None, f"{code} has no approved fine in effect on {on_date:%Y-%m-%d}.")
    if not fee.violation_kind:
        return FineLookup(None, f"{code} is not a violation code.")
    if kind in CitationKind.values and fee.violation_kind != kind:
        return FineLookup(None, wrong_kind(fee, kind))
    return FineLookup(fee, "")


@dataclass(frozen=True)
class CitationPermissions:
    can_edit: bool
    can_decide: bool
    hearing_choices: tuple[str, ...]


def citation_permissions(citation: Citation, roles: frozenset, user_pk: int) -> CitationPermissions:
    """What a user may do on a citation's page (the views check again on POST)."""
    from millbrae_finance.roles import FINANCE_STAFF

    is_open = citation.status == CitationStatus.OPEN
    staff = bool(roles & FINANCE_STAFF)
    decides = bool(roles & CITATION_DECIDERS) and citation.entered_by_id != user_pk
    return CitationPermissions(
        can_edit=staff and is_open,
        can_decide=decides and is_open and citation.balance > 0,
        hearing_choices=HEARING_TRANSITIONS[citation.hearing_status] if is_open else (),
    )


@dataclass(frozen=True)
class CitationNotice:
    citation: Citation
    amount_due: Decimal
    review_by: dt.date
    next_penalty: EscalationStep | None
    schedule: list[EscalationStep]
    addressee: list[str]


def citation_notice(citation: Citation, *, today: dt.date) -> CitationNotice:
    """What the notice to the registered owner or respondent prints."""
    schedule = escalation_schedule(citation, today=today)
    upcoming = [step for step in schedule if step.state == "upcoming"]
    customer = citation.customer
    if customer is not None:
        addressee = [customer.name]
        if customer.care_of:
            addressee.append(f"c/o {customer.care_of}")
        addressee += [line for line in (customer.address_line1, customer.address_line2) if line]
        if customer.city:
            addressee.append(f"{customer.city}, {customer.state} {customer.postal_code}".strip())
    elif citation.respondent_name:
        addressee = [citation.respondent_name]
    else:
        addressee = [f"Registered owner of {citation.plate_state} plate {citation.plate}"]
    return CitationNotice(
        citation=citation,
        amount_due=citation.balance,
        review_by=citation.issue_date + dt.timedelta(days=REVIEW_DAYS),
        next_penalty=upcoming[0] if upcoming else None,
        schedule=schedule,
        addressee=addressee,
    )


def open_parts(citation: Citation) -> list[OpenPart]:
    """The fine and each penalty charged, with what is left of each (see
    subledger.open_parts); the fine named and on the violation's revenue account."""
    fine_account = citation.violation.revenue_account
    return [
        replace(part, label=f"Fine ({citation.violation.code})", account=fine_account)
        if not part.label  # the charge: the fine itself
        else replace(part, account=part.account or fine_account)
        for part in subledger_open_parts(citation)
    ]
