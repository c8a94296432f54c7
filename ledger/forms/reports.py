from django import forms

from ledger.models import FiscalPeriod, Fund
from ledger.queries import periods_in_order


class TrialBalanceForm(forms.Form):
    first = forms.ModelChoiceField(label="From period", queryset=FiscalPeriod.objects.none())
    last = forms.ModelChoiceField(label="Through period", queryset=FiscalPeriod.objects.none())
    fund = forms.ModelChoiceField(
        label="Fund",
        queryset=Fund.objects.order_by("code"),
        required=False,
        empty_label="All funds",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first"].queryset = periods_in_order()
        self.fields["last"].queryset = periods_in_order()

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if (
            first
            and last
            and (first.fiscal_year.year, first.number) > (last.fiscal_year.year, last.number)
        ):
            self.add_error("last", "The last period is before the first.")
        return cleaned
