"""Forms of the invoice and credit memo screens: input parsing and validation only."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.urls import reverse

from ledger.forms.journals import AmountField
from ledger.models import Account
from millbrae_finance.forms import BookDateField, EntryForm
from receivables.forms.customers import CustomerNumberField
from receivables.models import TERMS_CHOICES, ApprovalStatus, Customer
from receivables.queries.invoices import INVOICE_STATES
from receivables.services.invoices import MAX_LINES, LineInput

LINES_PREFIX = "lines"
BLANK_ROWS_NEW = 3  # a new invoice without JavaScript: this many rows to fill in
CUSTOMER_OPTIONS_ID = "customer-options"

SORT_CHOICES = [
    ("-date", "Newest first"),
    ("date", "Oldest first"),
    ("-number", "Number, high to low"),
    ("number", "Number, low to high"),
    ("customer", "Customer name"),
    ("due", "Due soonest"),
    ("-balance", "Largest balance"),
    ("-total", "Largest total"),
]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomerPickField(CustomerNumberField):
    """A customer by number, as typed ("C000123", "c123") or as the search offers it
    ("C000123 Garcia, Maria"): the first word is the number."""

    def to_python(self, value: object) -> Customer | None:
        if isinstance(value, str):
            words = value.split()
            value = words[0] if words else ""
        return super().to_python(value)

    def prepare_value(self, value: object) -> object:
        if isinstance(value, Customer):
            return f"{value.number} {value.name}"
        return super().prepare_value(value)


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Invoice or customer number, name",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *INVOICE_STATES], required=False
    )
    customer = CustomerNumberField(
        queryset=Customer.objects.all(),
        label="Customer",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "C000123", "size": 9}),
    )
    date_from = BookDateField(label="Dated from", required=False, widget=_date_input())
    date_to = BookDateField(label="through", required=False, widget=_date_input())
    sort = forms.ChoiceField(label="Sort", choices=SORT_CHOICES, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end comes before the start.")
        return cleaned


class InvoiceForm(EntryForm):
    """The invoice's header; its lines are the line formset."""

    customer = CustomerPickField(
        queryset=Customer.objects.all(),
        label="Customer",
        help_text="Customer number (C000123), or type a name and pick.",
    )
    invoice_date = BookDateField(label="Invoice date", widget=_date_input())
    terms_days = forms.TypedChoiceField(
        label="Terms", choices=TERMS_CHOICES, coerce=int, initial=30
    )
    description = forms.CharField(
        label="Description",
        max_length=200,
        help_text="What the invoice is for; it prints under the customer's name.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Printed on the invoice.",
    )

    def __init__(self, *args, search_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        attrs = {"autocomplete": "off", "placeholder": "C000123 or a name", "size": 36}
        if search_url:
            # Search as you type: the matches fill the <datalist> the input lists.
            attrs.update(
                {
                    "list": CUSTOMER_OPTIONS_ID,
                    "hx-get": search_url,
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": f"#{CUSTOMER_OPTIONS_ID}",
                    "hx-swap": "innerHTML",
                    "hx-sync": "this:replace",
                }
            )
        self.fields["customer"].widget.attrs.update(attrs)


def _account_label(account: Account) -> str:
    # The name after the fund ("General Fund: Facility rentals"), cut short to fit a row.
    name = account.name.split(": ", 1)[-1]
    return f"{account.number} {name[:24]}"


class InvoiceLineForm(forms.Form):
    """A row: a fee from the schedule (with its units or base), or a free line with a
    description, a revenue account and an amount. A row left empty is no line."""

    fee_code = forms.ChoiceField(label="Fee", required=False)
    quantity = forms.DecimalField(
        label="Units or base",
        required=False,
        max_digits=14,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    revenue_account = forms.TypedChoiceField(label="Revenue account", required=False, coerce=int)
    amount = AmountField(label="Amount")

    def __init__(
        self,
        *args,
        fee_choices: list[tuple[str, str]] = (),
        accounts: list[Account] = (),
        recalc_url: str = "",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {account.pk: account for account in accounts}
        self.fields["fee_code"].choices = [("", "Free line (no fee)"), *fee_choices]
        self.fields["revenue_account"].choices = [
            ("", "Choose an account"),
            *((account.pk, _account_label(account)) for account in accounts),
        ]
        self.fields["amount"].widget.attrs.update({"class": "amount", "placeholder": "0.00"})
        self.fields["quantity"].widget.attrs.update({"class": "amount", "placeholder": "—"})
        if recalc_url:
            # The row's amount and the total follow the typing: the server prices the
            # lines with the fee calculator and sends the figures back.
            recalc = {
                "hx-post": recalc_url,
                "hx-trigger": "input changed delay:300ms, change",
                "hx-vals": '{"action": "recalc"}',
                "hx-target": "#invoice-total",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
                "hx-sync": "closest form:replace",
            }
            for name in ("fee_code", "quantity", "amount"):
                self.fields[name].widget.attrs.update(recalc)

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = any(self.data.get(self.add_prefix(name), "").strip() for name in self.fields)
        cleaned["blank"] = not typed
        if not typed or self.errors:
            return cleaned
        if cleaned.get("fee_code"):
            if cleaned.get("amount") is not None:
                self.add_error(
                    "amount", "A fee line is priced by the schedule: clear the amount or the fee."
                )
        elif cleaned.get("quantity") is not None:
            self.add_error("quantity", "Units or a base go with a fee: choose the fee.")
        account_id = cleaned.get("revenue_account")
        cleaned["account"] = self.accounts.get(account_id) if account_id else None
        return cleaned

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        quantity: Decimal | None = data.get("quantity")
        if data.get("fee_code"):
            # One box for both: the fee's rule takes what it needs (units, or a base).
            return LineInput(
                fee_code=data["fee_code"],
                description=data.get("description", ""),
                units=quantity,
                base=quantity,
            )
        return LineInput(
            description=data.get("description", ""),
            revenue_account=data.get("account"),
            amount=data.get("amount"),
        )


class BaseInvoiceLineFormSet(BaseFormSet):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", LINES_PREFIX)
        super().__init__(*args, **kwargs)
        self.line_rows: list[int] = []
        self.line_inputs: list[LineInput] = []

    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [
            (index, form)
            for index, form in enumerate(self.forms)
            if not form.cleaned_data.get("blank", True)
        ]
        if not filled:
            raise ValidationError("Enter at least one line: a fee or a free line.")
        # The service numbers the lines it is given; row_of maps its "line-<n>" back here.
        self.line_rows = [index for index, _ in filled]
        self.line_inputs = [form.line_input() for _, form in filled]

    def row_of(self, line_number: int) -> int | None:
        """The form index of the service's 1-based line number."""
        if 1 <= line_number <= len(self.line_rows):
            return self.line_rows[line_number - 1]
        return None


InvoiceLineFormSet = formset_factory(
    InvoiceLineForm,
    formset=BaseInvoiceLineFormSet,
    extra=0,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)


def line_formset(
    *,
    data=None,
    rows: list[dict] | None = None,
    fee_choices: list[tuple[str, str]],
    accounts: list[Account],
    recalc_url: str = "",
) -> BaseInvoiceLineFormSet:
    """The line rows: bound to what was posted, or filled from `rows` (dicts by field)."""
    kwargs = {
        "form_kwargs": {
            "fee_choices": fee_choices,
            "accounts": accounts,
            "recalc_url": recalc_url,
        }
    }
    if data is not None:
        return InvoiceLineFormSet(data, **kwargs)
    return InvoiceLineFormSet(initial=rows or [{}], **kwargs)


def posted_rows(data, prefix: str = LINES_PREFIX) -> list[dict]:
    """The rows as typed, to redraw the form with one more or for the live total; values
    not yet valid are kept as typed (quantity and amount parsed where they can be)."""
    try:
        count = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), MAX_LINES)
    except ValueError:
        count = 0
    rows = []
    for index in range(count):
        row = {
            name: data.get(f"{prefix}-{index}-{name}", "")
            for name in ("fee_code", "quantity", "description", "revenue_account", "amount")
        }
        rows.append(row)
    return rows


def parsed_number(text: str) -> Decimal | None:
    """A number as typed ("1,250.00", "$80"), or None when it is not one yet."""
    try:
        value = AmountField(decimal_places=None).to_python(text)
    except ValidationError:
        return None
    if value is None or not value.is_finite() or abs(value) >= Decimal("1e12"):
        return None
    return value


def line_rows_of(invoice) -> list[dict]:
    """A draft's saved lines as rows of the form."""
    rows = []
    for line in invoice.lines.all():
        if line.fee_id:
            quantity = line.units if line.units is not None else line.base
            rows.append(
                {
                    "fee_code": line.fee.code,
                    "quantity": quantity.normalize() if quantity is not None else "",
                    "description": line.description
                    if line.description != line.fee.description
                    else "",
                }
            )
        else:
            rows.append(
                {
                    "description": line.description,
                    "revenue_account": line.revenue_account_id,
                    "amount": line.amount,
                }
            )
    return rows


def customer_search_url() -> str:
    return reverse("receivables:invoice_customer_search")


class CreditMemoForm(EntryForm):
    amount = AmountField(label="Amount to credit ($)", required=True)
    credit_date = BookDateField(label="Credit date", widget=_date_input())
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the invoice is credited: billed in error, service not rendered…",
    )


CREDIT_MEMO_STATUS_CHOICES = [*ApprovalStatus.choices, ("all", "Any status")]


class CreditMemoFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Memo, invoice or customer number, name",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(label="Status", choices=CREDIT_MEMO_STATUS_CHOICES, required=False)


class RejectCreditMemoForm(forms.Form):
    note = forms.CharField(
        label="Why it is rejected",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
