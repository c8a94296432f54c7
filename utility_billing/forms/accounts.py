"""Forms of the location, account and service-order screens: input parsing and
validation only."""

import re

from django import forms
from django.core.exceptions import ValidationError

from millbrae_finance.forms import BookDateField, EntryForm
from receivables.forms.customers import CustomerForm, CustomerNumberField
from receivables.models import Customer
from utility_billing.models import (
    AccountRole,
    AccountStatus,
    Cycle,
    ServiceClass,
    ServiceOrderKind,
    ServiceOrderStatus,
)
from utility_billing.queries.accounts import MOVE_IN_KINDS
from utility_billing.services.accounts import FORWARDING_FIELDS, LocationValues
from utility_billing.services.service_orders import MANUAL_KINDS

DATE = forms.DateInput(attrs={"type": "date"})
APN = re.compile(r"[0-9A-Za-z]{2,4}(-[0-9A-Za-z]{2,4}){1,3}")


def _search_field(placeholder: str) -> forms.CharField:
    return forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": placeholder,
                "autocomplete": "off",
                "autofocus": True,
            }
        ),
    )


class LocationFilterForm(forms.Form):
    q = _search_field("Parcel number or service address")
    cycle = forms.ModelChoiceField(
        label="Cycle", queryset=Cycle.objects.all(), required=False, empty_label="Every cycle"
    )
    service_class = forms.ChoiceField(
        label="Class", choices=[("", "Every class"), *ServiceClass.choices], required=False
    )


class AccountFilterForm(forms.Form):
    q = _search_field("Account number, customer name or service address")
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *AccountStatus.choices], required=False
    )
    role = forms.ChoiceField(
        label="Role", choices=[("", "Owners and tenants"), *AccountRole.choices], required=False
    )


class ServiceOrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *ServiceOrderStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[("", "Any kind"), *ServiceOrderKind.choices], required=False
    )
    cycle = forms.ModelChoiceField(
        label="Cycle", queryset=Cycle.objects.all(), required=False, empty_label="Every cycle"
    )
    route = forms.CharField(label="Route", required=False, max_length=10)


class LocationForm(EntryForm):
    parcel_number = forms.CharField(
        label="Parcel number (APN)", max_length=20, help_text="For example 021-101-045."
    )
    address_line1 = forms.CharField(label="Service address", max_length=200)
    address_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100, initial="Millbrae")
    postal_code = forms.CharField(label="ZIP code", max_length=10, initial="94030")
    service_class = forms.ChoiceField(label="Class", choices=ServiceClass.choices)
    cycle = forms.ModelChoiceField(
        queryset=Cycle.objects.filter(is_active=True), empty_label="Choose a cycle"
    )
    route = forms.CharField(max_length=10, required=False)
    route_sequence = forms.IntegerField(
        label="Stop on the route", required=False, min_value=1, max_value=99999
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["is_active"]

    def clean_parcel_number(self) -> str:
        value = self.cleaned_data["parcel_number"].strip().upper()
        if not APN.fullmatch(value):
            raise ValidationError("A parcel number is groups of digits, for example 021-101-045.")
        return value

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"].strip()
        if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", value):
            raise ValidationError("A ZIP code is 5 digits or ZIP+4, for example 94030.")
        return value

    def values(self) -> LocationValues:
        data = self.cleaned_data
        return LocationValues(
            parcel_number=data["parcel_number"],
            address_line1=data["address_line1"],
            address_line2=data["address_line2"],
            city=data["city"],
            postal_code=data["postal_code"],
            service_class=data["service_class"],
            cycle=data["cycle"],
            route=data["route"].strip().upper(),
            route_sequence=data["route_sequence"],
        )


class NewCustomerForm(CustomerForm):
    """A new receivables customer entered with a move-in (prefix "new")."""

    class Meta(CustomerForm.Meta):
        fields = [
            "kind",
            "name",
            "care_of",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "email",
            "preferred_contact",
            # Listed so that the customer form's own __init__ can drop it for a new one.
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["name"].widget.attrs.pop("autofocus", None)
        self.fields["kind"].widget.attrs.pop("autofocus", None)


class ContactForm(CustomerForm):
    """The account holder's contact details and mailing address (demographics)."""

    class Meta(CustomerForm.Meta):
        fields = [
            "care_of",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "phone_alt",
            "email",
            "preferred_contact",
        ]


class _CustomerAndDeposit(EntryForm):
    """Who takes service, and what the credit rule asks of them."""

    who = forms.ChoiceField(
        label="Customer",
        choices=[("existing", "An existing customer"), ("new", "A new customer (below)")],
        initial="existing",
        widget=forms.RadioSelect,
    )
    customer = CustomerNumberField(
        queryset=Customer.objects.all(),
        label="Customer number",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "C000045", "autocomplete": "off"}),
    )
    letter_of_credit = forms.BooleanField(
        label="Letter of good credit from a prior utility", required=False
    )
    waive_deposit = forms.BooleanField(label="Waive the deposit", required=False)
    waiver_reason = forms.CharField(label="Reason for the waiver", max_length=200, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        missing = cleaned.get("who") == "existing" and not cleaned.get("customer")
        if missing and "customer" not in self.errors:
            self.add_error("customer", "Enter the customer's number, or choose a new customer.")
        if cleaned.get("waive_deposit") and not cleaned.get("waiver_reason", "").strip():
            self.add_error("waiver_reason", "Say why the deposit is waived.")
        if not cleaned.get("waive_deposit"):
            cleaned["waiver_reason"] = ""
        return cleaned


class MoveInForm(_CustomerAndDeposit):
    field_order = ["role", "start_date", "services", "who", "customer"]

    role = forms.ChoiceField(choices=AccountRole.choices, widget=forms.RadioSelect)
    start_date = BookDateField(label="Move-in date", widget=DATE)
    services = forms.MultipleChoiceField(
        choices=[(kind.value, kind.label) for kind in MOVE_IN_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Each on this class's rate schedule.",
    )


class _Forwarding(forms.Form):
    """A forwarding address: when any part is given, the address, city and ZIP code are."""

    care_of = forms.CharField(label="In care of", max_length=200, required=False)
    address_line1 = forms.CharField(label="Forwarding address", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=2, required=False, initial="CA")
    postal_code = forms.CharField(label="ZIP code", max_length=10, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        given = any(cleaned.get(field) for field in FORWARDING_FIELDS if field != "state")
        if not given:
            cleaned["forwarding"] = None
            return cleaned
        for field, label in [
            ("address_line1", "address"),
            ("city", "city"),
            ("postal_code", "ZIP code"),
        ]:
            if not cleaned.get(field) and field not in self.errors:
                self.add_error(field, f"A forwarding address needs its {label}.")
        state = (cleaned.get("state") or "").upper()
        if not re.fullmatch(r"[A-Z]{2}", state):
            self.add_error("state", "A state is its two-letter code, for example CA.")
        postal = cleaned.get("postal_code") or ""
        if postal and not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", postal.strip()):
            self.add_error("postal_code", "A ZIP code is 5 digits or ZIP+4, for example 94030.")
        cleaned["state"] = state
        cleaned["forwarding"] = {field: cleaned.get(field, "") for field in FORWARDING_FIELDS}
        return cleaned


class MoveOutForm(EntryForm, _Forwarding):
    field_order = ["end_date"]

    end_date = BookDateField(label="Move-out date", widget=DATE)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TransferForm(_CustomerAndDeposit, _Forwarding):
    field_order = ["last_day", "who", "customer"]

    last_day = BookDateField(
        label="Last day of the current customer",
        widget=DATE,
        help_text="The next customer's account starts the day after.",
    )


class ServiceOrderForm(EntryForm):
    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in MANUAL_KINDS], widget=forms.RadioSelect
    )
    scheduled_for = BookDateField(
        label="Scheduled for", widget=DATE, required=False, help_text="Leave blank if not yet."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ScheduleForm(EntryForm):
    scheduled_for = BookDateField(label="Scheduled for", widget=DATE)


class CompleteForm(EntryForm):
    notes = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CancelForm(EntryForm):
    reason = forms.CharField(label="Reason", max_length=200)
