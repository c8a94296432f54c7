"""Forms of the chart of accounts screens: input parsing and validation only."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q

from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode, Subledger
from ledger.services.chart import NUMBER_FIXED
from ledger.services.chart_import import MAX_IMPORT_BYTES
from millbrae_finance.forms import EntryForm

YES_NO_ANY = [("", "Active and inactive"), ("yes", "Active only"), ("no", "Inactive only")]
CONTROL_CHOICES = [
    ("", "All accounts"),
    ("any", "Any control account"),
    ("none", "Not a control account"),
    *Subledger.choices,
]
SEGMENT_FIELDS = ("fund", "department", "object_code")


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=120,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Number or name", "autocomplete": "off"}
        ),
    )
    fund = forms.ModelChoiceField(
        queryset=Fund.objects.order_by("code"), required=False, empty_label="All funds"
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label="All departments",
    )
    account_type = forms.ChoiceField(
        label="Type", choices=[("", "All types"), *AccountType.choices], required=False
    )
    active = forms.ChoiceField(label="Status", choices=YES_NO_ANY, required=False)
    control = forms.ChoiceField(label="Control account", choices=CONTROL_CHOICES, required=False)


class AccountForm(EntryForm):
    """Open or edit an account. Once journal lines point at it (locked), its fund,
    department and object show but cannot change."""

    fund = forms.ModelChoiceField(queryset=Fund.objects.none())
    department = forms.ModelChoiceField(queryset=Department.objects.none())
    object_code = forms.ModelChoiceField(label="Object", queryset=ObjectCode.objects.none())
    name = forms.CharField(
        max_length=120,
        required=False,
        help_text="Blank: the fund's name and the object's, e.g. “Water Enterprise: Water sales”.",
    )
    allows_posting = forms.BooleanField(
        label="Takes postings",
        required=False,
        initial=True,
        help_text="Off for an account that only sums others.",
    )
    control_subledger = forms.ChoiceField(
        label="Control account for",
        choices=[("", "Not a control account"), *Subledger.choices],
        required=False,
        help_text="Its balance must always equal this subledger's total.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(
        self, *args, account: Account | None = None, locked: bool = False, **kwargs
    ) -> None:
        if account is not None:
            kwargs.setdefault(
                "initial",
                {
                    "fund": account.fund_id,
                    "department": account.department_id,
                    "object_code": account.object_code_id,
                    "name": account.name,
                    "allows_posting": account.allows_posting,
                    "control_subledger": account.control_subledger,
                    "is_active": account.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        self.account, self.locked = account, locked
        for name, model in zip(SEGMENT_FIELDS, (Fund, Department, ObjectCode), strict=True):
            # Active segments take new accounts; the account's own stay listed.
            current = Q(pk=getattr(account, f"{name}_id")) if account else Q(pk__in=[])
            self.fields[name].queryset = model.objects.filter(Q(is_active=True) | current)
            self.fields[name].disabled = locked

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.locked:
            # A disabled field keeps its value whatever is sent; say so rather than
            # silently ignore a change (a page opened before the first posting).
            for name in SEGMENT_FIELDS:
                sent = self.data.get(name)
                if sent and sent != str(getattr(self.account, f"{name}_id")):
                    self.add_error(name, NUMBER_FIXED.format(number=self.account.number))
        return cleaned

    def chosen_segments(self) -> tuple[Fund | None, Department | None, ObjectCode | None]:
        """The fund, department and object chosen so far (or the account's), valid or not."""
        chosen = []
        for name in SEGMENT_FIELDS:
            value = self[name].value()
            try:
                chosen.append(self.fields[name].clean(value) if value else None)
            except ValidationError:
                chosen.append(None)
        return tuple(chosen)


class AccountActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("yes", "Reactivate"), ("no", "Deactivate")],
        coerce=lambda value: value == "yes",
    )


code_3 = RegexValidator(r"^[0-9]{3}$", "A fund code is 3 digits, for example 501.")
code_4 = RegexValidator(r"^[0-9]{4}$", "A code of 4 digits, for example 4100.")


class FundForm(EntryForm):
    code = forms.CharField(max_length=3, validators=[code_3], help_text="3 digits, e.g. 501.")
    name = forms.CharField(max_length=100)
    fund_type = forms.ChoiceField(label="Fund type", choices=FundType.choices)
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="An inactive fund takes no new accounts; its accounts keep their own flag.",
    )


class DepartmentForm(EntryForm):
    code = forms.CharField(max_length=4, validators=[code_4], help_text="4 digits, e.g. 4100.")
    name = forms.CharField(max_length=100)
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="An inactive department takes no new accounts.",
    )


class ObjectCodeForm(EntryForm):
    code = forms.CharField(max_length=4, validators=[code_4], help_text="4 digits, e.g. 4411.")
    name = forms.CharField(max_length=100)
    account_type = forms.ChoiceField(
        label="Type",
        choices=AccountType.choices,
        help_text="Its accounts take this type and its normal balance; fixed once they exist.",
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="An inactive object code takes no new accounts.",
    )


class ChartImportForm(EntryForm):
    """Step one sends a file; step two (confirm) sends back the text that was previewed."""

    file = forms.FileField(
        label="CSV file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    content = forms.CharField(
        required=False, strip=False, max_length=MAX_IMPORT_BYTES, widget=forms.HiddenInput
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if cleaned.get("confirm") and cleaned.get("content"):
            return cleaned
        cleaned["confirm"] = False
        if upload is None:
            if "file" not in self.errors:
                self.add_error("file", "Choose a CSV file to import.")
            return cleaned
        if upload.size > MAX_IMPORT_BYTES:
            limit = f"{MAX_IMPORT_BYTES / 1_000_000:g} MB"
            self.add_error("file", f"The file is larger than {limit}: split it in two.")
            return cleaned
        try:
            cleaned["content"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            self.add_error(
                "file",
                "The file is not UTF-8 text. In the spreadsheet, save it as “CSV UTF-8”.",
            )
        return cleaned
