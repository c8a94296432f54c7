"""The deposit form (the sessions, the day, the bank and its account, the one-time key)
and the daily cash report's range of days."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cashiering.queries.deposits import sessions_to_deposit
from cashiering.services.deposits import DEFAULT_BANK_NAME, cash_in_bank_accounts
from millbrae_finance.forms import BookDateField, EntryForm

# Longest range the report reads at once: a quarter is the longest a supervisor prints.
MAX_REPORT_DAYS = 92


class SessionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, session) -> str:
        return f"Session {session.pk}, drawer {session.drawer.code}"


class DepositForm(EntryForm):
    deposit_date = BookDateField(
        label="Deposit date", widget=forms.DateInput(attrs={"type": "date"})
    )
    bank_account = forms.ModelChoiceField(
        label="Cash-in-bank account", queryset=cash_in_bank_accounts(), empty_label=None
    )
    bank_name = forms.CharField(label="Bank", max_length=100)
    sessions = SessionChoice(
        label="Verified sessions",
        queryset=sessions_to_deposit(),
        widget=forms.CheckboxSelectMultiple,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", secrets.token_urlsafe(18))
        kwargs["initial"].setdefault("deposit_date", timezone.localdate())
        kwargs["initial"].setdefault("bank_name", DEFAULT_BANK_NAME)
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = cash_in_bank_accounts()
        self.fields["sessions"].queryset = sessions_to_deposit()
        accounts = list(self.fields["bank_account"].queryset[:1])
        if accounts and "bank_account" not in self.initial:
            self.initial["bank_account"] = accounts[0].pk


class DailyCashForm(forms.Form):
    date_from = BookDateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BookDateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise ValidationError({"date_to": "The range ends on or after it starts."})
            if (end - start).days >= MAX_REPORT_DAYS:
                raise ValidationError(
                    {"date_to": f"At most {MAX_REPORT_DAYS} days at once: print a quarter."}
                )
        return data
