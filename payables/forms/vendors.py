"""Forms of the vendor screens. Input parsing and validation only."""

from django import forms
from django.forms import formset_factory

from millbrae_finance.forms import BookDateField, EntryForm
from payables.models import Form1099Type, PaymentMethod, TaxIdKind, VendorStatus
from payables.services.vendors import AddressInput, VendorInput
from payables.validators import clean_account_number, clean_routing_number

ADDRESS_PREFIX = "addresses"
MAX_ADDRESSES = 10


class VendorFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *VendorStatus.choices]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"autofocus": True, "placeholder": "Name, contact or V-number", "type": "search"}
        )


class VendorForm(EntryForm):
    name = forms.CharField(label="Name", max_length=120, help_text="As it prints on a check.")
    contact_name = forms.CharField(label="Contact", max_length=120, required=False)
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    email = forms.EmailField(label="Email", required=False)
    status = forms.ChoiceField(label="Status", choices=VendorStatus.choices)
    payment_method = forms.ChoiceField(label="Paid by", choices=PaymentMethod.choices)
    terms_days = forms.IntegerField(
        label="Terms (net days)", min_value=0, max_value=180, initial=30
    )
    tax_id_kind = forms.ChoiceField(
        label="Tax ID kind", required=False, choices=[("", "None on file"), *TaxIdKind.choices]
    )
    tax_id = forms.CharField(
        label="Tax ID",
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="EIN 12-3456789 or SSN 123-45-6789.",
    )
    form_1099_type = forms.ChoiceField(
        label="1099 type", required=False, choices=Form1099Type.choices
    )
    form_1099_box = forms.ChoiceField(
        label="1099 box",
        required=False,
        choices=[("", "—"), ("1", "1"), ("2", "2"), ("3", "3"), ("6", "6"), ("10", "10")],
    )
    w9_received_on = BookDateField(
        label="W-9 received",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["tax_id"].help_text = "Leave blank to keep the tax ID on file."

    def vendor_input(self) -> VendorInput:
        data = self.cleaned_data
        return VendorInput(
            name=data["name"],
            contact_name=data["contact_name"],
            phone=data["phone"],
            email=data["email"],
            status=data["status"],
            payment_method=data["payment_method"],
            terms_days=data["terms_days"],
            tax_id_kind=data["tax_id_kind"],
            tax_id=data["tax_id"],
            form_1099_type=data["form_1099_type"],
            form_1099_box=data["form_1099_box"],
            w9_received_on=data["w9_received_on"],
        )


class NewVendorBankForm(forms.Form):
    """Bank details given with a new vendor (they wait for approval like any change);
    create_vendor checks them with the rest, so all the problems show at once."""

    bank_routing = forms.CharField(
        label="Routing number", max_length=11, required=False, help_text="Nine digits (ABA)."
    )
    bank_account = forms.CharField(
        label="Account number",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    # Checked by create_vendor with everything else, so all the problems show at once.


class BankChangeForm(EntryForm):
    bank_routing = forms.CharField(label="Routing number", max_length=11)
    bank_account = forms.CharField(
        label="Account number", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    reason = forms.CharField(
        label="How the change was asked for and verified",
        max_length=250,
        help_text="E.g. letter of 11/3 on letterhead, confirmed by calling the number on file.",
    )

    def clean_bank_routing(self) -> str:
        return clean_routing_number(self.cleaned_data["bank_routing"])

    def clean_bank_account(self) -> str:
        return clean_account_number(self.cleaned_data["bank_account"])


class AddressForm(forms.Form):
    label = forms.CharField(label="Label", max_length=60, required=False)
    line1 = forms.CharField(label="Street", max_length=120, required=False)
    line2 = forms.CharField(label="Line 2", max_length=120, required=False)
    city = forms.CharField(label="City", max_length=60, required=False)
    state = forms.CharField(label="State", max_length=2, required=False)
    postal_code = forms.CharField(label="ZIP", max_length=10, required=False)
    is_default = forms.BooleanField(label="Default", required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("line1", "line2", "city", "postal_code"))


AddressFormSet = formset_factory(
    AddressForm, extra=1, max_num=MAX_ADDRESSES, absolute_max=MAX_ADDRESSES, validate_max=True
)


def addresses_of(formset) -> list[AddressInput]:
    return [
        AddressInput(**form.cleaned_data)
        for form in formset.forms
        if form.cleaned_data and not form.is_blank()
    ]


class DecisionNoteForm(forms.Form):
    note = forms.CharField(label="Why rejected", max_length=250)
