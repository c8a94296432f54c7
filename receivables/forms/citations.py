"""Forms of the citation screens: input parsing and validation only (the services
decide what is allowed)."""

import re

from django import forms
from django.core.exceptions import ValidationError

from millbrae_finance.forms import BookDateField, EntryForm
from receivables.models import CITATION_STATES, CitationKind, Customer, HearingStatus
from receivables.queries.citations import SORT_CHOICES
from receivables.services.citations import CLERK_HEARING_STATUSES, MAX_REASON

CUSTOMER_NUMBER = re.compile(r"[cC]?\s*0*([0-9]{1,9})")
REASON_REQUIRED = "Say why: the reason goes in the audit trail."
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CitationFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Number, plate, respondent or customer",
                "autocomplete": "off",
                "autofocus": True,
            }
        ),
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[("", "All kinds"), *CitationKind.choices], required=False
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *CITATION_STATES.items()], required=False
    )
    hearing_status = forms.ChoiceField(
        label="Hearing", choices=[("", "Any"), *HearingStatus.choices], required=False
    )
    issued_from = BookDateField(label="Issued from", required=False, widget=DATE_INPUT)
    issued_to = BookDateField(label="Issued to", required=False, widget=DATE_INPUT)
    open_only = forms.BooleanField(label="Open balance only", required=False)
    sort = forms.ChoiceField(label="Sort", choices=SORT_CHOICES, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("issued_from"), cleaned.get("issued_to")
        if start and end and end < start:
            self.add_error("issued_to", "The range ends before it starts.")
        return cleaned


class CustomerNumberField(forms.CharField):
    """A customer by the number people quote (C000123, or just 123)."""

    def clean(self, value: str) -> Customer | None:
        value = super().clean(value)
        if not value:
            return None
        match = CUSTOMER_NUMBER.fullmatch(value.strip())
        customer = Customer.objects.filter(pk=int(match.group(1))).first() if match else None
        if customer is None:
            raise ValidationError(f"No customer {value.strip()[:20]}: enter a number like C000123.")
        return customer


class CitationForm(EntryForm):
    """A citation as the officer wrote it."""

    number = forms.CharField(label="Citation number", max_length=20)
    kind = forms.ChoiceField(label="Kind", choices=CitationKind.choices, initial="parking")
    issue_date = BookDateField(label="Issue date", widget=DATE_INPUT)
    # Any text gets through, so an unknown code is answered by the service beside the
    # field ("not a violation code in the fee schedule"), not by a generic choice error.
    violation_code = forms.CharField(label="Violation", max_length=30, widget=forms.Select)
    plate = forms.CharField(
        label="Plate", max_length=12, required=False, help_text="Parking: the vehicle's plate."
    )
    plate_state = forms.CharField(label="Plate state", max_length=2, required=False, initial="CA")
    respondent_name = forms.CharField(
        label="Respondent",
        max_length=200,
        required=False,
        help_text="Administrative: who was cited.",
    )
    customer = CustomerNumberField(
        label="Customer",
        max_length=20,
        required=False,
        help_text="Registered owner or respondent, if a customer: C000123.",
    )
    location = forms.CharField(label="Location", max_length=200, required=False)
    officer = forms.CharField(label="Officer / badge", max_length=60, required=False)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, violations: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["violation_code"].widget.choices = [("", "Choose the violation…"), *violations]

    def clean_plate_state(self) -> str:
        state = self.cleaned_data["plate_state"].strip().upper()
        if state and not re.fullmatch(r"[A-Z]{2}", state):
            raise ValidationError("A state is its two-letter code, for example CA.")
        return state


class HearingForm(EntryForm):
    status = forms.ChoiceField(label="Hearing status", choices=())
    hearing_date = BookDateField(
        label="Hearing date", required=False, widget=DATE_INPUT, help_text="When scheduled."
    )
    note = forms.CharField(label="Note", max_length=200, required=False)

    def __init__(self, *args, choices: tuple[str, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, HearingStatus(value).label)
            for value in CLERK_HEARING_STATUSES
            if value in choices
        ]


class DismissForm(EntryForm):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the movement and in the audit trail.",
        error_messages={"required": REASON_REQUIRED},
    )


class ReduceForm(EntryForm):
    new_amount = forms.DecimalField(
        label="New fine", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    amount_off = forms.DecimalField(
        label="Or take off", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the movement and in the audit trail.",
        error_messages={"required": REASON_REQUIRED},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if "new_amount" in self.errors or "amount_off" in self.errors:
            return cleaned
        given = [name for name in ("new_amount", "amount_off") if cleaned.get(name) is not None]
        if len(given) != 1:
            self.add_error("new_amount", "Enter the new fine, or the amount to take off (one).")
        return cleaned


class AssignCustomerForm(EntryForm):
    customer = CustomerNumberField(
        label="Customer", max_length=20, help_text="The registered owner or respondent: C000123."
    )
