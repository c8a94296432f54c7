"""Forms of the meter screens: input parsing only; the meter services judge the rest."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from millbrae_finance.forms import BookDateField, EntryForm
from utility_billing.models import Cycle, Meter, MeterSize, MeterStatus, MeterType, ServiceLocation


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def ReadingField(**kwargs) -> forms.DecimalField:
    """A meter's register as shown: not below zero, to the thousandth."""
    kwargs.setdefault("min_value", Decimal("0"))
    return forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class MeterFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Serial, address or parcel",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *MeterStatus.choices], required=False
    )
    size = forms.ChoiceField(
        label="Size", choices=[("", "Any size"), *MeterSize.choices], required=False
    )
    cycle = forms.ModelChoiceField(
        label="Cycle",
        queryset=Cycle.objects.order_by("code"),
        required=False,
        empty_label="Any cycle",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}_error"


class MeterForm(EntryForm):
    serial = forms.CharField(label="Serial number", max_length=30)
    size = forms.ChoiceField(choices=MeterSize.choices)
    meter_type = forms.ChoiceField(label="Type", choices=MeterType.choices)
    dials = forms.IntegerField(
        min_value=3,
        max_value=10,
        initial=6,
        help_text="Digits on the register: it rolls over to zero after 10^dials - 1.",
    )
    multiplier = forms.DecimalField(
        max_digits=8,
        decimal_places=3,
        min_value=Decimal("0.001"),
        initial=Decimal("1"),
        help_text="HCF per register unit (1 for a meter that reads in HCF).",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class LocationField(forms.CharField):
    """A service location by its parcel number (APN)."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        location = ServiceLocation.objects.filter(parcel_number=text.strip()).first()
        if location is None:
            raise ValidationError(f"No service location has parcel number {text.strip()}.")
        return location


class MeterInstallForm(EntryForm):
    location = LocationField(
        label="Location (parcel number)",
        max_length=20,
        help_text="The APN of the service location, e.g. 021-101-010.",
    )
    install_date = BookDateField(label="Installed on", widget=date_input())
    install_reading = ReadingField(label="Reading when installed")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"install_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class MeterRemoveForm(EntryForm):
    removal_date = BookDateField(label="Removed on", widget=date_input())
    final_reading = ReadingField(label="Final reading")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"removal_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class InStockMeterField(forms.CharField):
    """The meter to put in, by its serial number."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        meter = Meter.objects.filter(serial=text.strip()).first()
        if meter is None:
            raise ValidationError(f"No meter has serial number {text.strip()}.")
        return meter


class MeterChangeForm(EntryForm):
    change_date = BookDateField(label="Changed on", widget=date_input())
    final_reading = ReadingField(label="Old meter's final reading")
    new_meter = InStockMeterField(
        label="New meter (serial number)",
        max_length=30,
        help_text="A meter in stock (add it to stock first if it is not on file).",
    )
    start_reading = ReadingField(label="New meter's reading", initial=Decimal("0"))
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"change_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
