from django import forms
from django.core.validators import RegexValidator


class PeriodStatusForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text="Why the period is closed or reopened; kept in the audit trail.",
    )


class FiscalYearForm(forms.Form):
    year = forms.IntegerField(
        label="Fiscal year",
        min_value=2000,
        max_value=2100,
        help_text="Named for the year it ends in: FY 2028 runs July 1, 2027 to June 30, 2028.",
    )


class YearEndCloseForm(forms.Form):
    """The confirmation of a year-end close: the one-time key made when the preview was
    shown, and the fingerprint of the lines it showed."""

    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        max_length=60,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$")],
    )
    digest = forms.CharField(
        widget=forms.HiddenInput, max_length=64, validators=[RegexValidator(r"^[0-9a-f]{64}$")]
    )
