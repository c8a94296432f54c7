"""Citations and fines: entering a parking or administrative citation posts its fine to
fines AR against the violation's revenue account, at the amount the fee schedule had in
effect on the issue date."""

import datetime as dt
import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from receivables.fees import fee_in_effect
from receivables.models import ArKind, Citation, CitationKind, Customer, Fee
from receivables.subledger import post_movement

NUMBER_PATTERN = re.compile(r"^[A-Z0-9-]{3,20}$")
PLATE_PATTERN = re.compile(r"^[A-Z0-9]{1,8}$")


def wrong_kind(fee: Fee, kind: str) -> str:
    """Why a violation code does not go on a citation of this kind."""

    def a(label: str) -> str:
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"

    theirs = CitationKind(fee.violation_kind).label.lower()
    ours = CitationKind(kind).label.lower()
    return f"{fee.code} is {a(theirs)} violation, not {a(ours)} one."


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
