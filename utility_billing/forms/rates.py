"""Forms of the rate screens: a schedule, a version and its charge lines, and the bill
calculator. Input parsing and validation only."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.urls import reverse

from ledger.models import Account
from millbrae_finance.forms import BookDateField, EntryForm
from utility_billing.models import ChargeKind, MeterSize, ServiceClass, ServiceKind
from utility_billing.queries.rates import CALCULATOR_SERVICES
from utility_billing.rating import problems_with_charges
from utility_billing.services.rates import MAX_CHARGE_LINES, ChargeSpec, revenue_account_refusal

CHARGES_PREFIX = "charges"
BLANK_ROWS_NEW = 4  # a new version without JavaScript: this many rows to fill in
ACCOUNT_OPTIONS_ID = "revenue-account-options"
CHARGE_FIELDS = (
    "kind",
    "description",
    "meter_size",
    "tier_from",
    "tier_to",
    "rate",
    "revenue_account",
    "capped_by_winter_average",
)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _quantity(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=3,
        min_value=Decimal(0),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class RateScheduleForm(EntryForm):
    code = forms.CharField(
        max_length=20, help_text="Capitals, digits and dashes, e.g. W-SFR (water, single-family)."
    )
    name = forms.CharField(max_length=100)
    service_kind = forms.ChoiceField(label="Service", choices=ServiceKind.choices)
    service_class = forms.ChoiceField(
        label="Class",
        choices=[("", "Every class"), *ServiceClass.choices],
        required=False,
        help_text="Every class: a charge all parcels pay alike (storm drain).",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RateVersionForm(EntryForm):
    effective_from = BookDateField(label="Effective from", widget=_date_input())
    effective_to = BookDateField(
        label="Effective to",
        widget=_date_input(),
        required=False,
        help_text="Blank: until a later version. Approving a later version ends this one "
        "the day before it starts.",
    )
    authority = forms.CharField(
        label="Adopted by",
        max_length=200,
        required=False,
        help_text="The resolution or ordinance, e.g. Resolution 25-41.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("effective_from"), cleaned.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", "The rates cannot end before they start.")
        return cleaned


class ChargeLineForm(forms.Form):
    kind = forms.ChoiceField(
        label="Charge", choices=[("", "—"), *ChargeKind.choices], required=False
    )
    description = forms.CharField(label="Shown on the bill as", max_length=100, required=False)
    meter_size = forms.ChoiceField(
        label="Meter size", choices=[("", "Any"), *MeterSize.choices], required=False
    )
    tier_from = _quantity("From HCF", required=False)
    tier_to = _quantity("To HCF", required=False)
    rate = forms.DecimalField(
        label="Rate ($)",
        max_digits=12,
        decimal_places=6,
        min_value=Decimal(0),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    revenue_account = forms.CharField(label="Revenue account", max_length=160, required=False)
    capped_by_winter_average = forms.BooleanField(label="Capped by winter average", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["revenue_account"].widget.attrs.update(
            {
                "list": ACCOUNT_OPTIONS_ID,
                "autocomplete": "off",
                "placeholder": "Number or name",
                "class": "account",
                # Search as you type: the matches fill the shared <datalist>.
                "hx-get": reverse("utility_billing:revenue_account_search"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{ACCOUNT_OPTIONS_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        for name in ("tier_from", "tier_to", "rate"):
            self.fields[name].widget.attrs["class"] = "amount"

    def clean_revenue_account(self) -> str:
        # "501-4100-4411 Water sales", as the search offers it, is the number.
        words = self.cleaned_data["revenue_account"].split()
        return words[0] if words else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = any(
            str(self.data.get(self.add_prefix(name), "")).strip()
            for name in ("kind", "description", "tier_from", "tier_to", "rate", "revenue_account")
        )
        cleaned["blank"] = not typed
        if not typed or self.errors:
            return cleaned
        if not cleaned.get("kind"):
            self.add_error("kind", "Choose the kind of charge.")
        if cleaned.get("rate") is None:
            self.add_error("rate", "Enter the rate.")
        if not cleaned.get("revenue_account"):
            self.add_error("revenue_account", "Choose the revenue account.")
        if cleaned.get("kind") == ChargeKind.VOLUMETRIC_TIER and cleaned.get("tier_from") is None:
            self.add_error("tier_from", "A tier starts somewhere: 0 for the first.")
        return cleaned


class BaseChargeLineFormSet(BaseFormSet):
    def __init__(self, *args, service_kind: str = "", **kwargs) -> None:
        kwargs.setdefault("prefix", CHARGES_PREFIX)
        super().__init__(*args, **kwargs)
        self.service_kind = service_kind
        self.specs: list[ChargeSpec] = []

    def clean(self) -> None:
        filled = [form for form in self.forms if not form.cleaned_data.get("blank", True)]
        if not filled:
            raise ValidationError("Enter at least one charge line.")
        named = [form for form in filled if form.cleaned_data.get("revenue_account")]
        numbers = {form.cleaned_data["revenue_account"] for form in named}
        accounts = {a.number: a for a in Account.objects.filter(number__in=numbers)}
        for form in named:
            number = form.cleaned_data["revenue_account"]
            account = accounts.get(number)
            if account is None:
                form.add_error("revenue_account", f"There is no account {number}.")
            elif refusal := revenue_account_refusal(account):
                form.add_error("revenue_account", refusal)
        if any(self.errors):
            return
        specs = [
            ChargeSpec(
                kind=form.cleaned_data["kind"],
                rate=form.cleaned_data["rate"],
                revenue_account=accounts[form.cleaned_data["revenue_account"]],
                description=form.cleaned_data["description"],
                meter_size=form.cleaned_data["meter_size"],
                tier_from=form.cleaned_data["tier_from"],
                tier_to=form.cleaned_data["tier_to"],
                capped_by_winter_average=form.cleaned_data["capped_by_winter_average"],
            )
            for form in filled
        ]
        # Gaps, overlaps, a second fixed charge for a size: beside the row at fault.
        problems = problems_with_charges(
            [spec.as_charge() for spec in specs], service_kind=self.service_kind
        )
        for problem in problems:
            if problem.line is None:
                raise ValidationError(problem.message)
            form = filled[problem.line]
            field = (
                "tier_from" if form.cleaned_data["kind"] == ChargeKind.VOLUMETRIC_TIER else "kind"
            )
            form.add_error(field, problem.message)
        if not problems:
            self.specs = specs


ChargeLineFormSet = formset_factory(
    ChargeLineForm,
    formset=BaseChargeLineFormSet,
    extra=0,
    max_num=MAX_CHARGE_LINES,
    absolute_max=MAX_CHARGE_LINES,
    validate_max=True,
)


def charge_rows(data, prefix: str = CHARGES_PREFIX) -> list[dict[str, str]]:
    """The charge rows of posted form data as typed, for redrawing the form with a row
    added or removed (without judging them yet). A tampered row count is clamped."""
    try:
        count = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        count = 0
    count = max(0, min(count, MAX_CHARGE_LINES))
    return [
        {name: str(data.get(f"{prefix}-{index}-{name}", ""))[:200] for name in CHARGE_FIELDS}
        for index in range(count)
    ]


def rows_of_charges(charges) -> list[dict]:
    """A version's saved lines as form rows (to edit a draft, or start from a version)."""
    return [
        {
            "kind": line.kind,
            "description": line.description,
            "meter_size": line.meter_size,
            "tier_from": _plain(line.tier_from),
            "tier_to": _plain(line.tier_to),
            "rate": _plain(line.rate),
            "revenue_account": line.revenue_account.number,
            "capped_by_winter_average": line.capped_by_winter_average,
        }
        for line in charges
    ]


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def charge_formset(
    *, data=None, rows: list[dict] | None = None, service_kind: str
) -> BaseChargeLineFormSet:
    """Bound to posted data, or drawn from rows (typed or saved lines)."""
    if data is not None:
        return ChargeLineFormSet(data, service_kind=service_kind)
    return ChargeLineFormSet(initial=rows or [{}], service_kind=service_kind)


class BillCalculatorForm(EntryForm):
    service_class = forms.ChoiceField(label="Class", choices=ServiceClass.choices)
    meter_size = forms.ChoiceField(label="Meter size", choices=MeterSize.choices)
    start = BookDateField(label="First day of service", widget=_date_input())
    end = BookDateField(
        label="Last day of service",
        widget=_date_input(),
        help_text="Both days count: 1 January to 14 February is 45 days.",
    )
    consumption = _quantity("Water used (HCF)", help_text="1 HCF = 100 cubic feet = 748 gallons.")
    winter_average = _quantity(
        "Winter average (HCF a month)",
        required=False,
        help_text="Caps a residence's sewer use. Blank: not capped.",
    )
    services = forms.MultipleChoiceField(
        label="Services",
        choices=ServiceKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(CALCULATOR_SERVICES),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The period cannot end before it starts.")
        return cleaned
