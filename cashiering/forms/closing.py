"""The close form: the cash counted by denomination, the checks one by one (the expected
list filled in to confirm or correct), the card and money-order totals."""

from decimal import Decimal

from django import forms

from cashiering.models.counts import denomination_label
from cashiering.services.closing import (
    DENOMINATIONS,
    MAX_QUANTITY,
    CheckCounted,
    CountSpec,
    denomination_key,
)
from millbrae_finance.money import ZERO

# Blank rows for checks the expected list does not have.
SPARE_CHECK_ROWS = 3


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class CloseCountForm(forms.Form):
    """Fields bill_100 ... coin_0_01 (counts), check_number_N / check_amount_N, card_total,
    money_order_total. A blank count is none."""

    card_total = _money("Card total")
    money_order_total = _money("Money order total")

    def __init__(self, *args, expected_checks=(), **kwargs) -> None:
        kwargs.setdefault("initial", {})
        rows = len(expected_checks) + SPARE_CHECK_ROWS
        for row, tender in enumerate(expected_checks, start=1):
            kwargs["initial"].setdefault(f"check_number_{row}", tender.check_number)
            kwargs["initial"].setdefault(f"check_amount_{row}", tender.amount)
        super().__init__(*args, **kwargs)
        self.denomination_names = []
        for kind, value in DENOMINATIONS:
            name = denomination_key(kind, value)
            self.fields[name] = forms.IntegerField(
                label=denomination_label(kind, value),
                required=False,
                min_value=0,
                max_value=MAX_QUANTITY,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric",
                        "autocomplete": "off",
                        "pattern": "[0-9]*",
                        "size": 5,
                        "data-denomination": str(value),
                    }
                ),
                error_messages={"invalid": "A count: a whole number, zero or more."},
            )
            self.denomination_names.append((name, kind, value))
        self.check_rows = rows
        for row in range(1, rows + 1):
            self.fields[f"check_number_{row}"] = forms.CharField(
                label=f"Check {row} number", required=False, max_length=20
            )
            self.fields[f"check_amount_{row}"] = _money(f"Check {row} amount")
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}_error"

    def denomination_rows(self):
        return [(self[name], kind, value) for name, kind, value in self.denomination_names]

    def check_field_rows(self):
        return [
            (row, self[f"check_number_{row}"], self[f"check_amount_{row}"])
            for row in range(1, self.check_rows + 1)
        ]

    def spec(self) -> CountSpec:
        data = self.cleaned_data
        checks = []
        for row in range(1, self.check_rows + 1):
            number = (data.get(f"check_number_{row}") or "").strip()
            amount = data.get(f"check_amount_{row}")
            if number or amount:
                checks.append((row, CheckCounted(number, amount)))
        # The service names a check by its place in the list it is given: keep the form's
        # row for each, so an error goes beside the row at fault.
        self.check_row_of = {index: row for index, (row, _) in enumerate(checks, start=1)}
        return CountSpec(
            quantities={name: data.get(name) or 0 for name, _, _ in self.denomination_names},
            checks=[check for _, check in checks],
            card_total=data.get("card_total") or ZERO,
            money_order_total=data.get("money_order_total") or ZERO,
        )

    def error_aliases(self) -> dict[str, str]:
        return {
            f"check_{index}": f"check_amount_{row}"
            for index, row in getattr(self, "check_row_of", {}).items()
        }
