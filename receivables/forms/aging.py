"""Forms of the aging, statement and notice screens: input parsing and validation only."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from millbrae_finance.forms import BookDateField
from receivables.queries.aging import AgingBy, AgingKind

DATE_WIDGET = {"type": "date"}
# The subledger starts with the City's first fiscal year on this system; a date before
# it, or far ahead, is a typing slip rather than a question anyone asks.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


def _in_range(day: dt.date) -> dt.date:
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(f"Enter a date between {EARLIEST:%Y} and {LATEST:%Y}.")
    return day


def default_period_start(as_of: dt.date) -> dt.date:
    """A statement covers the month before the as-of date's month, and that month to date."""
    first = as_of.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


class AsOfForm(forms.Form):
    as_of = BookDateField(label="As of", widget=forms.DateInput(attrs=DATE_WIDGET))

    def clean_as_of(self) -> dt.date:
        return _in_range(self.cleaned_data["as_of"])


class AgingForm(AsOfForm):
    by = forms.ChoiceField(label="By", choices=AgingBy.choices, required=False)
    kind = forms.ChoiceField(label="Receivables", choices=AgingKind.choices, required=False)

    def clean_by(self) -> str:
        return self.cleaned_data["by"] or AgingBy.CUSTOMER

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or AgingKind.ALL


class StatementForm(AsOfForm):
    """The statement period: from a start date ("from" in the query string) to the as-of
    date; `start` in cleaned_data."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = BookDateField(
            label="Period from", widget=forms.DateInput(attrs=DATE_WIDGET), required=False
        )
        self.fields["as_of"].label = "Statement date"
        self.order_fields(["from", "as_of"])

    def clean(self) -> dict:
        data = super().clean()
        as_of = data.get("as_of")
        start = data.pop("from", None)
        if as_of is None:
            return data
        start = start or default_period_start(as_of)
        if start > as_of:
            self.add_error("from", "The period starts after the statement date.")
            return data
        data["start"] = _in_range(start)
        return data


class NoticeDateForm(forms.Form):
    date = BookDateField(label="Notice date", widget=forms.DateInput(attrs=DATE_WIDGET))

    def clean_date(self) -> dt.date:
        return _in_range(self.cleaned_data["date"])
