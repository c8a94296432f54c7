"""Forms of the collections screens: write-offs, referral to an agency and the agency's
status file. Input parsing and validation only."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger.forms.journals import AmountField
from millbrae_finance.forms import BookDateField, EntryForm
from receivables.models import ReferralStatus, WriteOffStatus
from receivables.queries.collections import find_document
from receivables.services.referrals import DEFAULT_AGENCY

STATUS_FILE_MAX_BYTES = 2_000_000
KIND_CHOICES = [("", "Invoices and citations"), ("invoice", "Invoices"), ("citation", "Citations")]
DOCUMENT_KEY = re.compile(r"(invoice|citation):([0-9]{1,12})")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DocumentField(forms.CharField):
    """An invoice or a citation by its number: "INV-000123" or "P100234"."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        document = find_document(text)
        if document is None:
            raise ValidationError(f"There is no invoice or citation numbered {text[:30]}.")
        return document


class WriteOffForm(EntryForm):
    document = DocumentField(
        label="Invoice or citation",
        max_length=30,
        help_text="Its number, e.g. INV-000123 or a citation number.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "INV-000123"}),
    )
    amount = AmountField(label="Amount to write off ($)", required=True)
    write_off_date = BookDateField(label="Write-off date", widget=_date_input())
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        help_text="Why it cannot be collected: returned by the agency, debtor deceased, "
        "bankruptcy, too small to pursue…",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WriteOffRejectForm(forms.Form):
    note = forms.CharField(
        label="Why it is rejected", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WriteOffFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Document, WO number or debtor"}
        ),
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *WriteOffStatus.choices], required=False
    )
    kind = forms.ChoiceField(label="Type", choices=KIND_CHOICES, required=False)
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[
            ("", "Newest request first"),
            ("oldest", "Oldest request first"),
            ("amount", "Largest amount first"),
            ("date", "Latest write-off date first"),
        ],
    )


class CandidateFilterForm(forms.Form):
    as_of = BookDateField(label="As of", required=False, widget=_date_input())
    days = forms.IntegerField(
        label="Days past due more than", min_value=0, max_value=3650, required=False
    )
    kind = forms.ChoiceField(label="Type", choices=KIND_CHOICES, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("as_of") is None:
            cleaned["as_of"] = timezone.localdate()
        if cleaned.get("days") is None:
            cleaned["days"] = 90
        return cleaned


class ReferForm(forms.Form):
    """Refer the ticked items, or every candidate of the filter shown."""

    agency = forms.CharField(label="Collection agency", max_length=100, initial=DEFAULT_AGENCY)
    referred_on = BookDateField(label="Referral date", widget=_date_input())
    refer_all = forms.BooleanField(
        label="Refer every candidate of this filter, on every page", required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referred_on"].initial = timezone.localdate()

    def clean(self) -> dict:
        cleaned = super().clean()
        keys = []
        for value in self.data.getlist("item") if hasattr(self.data, "getlist") else []:
            match = DOCUMENT_KEY.fullmatch(value)
            if match:
                keys.append((match.group(1), int(match.group(2))))
        cleaned["items"] = keys
        if not keys and not cleaned.get("refer_all"):
            raise ValidationError("Tick the items to refer, or “Refer every candidate”.")
        return cleaned


class ReferralFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Document, REF number or debtor"}
        ),
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Any status"), ("active", "With the agency"), *ReferralStatus.choices],
        required=False,
    )
    agency = forms.CharField(label="Agency", required=False, max_length=100)
    referred_on = BookDateField(label="Referred on", required=False, widget=_date_input())
    kind = forms.ChoiceField(label="Type", choices=KIND_CHOICES, required=False)
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[
            ("", "Newest referral first"),
            ("oldest", "Oldest referral first"),
            ("amount", "Largest amount first"),
            ("status_date", "Latest status first"),
        ],
    )


class ReferralFileForm(forms.Form):
    referred_on = BookDateField(widget=_date_input())
    agency = forms.CharField(max_length=100)


class StatusImportForm(EntryForm):
    """The agency's status file: uploaded for the preview, then carried as text in the
    confirmation (the server reads and checks it again; the preview is never trusted)."""

    file = forms.FileField(
        label="Agency status file (CSV)",
        required=False,
        help_text="Columns referral_id, status (collecting, paid, returned or recalled), "
        "amount_collected and agency_fee (totals to date; blank keeps what was recorded) "
        "and status_date, with a header row.",
    )
    content = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > STATUS_FILE_MAX_BYTES:
                raise ValidationError({"file": "The file is larger than 2 MB: split it."})
            try:
                cleaned["content"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(
                    {"file": "The file is not UTF-8 text: save it from the spreadsheet as CSV."}
                ) from None
        content = cleaned.get("content") or ""
        if "\x00" in content:
            raise ValidationError({"file": "The file has NUL characters: it is not a CSV file."})
        if len(content) > STATUS_FILE_MAX_BYTES:
            raise ValidationError({"file": "The file is larger than 2 MB: split it."})
        if not content.strip():
            raise ValidationError({"file": "Choose the agency's CSV file."})
        cleaned["content"] = content
        return cleaned
