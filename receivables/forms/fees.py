"""Forms of the fee schedule and the fee calculator: input parsing and validation only."""

import re

from django import forms
from django.core.exceptions import ValidationError

from ledger.models import Account, AccountType
from millbrae_finance.forms import BookDateField, EntryForm
from receivables.models import CitationKind, Fee, FeeRule, FeeStatus
from receivables.queries.fees import Tier
from receivables.services.fees import MAX_TIERS

FEE_STATUS_CHOICES = [("", "Any status"), *FeeStatus.choices]
FEE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,29}")


class FeeFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Code or description", "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(label="Status", choices=FEE_STATUS_CHOICES, required=False)
    on_date = BookDateField(
        label="In effect on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class FeeForm(EntryForm):
    """A draft fee version; tiers as up to five rows of "up to / rate" (the last row may
    leave "up to" blank: no upper limit)."""

    code = forms.CharField(
        max_length=30,
        help_text="Capitals, digits and dashes, e.g. FALSE-ALARM. A new rate is a new "
        "version with the same code.",
    )
    description = forms.CharField(max_length=200)
    revenue_account = forms.ModelChoiceField(
        queryset=Account.objects.postable().filter(account_type=AccountType.REVENUE),
        label="Revenue account",
    )
    violation_kind = forms.ChoiceField(
        label="Violation of",
        choices=[("", "— not a violation —"), *CitationKind.choices],
        required=False,
        help_text="A citation's violation code: its flat amount is the fine.",
    )
    rule = forms.ChoiceField(label="Calculation rule", choices=FeeRule.choices)
    amount = forms.DecimalField(
        label="Flat amount ($)", required=False, max_digits=14, decimal_places=2
    )
    rate = forms.DecimalField(
        label="Rate",
        required=False,
        max_digits=12,
        decimal_places=6,
        help_text="Dollars per unit, or a percentage (10 means 10%).",
    )
    unit_name = forms.CharField(
        label="Unit name",
        max_length=40,
        required=False,
        initial="unit",
        help_text="What is counted: hour, alarm, item.",
    )
    minimum = forms.DecimalField(
        label="Minimum ($)", required=False, max_digits=14, decimal_places=2
    )
    maximum = forms.DecimalField(
        label="Maximum ($)", required=False, max_digits=14, decimal_places=2
    )
    effective_from = BookDateField(
        label="Effective from", widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_to = BookDateField(
        label="Effective through",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: until replaced.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for number in range(1, MAX_TIERS + 1):
            self.fields[f"tier_{number}_up_to"] = forms.DecimalField(
                label=f"Tier {number} up to", required=False, max_digits=14, decimal_places=3
            )
            self.fields[f"tier_{number}_rate"] = forms.DecimalField(
                label=f"Tier {number} rate ($)", required=False, max_digits=12, decimal_places=6
            )

    @staticmethod
    def initial_for(fee: Fee) -> dict:
        initial = {
            name: getattr(fee, name)
            for name in (
                "code",
                "description",
                "revenue_account",
                "rule",
                "amount",
                "rate",
                "unit_name",
                "violation_kind",
                "minimum",
                "maximum",
                "effective_from",
                "effective_to",
                "notes",
            )
        }
        for number, tier in enumerate(fee.tiers.all(), start=1):
            initial[f"tier_{number}_up_to"] = tier.up_to
            initial[f"tier_{number}_rate"] = tier.rate
        return initial

    def tier_rows(self) -> list[tuple]:
        return [
            (self[f"tier_{number}_up_to"], self[f"tier_{number}_rate"])
            for number in range(1, MAX_TIERS + 1)
        ]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not FEE_CODE.fullmatch(code):
            raise ValidationError("Use capitals, digits and dashes, for example FALSE-ALARM.")
        return code

    def clean(self) -> dict:
        cleaned = super().clean()
        tiers = []
        for number in range(1, MAX_TIERS + 1):
            up_to = cleaned.get(f"tier_{number}_up_to")
            rate = cleaned.get(f"tier_{number}_rate")
            if up_to is None and rate is None:
                continue
            if rate is None:
                self.add_error(f"tier_{number}_rate", f"Tier {number} needs its rate.")
                continue
            tiers.append(Tier(up_to=up_to, rate=rate))
        cleaned["tiers"] = tiers
        return cleaned


class FeeCalculatorForm(EntryForm):
    code = forms.ChoiceField(label="Fee")
    on_date = BookDateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The fee in effect on this day is used.",
    )
    units = forms.DecimalField(
        label="Units",
        required=False,
        max_digits=14,
        decimal_places=3,
        help_text="For per-unit and tiered fees: hours, alarms, items.",
    )
    base = forms.DecimalField(
        label="Base amount ($)",
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="For percentage fees: the amount the percentage applies to.",
    )

    def __init__(self, *args, codes: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [("", "Choose a fee"), *codes]
