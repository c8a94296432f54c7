"""Forms of the penalty screens: input parsing only; the services judge the terms."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger.models import Account, AccountType
from millbrae_finance.forms import BookDateField, EntryForm
from receivables.models import CitationKind, PenaltyAppliesTo, PenaltyCalculation, PenaltyRule
from receivables.services.penalties import RULE_FIELDS

RULE_STATUS_CHOICES = [("", "Active"), ("inactive", "Inactive"), ("all", "All")]


def new_batch_key() -> str:
    """A one-time key, made when the Post button is shown and carried in its form."""
    return f"penalty-batch-{secrets.token_urlsafe(18)}"


class RevenueAccountField(forms.ModelChoiceField):
    """A revenue account by number and its object's name (the fund is in the number),
    short enough for the form's width."""

    def label_from_instance(self, obj: Account) -> str:
        return f"{obj.number} {obj.name.split(': ', 1)[-1]}"


class PenaltyRuleFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Code or name", "autocomplete": "off"}
        ),
    )
    applies_to = forms.ChoiceField(
        label="Applies to",
        choices=[("", "Invoices and citations"), *PenaltyAppliesTo.choices],
        required=False,
    )
    status = forms.ChoiceField(label="Status", choices=RULE_STATUS_CHOICES, required=False)


class PenaltyRuleForm(EntryForm):
    code = forms.CharField(max_length=30, help_text="Capitals, digits and dashes, e.g. PKG-LATE-1.")
    name = forms.CharField(max_length=200, help_text="As it prints on a statement.")
    applies_to = forms.ChoiceField(label="Applies to", choices=PenaltyAppliesTo.choices)
    citation_kind = forms.ChoiceField(
        label="Kind of citation",
        choices=[("", "Every kind"), *CitationKind.choices],
        required=False,
        help_text="Citation rules only.",
    )
    days_after = forms.IntegerField(
        label="Days after",
        min_value=0,
        max_value=32767,
        help_text="Counted from an invoice's due date or a citation's issue date.",
    )
    calculation = forms.ChoiceField(label="Calculation", choices=PenaltyCalculation.choices)
    amount = forms.DecimalField(
        label="Flat amount ($)", required=False, max_digits=14, decimal_places=2
    )
    rate = forms.DecimalField(
        label="Rate (%)",
        required=False,
        max_digits=12,
        decimal_places=6,
        help_text="For percentages: 10 means 10%.",
    )
    repeat_every_days = forms.IntegerField(
        label="Repeat every (days)",
        required=False,
        min_value=0,
        max_value=32767,
        help_text="Interest: 30 charges again every 30 days. Blank: once.",
    )
    max_occurrences = forms.IntegerField(
        label="At most (times)",
        required=False,
        min_value=0,
        max_value=32767,
        help_text="Repeating rules only. Blank: no limit.",
    )
    revenue_account = RevenueAccountField(
        queryset=Account.objects.postable()
        .filter(account_type=AccountType.REVENUE)
        .order_by("number"),
        label="Revenue account",
    )
    effective_from = BookDateField(
        label="Effective from", widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_to = BookDateField(
        label="Effective through",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: until changed.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["is_active"] = forms.BooleanField(
                label="Active",
                required=False,
                help_text="Clear to deactivate: the batch stops charging the rule.",
            )

    @staticmethod
    def initial_for(rule: PenaltyRule) -> dict:
        fields = (*RULE_FIELDS, "is_active")
        initial = {name: getattr(rule, name) for name in fields}
        if rule.rate is not None:
            initial["rate"] = rule.rate.normalize()
        return initial

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class PenaltyBatchForm(forms.Form):
    batch_date = BookDateField(
        label="Batch date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Penalties due by the end of this day are charged, dated this day.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)


class PenaltyPostForm(PenaltyBatchForm):
    """The Post button: the date previewed and the one-time key shown with it."""

    def clean_batch_date(self):
        day = self.cleaned_data["batch_date"]
        if day > timezone.localdate():
            raise ValidationError(
                f"{day:%Y-%m-%d} has not come yet: penalties are charged once they are due."
            )
        return day

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not key:
            raise ValidationError("The form expired: preview again, then post.")
        return key
