"""Forms of the read screens: the route sheet, the file upload, the exception filters and
actions, the estimate."""

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from millbrae_finance.forms import BookDateField, EntryForm
from utility_billing.forms.meters import ReadingField, date_input
from utility_billing.models import Cycle, ExceptionCode, Meter, ReadSource
from utility_billing.services.reads import ReadRow, ReadsRefused

# A 50,000-row file is about 2 MB; this allows ten times that, and no more in a request.
READ_FILE_MAX_BYTES = 20 * 1024 * 1024


def new_import_key() -> str:
    """A one-time key, made when the upload form is shown: a double-clicked Upload is
    one import."""
    return f"read-import-{secrets.token_urlsafe(18)}"


def _cycles():
    return Cycle.objects.filter(is_active=True).order_by("code")


class _Described:
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, form_field in self.fields.items():
            form_field.widget.attrs["aria-describedby"] = f"id_{name}_error"


class RouteSheetForm(_Described, forms.Form):
    cycle = forms.ModelChoiceField(queryset=_cycles(), empty_label=None)
    route = forms.CharField(
        max_length=10, required=False, help_text="Blank: every route of the cycle."
    )
    read_date = BookDateField(label="Read on", widget=date_input())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = _cycles()

    def clean_read_date(self):
        day = self.cleaned_data["read_date"]
        if day > timezone.localdate():
            raise ValidationError("The read date is in the future.")
        return day


def parse_reading(text: str) -> tuple[Decimal | None, str]:
    """A typed reading, or the reason it is not one."""
    text = text.strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "Not a number."
    if not value.is_finite():
        return None, "Not a number."
    if value < 0:
        return None, "A reading cannot be below zero."
    if value.as_tuple().exponent < -3:
        return None, "At most three decimal places."
    if value >= Decimal("1e10"):
        return None, "Larger than any register shows."
    return value, ""


def typed_rows(
    data: Mapping[str, str], meters: Sequence[Meter], read_date: dt.date
) -> list[ReadRow]:
    """The readings typed on a route sheet (a box per meter, `reading-<meter id>`); blank
    boxes are no read. A row is named by its meter's id."""
    rows = []
    for meter in meters:
        text = data.get(f"reading-{meter.pk}", "").strip()
        if not text:
            continue
        reading, problem = parse_reading(text)
        rows.append(
            ReadRow(
                line=meter.pk,
                serial=meter.serial,
                read_date=read_date,
                reading=reading,
                source=ReadSource.MANUAL,
                errors=[problem] if problem else [],
            )
        )
    return rows


@dataclass
class SheetRow:
    """A line of the route sheet: the meter, what was typed, what is wrong with it."""

    meter: Meter
    value: str = ""
    errors: list[str] = field(default_factory=list)
    # The cursor starts here: the first row at fault, or the first row.
    focus: bool = False


def sheet_rows(
    meters: Sequence[Meter], data: Mapping[str, str], refused: ReadsRefused | None
) -> list[SheetRow]:
    errors = {row.line: row.errors for row in refused.bad_rows} if refused else {}
    rows = [
        SheetRow(
            meter=meter,
            value=data.get(f"reading-{meter.pk}", "")[:20],
            errors=errors.get(meter.pk, []),
        )
        for meter in meters
    ]
    focus = next((row for row in rows if row.errors), rows[0] if rows else None)
    if focus is not None:
        focus.focus = True
    return rows


class ReadImportForm(EntryForm):
    file = forms.FileField(label="Read file (CSV)", required=True)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > READ_FILE_MAX_BYTES:
            raise ValidationError({"file": "The file is larger than 20 MB: split it."})
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                {"file": "The file is not UTF-8 text: export it from the handheld as CSV."}
            ) from None
        if "\x00" in content:
            raise ValidationError({"file": "The file has NUL characters: it is not a CSV file."})
        if not content.strip():
            raise ValidationError({"file": "The file is empty."})
        cleaned["content"] = content
        cleaned["filename"] = (upload.name or "reads.csv")[:200]
        return cleaned


class ExceptionFilterForm(_Described, forms.Form):
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
    cycle = forms.ModelChoiceField(queryset=_cycles(), required=False, empty_label="Every cycle")
    code = forms.ChoiceField(
        label="Exception",
        choices=[("", "Every exception"), *[c for c in ExceptionCode.choices if c[0] != "missing"]],
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = _cycles()


class MissingFilterForm(_Described, forms.Form):
    cycle = forms.ModelChoiceField(queryset=_cycles(), empty_label=None)
    read_date = BookDateField(
        label="Read day",
        widget=date_input(),
        help_text="The cycle's read day; reads a week either side count.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = _cycles()


class AcceptForm(forms.Form):
    note = forms.CharField(
        label="Why the read is right",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you checked: a leak repaired, a pool filled, the customer's word.",
    )


class CorrectForm(forms.Form):
    reading = ReadingField(label="Correct reading")
    note = forms.CharField(
        label="Note", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReReadForm(forms.Form):
    note = forms.CharField(
        label="For the reader",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EstimateForm(forms.Form):
    read_date = BookDateField(label="Read day", widget=date_input())
    note = forms.CharField(max_length=500, required=False)

    def clean_read_date(self):
        day = self.cleaned_data["read_date"]
        if day > timezone.localdate():
            raise ValidationError("The read date is in the future.")
        return day
