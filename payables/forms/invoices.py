"""Forms of the vendor invoice screens. Input parsing and validation only."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.urls import reverse

from ledger.forms.journals import AmountField
from ledger.models import Account
from millbrae_finance.forms import BookDateField, EntryForm
from payables.attachments import scanned_file
from payables.models import InvoiceKind, InvoiceStatus, Vendor
from payables.services.invoices import MAX_LINES, LineInput

LINES_PREFIX = "lines"
BLANK_LINES = 4
ACCOUNT_OPTIONS_ID = "expenditure-accounts"


def _date(**kwargs) -> BookDateField:
    return BookDateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *InvoiceStatus.choices]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"autofocus": True, "placeholder": "Vendor or invoice number", "type": "search"}
        )


class InvoiceForm(EntryForm):
    vendor = forms.ModelChoiceField(
        label="Vendor", queryset=Vendor.objects.exclude(status="inactive").order_by("name")
    )
    kind = forms.ChoiceField(label="Document", choices=InvoiceKind.choices)
    invoice_number = forms.CharField(label="Invoice number", max_length=40)
    invoice_date = _date(label="Invoice date")
    received_date = _date(label="Received")
    terms_days = forms.IntegerField(
        label="Terms (net days)", min_value=0, max_value=180, required=False,
        help_text="Blank: the vendor's terms.",
    )  # fmt: skip
    due_date = _date(label="Due date", required=False, help_text="Blank: invoice date + terms.")
    posting_date = _date(label="Posting date", required=False, help_text="Blank: the invoice date.")
    description = forms.CharField(label="Description", max_length=200, required=False)
    control_total = AmountField(label="Control total", required=True)
    attachment = forms.FileField(
        label="Scanned invoice",
        required=False,
        help_text="PDF, PNG or JPEG, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )
    duplicate_override = forms.CharField(
        label="Not a duplicate because", max_length=250, required=False
    )
    entry_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("entry_key", f"ap-{secrets.token_urlsafe(18)}")

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        return scanned_file(upload) if upload else None


class InvoiceLineForm(forms.Form):
    account = forms.CharField(label="Account", max_length=160, required=False)
    description = forms.CharField(label="Description", max_length=200, required=False)
    amount = AmountField(label="Amount")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].widget.attrs.update(
            {
                "list": ACCOUNT_OPTIONS_ID,
                "autocomplete": "off",
                "placeholder": "Number or name",
                "class": "account",
                # Search as you type: the matches fill the shared <datalist>.
                "hx-get": reverse("payables:account_search"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{ACCOUNT_OPTIONS_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.fields["amount"].widget.attrs.update({"class": "amount", "placeholder": "0.00"})

    def clean_account(self) -> str:
        # "101-1100-5220 Office supplies", as the search offers it, is the number.
        words = self.cleaned_data["account"].split()
        return words[0] if words else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["blank"] = not any(
            self.data.get(self.add_prefix(name), "").strip() for name in self.fields
        )
        return cleaned


class BaseInvoiceLineFormSet(BaseFormSet):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", LINES_PREFIX)
        super().__init__(*args, **kwargs)
        self.line_inputs: list[LineInput] = []

    def clean(self) -> None:
        filled = [form for form in self.forms if not form.cleaned_data.get("blank", True)]
        if not filled:
            raise ValidationError("Enter at least one line.")
        numbers = {form.cleaned_data.get("account") for form in filled} - {"", None}
        accounts = {a.number: a for a in Account.objects.filter(number__in=numbers)}
        for form in filled:
            number = form.cleaned_data.get("account")
            if not number:
                form.add_error("account", "Choose an expenditure account.")
            elif number not in accounts:
                form.add_error("account", f"There is no account {number}.")
            if form.cleaned_data.get("amount") is None and "amount" not in form.errors:
                form.add_error("amount", "Enter the line's amount.")
        if any(self.errors):
            return
        self.line_inputs = [
            LineInput(
                account=accounts[form.cleaned_data["account"]],
                amount=form.cleaned_data["amount"],
                description=form.cleaned_data["description"],
            )
            for form in filled
        ]
        # Rows as the service numbers them: errors it names "line-<n>" go on the nth filled row.
        self.filled_forms = filled


InvoiceLineFormSet = formset_factory(
    InvoiceLineForm,
    formset=BaseInvoiceLineFormSet,
    extra=BLANK_LINES,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=250)


class DecisionNoteForm(forms.Form):
    note = forms.CharField(label="Why rejected", max_length=250)
