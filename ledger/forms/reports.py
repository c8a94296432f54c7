from django import forms

from ledger.models import FiscalPeriod, Fund
from ledger.queries.reports import periods_in_order
from millbrae_finance.forms import BookDateField


def _period_field(label: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label, queryset=FiscalPeriod.objects.none())


class PeriodRangeForm(forms.Form):
    first = _period_field("From period")
    last = _period_field("Through period")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model is FiscalPeriod:
                field.queryset = periods_in_order()

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last and _key(first) > _key(last):
            self.add_error("last", "The last period is before the first.")
        return cleaned


def _key(period: FiscalPeriod) -> tuple[int, int]:
    return (period.fiscal_year.year, period.number)


class TrialBalanceForm(PeriodRangeForm):
    fund = forms.ModelChoiceField(
        label="Fund",
        queryset=Fund.objects.order_by("code"),
        required=False,
        empty_label="All funds",
    )


def _fund_field() -> forms.ModelChoiceField:
    # A statement opens at once for all funds together; choosing a fund narrows it.
    return forms.ModelChoiceField(
        label="Fund",
        queryset=Fund.objects.order_by("code"),
        required=False,
        empty_label="All funds",
        help_text="All funds together unless you choose one.",
    )


class RevenueExpenditureForm(PeriodRangeForm):
    fund = _fund_field()


class BalanceSheetForm(PeriodRangeForm):
    """A balance sheet is as of the end of one period: `first` is not asked for."""

    first = None
    last = _period_field("As of the end of")
    fund = _fund_field()


class AsOfDateForm(forms.Form):
    as_of = BookDateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}))
