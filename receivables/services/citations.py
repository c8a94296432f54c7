"""Citations and fines. Entering a parking or administrative citation posts its fine to
fines AR against the violation's revenue account, at the amount the fee schedule had in
effect on the issue date. After that: the hearing or appeal status a clerk records,
dismissal and reduction by a Finance Supervisor (the money side posts through the fines
AR subledger), and attaching the registered owner or respondent as a customer.

Each action locks the citation row first (select_for_update), so a dismissal, a
reduction, a penalty batch and a payment on the same citation run one after another.
"""

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

import pghistory
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.models import Account
from millbrae_finance.money import ZERO, to_money
from millbrae_finance.roles import has_role
from receivables.models import (
    CITATION_DECIDERS,
    HEARING_HOLDS,
    HEARING_TRANSITIONS,
    ArKind,
    ArTransaction,
    Citation,
    CitationKind,
    CitationStatus,
    Customer,
    Fee,
    HearingStatus,
    ReferralStatus,
    wrong_kind,
)
from receivables.queries.citations import open_parts
from receivables.queries.fees import fee_in_effect
from receivables.services.subledger import post_movement

# The statuses a clerk records; a decision that reduces or dismisses goes through the
# supervisor's reduce_citation / dismiss_citation, which post the money side.
CLERK_HEARING_STATUSES = (HearingStatus.REQUESTED, HearingStatus.SCHEDULED, HearingStatus.UPHELD)
MAX_REASON = 200
# A hearing is scheduled within a year from today.
MAX_HEARING_DAYS_AHEAD = 365


NUMBER_PATTERN = re.compile(r"^[A-Z0-9-]{3,20}$")
PLATE_PATTERN = re.compile(r"^[A-Z0-9]{1,8}$")


def issue_citation(
    *,
    number: str,
    kind: str,
    issue_date: dt.date,
    violation_code: str,
    customer: Customer | None = None,
    respondent_name: str = "",
    plate: str = "",
    plate_state: str = "CA",
    location: str = "",
    officer: str = "",
    notes: str = "",
    actor: AbstractBaseUser,
) -> Citation:
    """Enter a citation from the officer's book: its fine is owed from the issue date.
    The citation number is the idempotency key: entering the same one twice is refused
    (or, for the identical citation, returns the first)."""
    number = number.strip().upper()
    plate = re.sub(r"[\s-]", "", plate).upper()
    errors: dict[str, str] = {}
    if not NUMBER_PATTERN.match(number):
        errors["number"] = "A citation number is 3 to 20 letters, digits or dashes."
    if kind not in CitationKind.values:
        errors["kind"] = "Choose parking or administrative."
    if issue_date > timezone.localdate():
        errors["issue_date"] = (
            f"{issue_date:%Y-%m-%d} is after today: enter the date written on the citation."
        )
    fee = fee_in_effect(violation_code, issue_date) if violation_code.strip() else None
    code = violation_code.strip().upper()
    if not code:
        errors["violation_code"] = "Choose the violation code written on the citation."
    elif fee is None and not Fee.objects.approved().filter(code=code).exists():
        errors["violation_code"] = f"{code[:30]} is not a violation code in the fee schedule."
    elif fee is None:
        errors["violation_code"] = (
            f"{code} has no approved amount in effect on {issue_date:%Y-%m-%d}, the issue date."
        )
    elif not fee.violation_kind:
        errors["violation_code"] = f"{fee.code} is not a violation code."
    elif fee.amount is None:
        errors["violation_code"] = f"{fee.code} is not a flat fine: choose a violation code."
    elif kind in CitationKind.values and fee.violation_kind != kind:
        errors["violation_code"] = wrong_kind(fee, kind)
    if plate and not PLATE_PATTERN.match(plate):
        errors["plate"] = "A plate is 1 to 8 letters and digits."
    if kind == CitationKind.PARKING and not plate:
        errors["plate"] = "A parking citation names the vehicle's plate."
    if kind == CitationKind.ADMINISTRATIVE and customer is None and not respondent_name.strip():
        errors["respondent_name"] = "Name the respondent, or choose the customer."
    if customer is not None and (customer.merged_into_id or not customer.is_active):
        errors["customer"] = f"{customer.number} is not an active customer."
    if "number" not in errors and Citation.objects.filter(number=number).exists():
        errors["number"] = f"Citation {number} was already entered."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic(durable=True):
            citation = Citation.objects.create(
                number=number,
                kind=kind,
                issue_date=issue_date,
                violation=fee,
                customer=customer,
                respondent_name=respondent_name.strip(),
                plate=plate,
                plate_state=(plate_state or "").strip().upper()[:2],
                location=location.strip(),
                officer=officer.strip(),
                notes=notes,
                fine_amount=fee.amount,
                entered_by=actor,
            )
            movement = post_movement(
                citation,
                kind=ArKind.CHARGE,
                offsets=[(fee.revenue_account, fee.amount)],
                transaction_date=issue_date,
                memo=f"Citation {number}: {fee.description}",
                reference=number,
                idempotency_key=f"receivables-citation-{number}",
                actor=actor,
            )
            citation.journal_entry_id = movement.journal_entry_id
            citation.save(update_fields=["journal_entry"])
    except IntegrityError:
        # Two clerks entered the same number at once: the first one stands.
        if Citation.objects.filter(number=number).exists():
            raise ValidationError({"number": f"Citation {number} was already entered."}) from None
        raise
    return citation


def _locked(citation: Citation) -> Citation:
    return (
        Citation.objects.select_for_update(of=("self",))
        .select_related("violation__revenue_account", "customer")
        .get(pk=citation.pk)
    )


def _note_line(actor: AbstractBaseUser, text: str) -> str:
    return f"{timezone.localdate():%Y-%m-%d} {actor.get_username()}: {text}"


def _append_note(citation: Citation, line: str) -> None:
    citation.notes = f"{citation.notes.rstrip()}\n{line}".strip()


def set_hearing_status(
    citation: Citation,
    *,
    status: str,
    hearing_date: dt.date | None = None,
    note: str = "",
    actor: AbstractBaseUser,
) -> Citation:
    """Record a review request, a hearing date or an upheld decision. While a review or
    hearing is pending the citation does not escalate (HEARING_HOLDS)."""
    note = note.strip()
    if status in (HearingStatus.REDUCED, HearingStatus.DISMISSED):
        raise ValidationError(
            {
                "status": "A reduced or dismissed decision is recorded by a Finance "
                "Supervisor with Reduce or Dismiss, which post the money side."
            }
        )
    if status not in CLERK_HEARING_STATUSES:
        raise ValidationError({"status": "Choose a hearing status."})
    if status == HearingStatus.SCHEDULED and hearing_date is None:
        raise ValidationError({"hearing_date": "Enter the date of the hearing."})
    today = timezone.localdate()
    latest = today + dt.timedelta(days=MAX_HEARING_DAYS_AHEAD)
    if status == HearingStatus.SCHEDULED and hearing_date > latest:
        raise ValidationError(
            {
                "hearing_date": f"{hearing_date:%Y-%m-%d} is more than a year away: a "
                f"hearing is scheduled by {latest:%Y-%m-%d}."
            }
        )
    with transaction.atomic(durable=True):
        citation = _locked(citation)
        if citation.status != CitationStatus.OPEN:
            raise ValidationError(
                f"Citation {citation.number} is {citation.get_status_display().lower()}: "
                "its hearing status no longer changes."
            )
        allowed = HEARING_TRANSITIONS[citation.hearing_status]
        if status not in allowed:
            current = citation.get_hearing_status_display().lower()
            raise ValidationError(
                {
                    "status": f"The hearing status is {current}: it cannot become "
                    f"“{HearingStatus(status).label.lower()}”."
                }
            )
        if (
            status == HearingStatus.SCHEDULED
            and hearing_date is not None
            and hearing_date < citation.issue_date
        ):
            raise ValidationError(
                {
                    "hearing_date": f"{hearing_date:%Y-%m-%d} is before the citation was "
                    f"issued ({citation.issue_date:%Y-%m-%d}): a hearing comes after."
                }
            )
        citation.hearing_status = status
        if status == HearingStatus.SCHEDULED:
            citation.hearing_date = hearing_date
        text = HearingStatus(status).label
        if status == HearingStatus.SCHEDULED:
            text += f" for {hearing_date:%Y-%m-%d}"
        _append_note(citation, _note_line(actor, f"{text}." + (f" {note}" if note else "")))
        with pghistory.context(action="set_hearing_status", note=note):
            citation.save(update_fields=["hearing_status", "hearing_date", "notes"])
    return citation


def _check_decider(citation: Citation, actor: AbstractBaseUser, reason: str) -> str:
    if not has_role(actor, *CITATION_DECIDERS):
        raise ValidationError("Only a Finance Supervisor dismisses or reduces a citation.")
    if citation.entered_by_id == actor.pk:
        # Segregation of duties: whoever entered the citation does not also forgive it.
        raise ValidationError(
            "You entered this citation: another Finance Supervisor decides on it."
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the reason goes in the audit trail."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason to {MAX_REASON} characters."})
    return reason


def dismiss_citation(citation: Citation, *, reason: str, actor: AbstractBaseUser) -> Citation:
    """Dismiss a citation: its whole remaining balance (fine and any penalties charged)
    comes off fines AR, each part back out of the revenue account it was credited to.
    Once only; a pending review or hearing is closed as dismissed, and a referral to a
    collection agency is recalled."""
    reason = _check_decider(citation, actor, reason)
    with transaction.atomic(durable=True):
        citation = _locked(citation)
        if citation.status == CitationStatus.DISMISSED:
            raise ValidationError(f"Citation {citation.number} was already dismissed.")
        if citation.status != CitationStatus.OPEN:
            raise ValidationError(f"Citation {citation.number} is void: nothing to dismiss.")
        if citation.balance <= 0:
            raise ValidationError(
                f"Nothing is owed on citation {citation.number}: it was paid, so a refund, "
                "not a dismissal, gives the money back."
            )
        by_account: dict[int, Decimal] = defaultdict(Decimal)
        accounts: dict[int, Account] = {}
        for part in open_parts(citation):
            if part.remaining > 0:
                accounts[part.account.pk] = part.account
                by_account[part.account.pk] += part.remaining
        offsets = [(accounts[pk], amount) for pk, amount in by_account.items()]
        if sum(by_account.values(), ZERO) != citation.balance:
            raise ValueError(f"Citation {citation.number}: its movements do not add up.")
        with pghistory.context(action="dismiss_citation", reason=reason):
            post_movement(
                citation,
                kind=ArKind.DISMISSAL,
                offsets=offsets,
                transaction_date=timezone.localdate(),
                memo=f"Citation {citation.number} dismissed: {reason}",
                reference=citation.number,
                idempotency_key=f"receivables-citation-{citation.pk}-dismissal",
                actor=actor,
                approved_by=actor,
            )
            citation.refresh_from_db(fields=["balance"])
            citation.status = CitationStatus.DISMISSED
            if citation.hearing_status in HEARING_HOLDS:
                citation.hearing_status = HearingStatus.DISMISSED
            _append_note(citation, _note_line(actor, f"Dismissed. {reason}"))
            citation.save(update_fields=["status", "hearing_status", "notes"])
            # Nothing is owed now: the City recalls it from a collection agency that has it.
            citation.referrals.filter(
                status__in=[ReferralStatus.REFERRED, ReferralStatus.COLLECTING]
            ).update(status=ReferralStatus.RECALLED, status_date=timezone.localdate())
    return citation


def reduce_citation(
    citation: Citation,
    *,
    new_amount: Decimal | None = None,
    amount_off: Decimal | None = None,
    reason: str,
    actor: AbstractBaseUser,
) -> Citation:
    """Reduce a citation's fine to `new_amount` (or by `amount_off`): the difference comes
    off fines AR and out of the violation's revenue account. Once only; never below what
    has been paid toward the fine, never to zero (that is a dismissal)."""
    reason = _check_decider(citation, actor, reason)
    if (new_amount is None) == (amount_off is None):
        raise ValidationError({"new_amount": "Enter the new fine, or the amount to take off."})
    with transaction.atomic(durable=True):
        citation = _locked(citation)
        if citation.status != CitationStatus.OPEN:
            raise ValidationError(
                f"Citation {citation.number} is {citation.get_status_display().lower()}: "
                "it cannot be reduced."
            )
        if ArTransaction.objects.filter(citation=citation, kind=ArKind.REDUCTION).exists():
            raise ValidationError(f"Citation {citation.number} was already reduced once.")
        fine = citation.fine_amount
        field = "new_amount" if new_amount is not None else "amount_off"
        off = to_money(fine - new_amount) if new_amount is not None else to_money(amount_off)
        if off <= 0:
            message = (
                f"The new fine must be less than ${fine:,.2f}."
                if field == "new_amount"
                else "Take off more than zero."
            )
            raise ValidationError({field: message})
        if off >= fine:
            raise ValidationError(
                {field: "A reduction leaves something owed: to forgive it all, dismiss it."}
            )
        fine_part = open_parts(citation)[0]
        if off > fine_part.remaining:
            floor = fine - fine_part.remaining
            raise ValidationError(
                {
                    field: f"${floor:,.2f} of the fine has been paid: the fine cannot be "
                    f"reduced below that (at most ${fine_part.remaining:,.2f} off)."
                }
            )
        with pghistory.context(action="reduce_citation", reason=reason):
            post_movement(
                citation,
                kind=ArKind.REDUCTION,
                offsets=[(citation.violation.revenue_account, off)],
                transaction_date=timezone.localdate(),
                memo=f"Citation {citation.number} reduced by {off:,.2f}: {reason}",
                reference=citation.number,
                idempotency_key=f"receivables-citation-{citation.pk}-reduction",
                actor=actor,
                approved_by=actor,
            )
            citation.refresh_from_db(fields=["balance"])
            if citation.hearing_status in HEARING_HOLDS:
                citation.hearing_status = HearingStatus.REDUCED
            _append_note(
                citation, _note_line(actor, f"Reduced from ${fine:,.2f} by ${off:,.2f}. {reason}")
            )
            citation.save(update_fields=["hearing_status", "notes"])
    return citation


def assign_citation_customer(
    citation: Citation, *, customer: Customer, actor: AbstractBaseUser
) -> Citation:
    """Attach the registered owner or respondent: the citation and every movement of it
    belong to the customer from now on (their aging, statement and balance show it)."""
    if customer.merged_into_id or not customer.is_active:
        raise ValidationError({"customer": f"{customer.number} is not an active customer."})
    with transaction.atomic(durable=True):
        citation = _locked(citation)
        if citation.customer_id == customer.pk:
            raise ValidationError({"customer": f"The citation is already {customer.number}'s."})
        before = citation.customer.number if citation.customer_id else "nobody"
        citation.customer = customer
        _append_note(citation, _note_line(actor, f"Customer {before} → {customer.number}."))
        with pghistory.context(action="assign_citation_customer"):
            citation.save(update_fields=["customer", "notes"])
            # ArTransaction is append-only except its customer (a trigger enforces it).
            ArTransaction.objects.filter(citation=citation).update(customer=customer)
    return citation
