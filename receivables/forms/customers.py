"""Forms of the customer screens: input parsing and validation only."""

import re
import secrets

from django import forms
from django.core.exceptions import ValidationError

from millbrae_finance.forms import EntryForm, EntryModelForm, refuse_nul
from receivables.models import (
    ContactMethod,
    Customer,
    CustomerKind,
)
from receivables.services.customers import CUSTOMER_FIELDS

STATUS_CHOICES = [("", "Active"), ("inactive", "Inactive or merged"), ("all", "All")]
ZIP_CODE = re.compile(r"([0-9]{5})(?:-?([0-9]{4}))?")
NUMBER = re.compile(r"[cC]?\s*0*([0-9]{1,9})")


def new_merge_key() -> str:
    """A one-time key, made when the merge confirmation is shown and carried in it."""
    return f"merge-{secrets.token_urlsafe(18)}"


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, number, address, phone or email",
                "autocomplete": "off",
                "autofocus": True,
            }
        ),
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[("", "People and businesses"), *CustomerKind.choices], required=False
    )
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)


def _phone(value: str, label: str) -> str:
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise ValidationError(f"Enter a 10-digit {label}, for example 650-259-2334.")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


class CustomerForm(EntryModelForm):
    class Meta:
        model = Customer
        fields = [*CUSTOMER_FIELDS, "is_active"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "state": forms.TextInput(attrs={"size": 2, "autocapitalize": "characters"}),
        }
        labels = {"is_active": "Active"}
        help_texts = {
            "name": "A person as “Last, First”; a business by its name.",
            "postal_code": "5 digits, or ZIP+4.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["is_active"]
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                field.strip = True
            if name == "kind":
                field.choices = CustomerKind.choices

    def clean_state(self) -> str:
        state = self.cleaned_data["state"].upper()
        if state and not re.fullmatch(r"[A-Z]{2}", state):
            raise ValidationError("A state is its two-letter code, for example CA.")
        return state

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"]
        if not value:
            return ""
        match = ZIP_CODE.fullmatch(value.strip())
        if not match:
            raise ValidationError(
                "A ZIP code is 5 digits or ZIP+4, for example 94030 or 94030-1234."
            )
        five, four = match.groups()
        return f"{five}-{four}" if four else five

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"], "phone number")

    def clean_phone_alt(self) -> str:
        return _phone(self.cleaned_data["phone_alt"], "phone number")

    def clean(self) -> dict:
        cleaned = super().clean()
        address, email, phone = (
            cleaned.get("address_line1"),
            cleaned.get("email"),
            cleaned.get("phone") or cleaned.get("phone_alt"),
        )
        if not (address or email or phone) and not self.errors:
            raise ValidationError(
                "Give at least one way to reach the customer: an address, an email or a phone."
            )
        if address:
            for field, label in [("city", "city"), ("postal_code", "ZIP code")]:
                if not cleaned.get(field) and field not in self.errors:
                    self.add_error(field, f"A mailing address needs its {label}.")
        preferred = cleaned.get("preferred_contact")
        needs = {
            ContactMethod.MAIL: address,
            ContactMethod.EMAIL: email,
            ContactMethod.PHONE: phone,
        }
        if preferred in needs and not needs[preferred] and not self.errors:
            label = ContactMethod(preferred).label.lower()
            self.add_error("preferred_contact", f"There is no {label} to contact the customer by.")
        return cleaned


class CustomerNumberField(forms.ModelChoiceField):
    """A customer chosen by number: "C000045", "c45" or "45"."""

    widget = forms.TextInput

    def to_python(self, value: object) -> Customer | None:
        if value in self.empty_values:
            return None
        refuse_nul(str(value))
        match = NUMBER.fullmatch(str(value).strip())
        if not match:
            raise ValidationError("Enter a customer number, for example C000045.")
        customer = self.queryset.filter(pk=int(match.group(1))).first()
        if customer is None:
            raise ValidationError(f"There is no customer C{int(match.group(1)):06d}.")
        return customer

    def prepare_value(self, value: object) -> object:
        if isinstance(value, Customer):
            return value.number
        if isinstance(value, int):
            return f"C{value:06d}"
        return value


class CustomerMergeForm(EntryForm):
    duplicate = CustomerNumberField(
        queryset=Customer.objects.all(),
        label="Duplicate (merged away)",
        widget=forms.TextInput(attrs={"placeholder": "C000045", "autocomplete": "off"}),
    )
    survivor = CustomerNumberField(
        queryset=Customer.objects.all(),
        label="Survivor (kept)",
        widget=forms.TextInput(attrs={"placeholder": "C000012", "autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    confirm = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        duplicate, survivor = cleaned.get("duplicate"), cleaned.get("survivor")
        if duplicate and survivor and duplicate.pk == survivor.pk:
            self.add_error("survivor", "A customer cannot be merged into itself.")
        if cleaned.get("confirm"):
            # The service checks again under its locks, and answers a repeated key (a
            # double-click) with the merge already made rather than an error.
            return cleaned
        if duplicate and duplicate.merged_into_id:
            self.add_error(
                "duplicate",
                f"{duplicate.number} was already merged into C{duplicate.merged_into_id:06d}.",
            )
        if survivor and (survivor.merged_into_id or not survivor.is_active):
            self.add_error(
                "survivor",
                f"{survivor.number} is inactive or merged: choose an active customer to keep.",
            )
        return cleaned

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if self.data.get("confirm") and not key:
            raise ValidationError("The confirmation expired: review the merge and confirm again.")
        return key
