"""Bill run forms: starting a run, approving one, filtering the list and the register."""

import secrets

from django import forms
from django.core.exceptions import ValidationError

from millbrae_finance.forms import BookDateField
from utility_billing.models import BillExceptionReason, BillRunStatus, Cycle


def new_run_key() -> str:
    """A one-time key, made when a form that starts or approves a run is shown."""
    return secrets.token_urlsafe(18)


def _date(label: str, help_text: str = "", *, required: bool = True) -> BookDateField:
    return BookDateField(
        label=label,
        help_text=help_text,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CycleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cycle) -> str:
        return f"{obj.code} {obj.name}"


class BillRunForm(forms.Form):
    cycle = CycleField(queryset=Cycle.objects.filter(is_active=True).order_by("code"))
    period_start = _date("First day billed", "Both days are billed, and the reads dated in them.")
    period_end = _date("Last day billed", "Usually the cycle's read day.")
    bill_date = _date("Bill date", "The bills and their ledger entries are dated this day.")
    due_date = _date(
        "Due date", "Leave blank: the bill date plus the cycle's days to pay.", required=False
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not key:
            raise ValidationError("The form expired: open it again.")
        return key


class KeyForm(forms.Form):
    """An approve (or post) button: the one-time key shown with it."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class BillRunFilterForm(forms.Form):
    cycle = CycleField(
        queryset=Cycle.objects.order_by("code"), required=False, empty_label="Every cycle"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *BillRunStatus.choices], required=False)


class RegisterFilterForm(forms.Form):
    """The register's lists: exceptions by reason, bills by account or address."""

    reason = forms.ChoiceField(
        label="Exceptions",
        choices=[("", "Every reason"), *BillExceptionReason.choices],
        required=False,
    )
    q = forms.CharField(label="Bills: account or address", required=False, max_length=100)
