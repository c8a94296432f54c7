"""The supervisor's forms after the close: reverse a receipt, record a returned check,
and find a receipt."""

from django import forms
from django.contrib.auth import get_user_model

from cashiering.forms.counter import new_receipt_key
from millbrae_finance.forms import EntryForm


class ReverseForm(EntryForm):
    reason = forms.CharField(
        label="Why is the receipt reversed?",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReturnedCheckForm(EntryForm):
    """Which check of the receipt came back, for how much, and the bank's reason."""

    tender = forms.TypedChoiceField(label="Check returned", coerce=int)
    amount = forms.DecimalField(
        label="Amount returned",
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    bank_reason = forms.CharField(
        label="Bank's reason",
        max_length=200,
        help_text="As the bank's notice says: NSF, account closed, stop payment…",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def __init__(self, *args, checks=(), **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_receipt_key())
        if len(checks) == 1:
            kwargs["initial"].setdefault("tender", checks[0].pk)
            kwargs["initial"].setdefault("amount", checks[0].amount)
        super().__init__(*args, **kwargs)
        self.checks = {check.pk: check for check in checks}
        self.fields["tender"].choices = [
            (check.pk, f"Check {check.check_number}, {check.amount:,.2f}") for check in checks
        ]


class ReceiptSearchForm(forms.Form):
    """Find receipts: by number ("D1-000042" or 42), day, clerk."""

    number = forms.CharField(label="Receipt number", required=False, max_length=30)
    day = forms.DateField(
        label="Day", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    clerk = forms.ModelChoiceField(
        label="Clerk",
        required=False,
        queryset=get_user_model()
        .objects.filter(cash_sessions__isnull=False)
        .distinct()
        .order_by("username"),
        empty_label="Any clerk",
    )
