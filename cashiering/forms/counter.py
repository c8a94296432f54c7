"""The counter's forms: opening a session, and the receipt being taken (each cart item's
amount, the tenders, the one-time key)."""

import secrets
from decimal import Decimal

from django import forms

from cashiering.models import Drawer, TenderKind
from cashiering.services.receipts import ItemSpec, TenderSpec
from millbrae_finance.forms import EntryForm


def new_receipt_key() -> str:
    """A one-time key, made when the receipt form is shown: a double-click posts once."""
    return secrets.token_urlsafe(18)


def _money(label: str, **attrs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs}),
    )


class OpenSessionForm(EntryForm):
    drawer = forms.ModelChoiceField(queryset=Drawer.objects.filter(active=True), empty_label=None)
    opening_float = forms.DecimalField(
        label="Opening float counted",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text="The cash in the drawer as you counted it, before the first customer.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


# The tender fields, by kind: (amount field, detail fields). One of each kind; a split
# payment fills several.
TENDER_FIELDS = {
    TenderKind.CASH: "cash",
    TenderKind.CHECK: "check",
    TenderKind.CARD: "card",
    TenderKind.MONEY_ORDER: "money_order",
}


class ReceiptForm(forms.Form):
    """The cart's amounts and the tenders. Item amounts are fields amount_0..n (the
    cart's order); a blank tender amount is no tender."""

    cash = _money("Cash received", accesskey="c")
    check = _money("Check amount", accesskey="k")
    check_number = forms.CharField(label="Check number", required=False, max_length=20)
    card = _money("Card amount", accesskey="d")
    card_last_four = forms.CharField(
        label="Card last 4",
        required=False,
        max_length=4,
        min_length=4,
        help_text="The last four digits only: never the whole card number.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}
        ),
    )
    card_authorization = forms.CharField(label="Authorization code", required=False, max_length=12)
    money_order = _money("Money order amount", accesskey="m")
    money_order_number = forms.CharField(label="Money order number", required=False, max_length=20)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def __init__(self, *args, cart: list[dict], **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_receipt_key())
        for index, item in enumerate(cart):
            kwargs["initial"].setdefault(f"amount_{index}", item.get("amount") or None)
        super().__init__(*args, **kwargs)
        self.cart = cart
        for index, item in enumerate(cart):
            field = _money(f"Amount for {item['reference']}")
            field.required = True
            self.fields[f"amount_{index}"] = field

    def item_rows(self) -> list[tuple[dict, forms.BoundField]]:
        return [(item, self[f"amount_{i}"]) for i, item in enumerate(self.cart)]

    def clean_card_last_four(self) -> str:
        value = self.cleaned_data["card_last_four"].strip()
        if value and not (value.isascii() and value.isdigit()):
            raise forms.ValidationError("Four digits: the last four of the card only.")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("check") and not cleaned.get("check_number", "").strip():
            self.add_error("check_number", "Enter the check number.")
        if cleaned.get("card"):
            if not cleaned.get("card_last_four") and "card_last_four" not in self.errors:
                self.add_error("card_last_four", "Enter the card's last four digits.")
            if not cleaned.get("card_authorization", "").strip():
                self.add_error("card_authorization", "Enter the authorization code.")
        return cleaned

    def items(self) -> list[ItemSpec]:
        return [
            ItemSpec(
                kind=item["kind"],
                reference=item["reference"],
                amount=self.cleaned_data[f"amount_{index}"],
                description=item["label"],
                customer=item["customer"],
            )
            for index, item in enumerate(self.cart)
        ]

    def tenders(self) -> list[TenderSpec]:
        data = self.cleaned_data
        tenders = []
        if data.get("cash"):
            tenders.append(TenderSpec(TenderKind.CASH, data["cash"]))
        if data.get("check"):
            tenders.append(
                TenderSpec(TenderKind.CHECK, data["check"], check_number=data["check_number"])
            )
        if data.get("card"):
            tenders.append(
                TenderSpec(
                    TenderKind.CARD,
                    data["card"],
                    card_last_four=data["card_last_four"],
                    authorization_code=data["card_authorization"],
                )
            )
        if data.get("money_order"):
            tenders.append(
                TenderSpec(
                    TenderKind.MONEY_ORDER,
                    data["money_order"],
                    check_number=data["money_order_number"],
                )
            )
        return tenders

    def tender_field(self, row: int) -> str:
        """The form field a service error on tender row `row` (1-based) belongs beside."""
        kinds = [k for k, name in TENDER_FIELDS.items() if self.cleaned_data.get(name)]
        return TENDER_FIELDS[kinds[row - 1]] if 0 < row <= len(kinds) else "cash"


class VoidForm(EntryForm):
    """A same-day void: the clerk's reason, and the approving lead's own login, typed by
    the lead on the clerk's screen (the clerk stays logged in)."""

    reason = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    approver_username = forms.CharField(
        label="Approving lead's username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    approver_password = forms.CharField(
        label="Approving lead's password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, request=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.approver = None

    def clean(self) -> dict:
        from django.contrib.auth import authenticate

        cleaned = super().clean()
        username, password = cleaned.get("approver_username"), cleaned.get("approver_password")
        if username and password:
            self.approver = authenticate(self.request, username=username, password=password)
            if self.approver is None:
                self.add_error("approver_password", "That username and password do not match.")
        return cleaned
