"""Forms of the journal screens: the manual entry and its lines, the CSV import, the
reversal, the rejection, and the list filters. Input parsing and validation only."""

import csv
import io
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.urls import reverse

from ledger.models import Account, JournalDraftStatus
from ledger.queries.journals import LineTotals
from ledger.queries.reports import periods_in_order
from ledger.services import LineSpec
from ledger.services.journals import control_account_refusal
from millbrae_finance.forms import BookDateField, EntryForm
from millbrae_finance.money import MAX_DIGITS, ZERO

LINES_PREFIX = "lines"
MAX_LINES = 200
BLANK_ROWS_NEW = 4  # a new entry without JavaScript: this many rows to fill in
BLANK_ROWS_EDIT = 2  # and this many spare rows under a draft's lines
IMPORT_MAX_BYTES = 1_000_000
IMPORT_MAX_ERRORS = 50
ACCOUNT_OPTIONS_ID = "account-options"


def new_idempotency_key(prefix: str) -> str:
    """A one-time key, made when a posting form is rendered and carried in it."""
    return f"{prefix}-{secrets.token_urlsafe(18)}"


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """A positive amount to the cent, typed as people type money: "1,250.00", "$80"."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("required", False)
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace("$", "")
            # Decimal reads "1e3" as 1000; nobody types money that way, so it is a typo.
            if "e" in value.lower():
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _amount(text: str) -> Decimal:
    """An amount cell or field as typed; raises ValidationError with a readable message."""
    value = AmountField().clean(text)
    return ZERO if value is None else value


# ---------------------------------------------------------------- the entry and its lines


class JournalDraftForm(EntryForm):
    entry_date = BookDateField(label="Entry date", widget=_date_input())
    memo = forms.CharField(
        label="Memo",
        max_length=250,
        help_text="What the entry is for; it prints on the ledger.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    adjustment_period = forms.BooleanField(
        label="Year-end adjustment (period 13)",
        required=False,
        help_text="Only for an entry dated June 30: posts to the adjustment period, not June.",
    )
    # The one-time key of a new entry's form, so a double-clicked Save makes one draft.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)


class JournalLineForm(forms.Form):
    account = forms.CharField(label="Account", max_length=160, required=False)
    debit = AmountField(label="Debit")
    credit = AmountField(label="Credit")
    memo = forms.CharField(label="Line memo", max_length=250, required=False)

    def __init__(self, *args, recalc_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].widget.attrs.update(
            {
                "list": ACCOUNT_OPTIONS_ID,
                "autocomplete": "off",
                "placeholder": "Number or name",
                "class": "account",
                # Search as you type: the matches fill the shared <datalist>.
                "hx-get": reverse("ledger:journal_account_search"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{ACCOUNT_OPTIONS_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        for name in ("debit", "credit"):
            self.fields[name].widget.attrs.update({"class": "amount", "placeholder": "0.00"})
            if recalc_url:
                # Totals follow the typing: the server adds them up and sends the footer.
                self.fields[name].widget.attrs.update(
                    {
                        "hx-post": recalc_url,
                        "hx-trigger": "input changed delay:300ms, change",
                        "hx-vals": '{"action": "recalc"}',
                        "hx-target": "#journal-totals",
                        "hx-swap": "outerHTML",
                        "hx-include": "closest form",
                        "hx-sync": "closest form:replace",
                    }
                )

    def clean_account(self) -> str:
        # "101-0000-1010 General Fund: Pooled cash", as the search offers it, is the number.
        words = self.cleaned_data["account"].split()
        return words[0] if words else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        account, debit, credit = (cleaned.get(name) for name in ("account", "debit", "credit"))
        typed = any(self.data.get(self.add_prefix(name), "").strip() for name in self.fields)
        cleaned["blank"] = not typed
        if not typed or self.errors:
            return cleaned
        if not account:
            self.add_error("account", "Choose an account.")
        for name, value in (("debit", debit), ("credit", credit)):
            if value is not None and value < 0:
                self.add_error(name, "Amounts are positive: a credit goes in the credit column.")
        if debit and credit:
            self.add_error("credit", "Enter a debit or a credit, not both.")
        elif not debit and not credit:
            self.add_error("debit", "Enter a debit or a credit amount.")
        return cleaned


class BaseJournalLineFormSet(BaseFormSet):
    def __init__(self, *args, recalc_url: str = "", **kwargs) -> None:
        kwargs.setdefault("prefix", LINES_PREFIX)
        kwargs.setdefault("form_kwargs", {})["recalc_url"] = recalc_url
        super().__init__(*args, **kwargs)
        self.line_specs: list[LineSpec] = []

    def clean(self) -> None:
        filled = [form for form in self.forms if not form.cleaned_data.get("blank", True)]
        if not filled:
            raise ValidationError("Enter at least one line.")
        # Accounts are checked on every row that names one, even a row with a bad amount,
        # so that all the problems show at once; one query for all of them.
        named = [form for form in filled if form.cleaned_data.get("account")]
        numbers = {form.cleaned_data["account"] for form in named}
        accounts = {a.number: a for a in Account.objects.filter(number__in=numbers)}
        for form in named:
            number = form.cleaned_data["account"]
            account = accounts.get(number)
            if account is None:
                form.add_error("account", f"There is no account {number}.")
            elif not account.is_active or not account.allows_posting:
                form.add_error("account", f"{number} does not accept postings.")
            elif account.control_subledger:
                form.add_error("account", control_account_refusal(account))
        if any(self.errors):
            return
        self.line_specs = [
            LineSpec(
                account=accounts[form.cleaned_data["account"]],
                amount=(form.cleaned_data["debit"] or ZERO) - (form.cleaned_data["credit"] or ZERO),
                memo=form.cleaned_data["memo"],
            )
            for form in filled
        ]

    def totals(self) -> LineTotals:
        """Debits and credits of the rows as typed so far, for the running totals; what is
        not yet a number counts as nothing."""
        return totals_of(line_rows(self.data, self.prefix) if self.is_bound else self.initial)


JournalLineFormSet = formset_factory(
    JournalLineForm,
    formset=BaseJournalLineFormSet,
    extra=0,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)

LINE_FIELDS = ("account", "debit", "credit", "memo")


def line_rows(data, prefix: str = LINES_PREFIX) -> list[dict[str, str]]:
    """The line rows of posted form data as typed, for redrawing the form with a row added
    or removed (without judging them yet). A tampered row count is clamped."""
    try:
        count = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        count = 0
    count = max(0, min(count, MAX_LINES))
    return [
        {name: str(data.get(f"{prefix}-{index}-{name}", ""))[:250] for name in LINE_FIELDS}
        for index in range(count)
    ]


def totals_of(rows) -> LineTotals:
    debits = credits = ZERO
    for row in rows or []:
        debits += _lenient_amount(row.get("debit"))
        credits += _lenient_amount(row.get("credit"))
    return LineTotals(debits, credits)


def _lenient_amount(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        amount = _amount(str(value))
    except ValidationError:
        return ZERO
    return amount if amount > 0 else ZERO


def rows_of_lines(lines) -> list[dict[str, str]]:
    """A draft's saved lines as form rows."""
    return [
        {
            "account": line.account.number,
            "debit": f"{line.debit:.2f}" if line.debit else "",
            "credit": f"{line.credit:.2f}" if line.credit else "",
            "memo": line.memo,
        }
        for line in lines
    ]


def line_formset(
    *, data=None, rows: list[dict] | None = None, recalc_url: str = ""
) -> BaseJournalLineFormSet:
    """Bound to posted data, or drawn from rows (the typed or saved lines)."""
    if data is not None:
        return JournalLineFormSet(data, recalc_url=recalc_url)
    return JournalLineFormSet(initial=rows or [{}], recalc_url=recalc_url)


# ---------------------------------------------------------------- CSV import


IMPORT_COLUMNS = ("account", "debit", "credit")


@dataclass(frozen=True)
class ParsedJournalFile:
    name: str
    lines: list[LineSpec]
    totals: LineTotals


class JournalImportForm(EntryForm):
    entry_date = BookDateField(label="Entry date", widget=_date_input())
    memo = forms.CharField(label="Memo", max_length=250)
    file = forms.FileField(
        label="CSV file",
        help_text="Columns account, debit, credit and optionally memo, with a header row. "
        "Each line has a debit or a credit; the file must balance.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_file(self) -> ParsedJournalFile:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError("The file is larger than 1 MB; a journal entry is smaller.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                "The file is not text in UTF-8; save it from the spreadsheet as CSV UTF-8."
            ) from None
        if "\x00" in text:  # PostgreSQL text cannot hold one, and no spreadsheet writes one
            raise ValidationError("The file has NUL characters: it is not a CSV text file.")
        return parse_journal_csv(text, name=upload.name[:200].replace("\x00", ""))


def parse_journal_csv(text: str, *, name: str = "") -> ParsedJournalFile:
    """Validate every row of a journal file and return its lines, or raise one
    ValidationError listing every row at fault by its line number in the file."""
    reader = csv.reader(io.StringIO(text, newline=""))
    early_errors: dict[int, str] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        missing = [column for column in IMPORT_COLUMNS if column not in header]
        if missing:
            raise ValidationError(
                f"Line 1 must name the columns account, debit, credit (and memo); "
                f"missing: {', '.join(missing)}."
            )
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                early_errors[reader.line_num] = f"Line {reader.line_num}: more cells than columns."
                continue
            rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
            if len(rows) > MAX_LINES:
                raise ValidationError(f"A journal entry has at most {MAX_LINES} lines.")
    except csv.Error as error:
        raise ValidationError(f"Line {reader.line_num}: not a CSV file ({error}).") from None

    numbers = {(row.get("account") or "").strip() for _, row in rows}
    errors_by_line = dict(early_errors)
    accounts = {a.number: a for a in Account.objects.filter(number__in=numbers)}
    lines, debits, credits = [], ZERO, ZERO
    for line_num, row in rows:
        problems = []
        number = (row.get("account") or "").strip()
        account = accounts.get(number)
        if not number:
            problems.append("no account")
        elif account is None:
            problems.append(f"there is no account {number}")
        elif not account.is_active or not account.allows_posting:
            problems.append(f"account {number} does not accept postings")
        elif account.control_subledger:
            problems.append(control_account_refusal(account).rstrip("."))
        amounts = {}
        for column in ("debit", "credit"):
            try:
                amounts[column] = _amount(row.get(column) or "")
            except ValidationError as error:
                reason = " ".join(error.messages).rstrip(".")
                problems.append(f"{column} {row.get(column)!r}: {reason}")
        debit, credit = amounts.get("debit"), amounts.get("credit")
        if debit is not None and credit is not None:
            if debit < 0 or credit < 0:
                problems.append("amounts are positive; a credit goes in the credit column")
            elif debit and credit:
                problems.append("both a debit and a credit")
            elif not debit and not credit:
                problems.append("neither a debit nor a credit")
        if problems:
            errors_by_line[line_num] = f"Line {line_num}: {'; '.join(problems)}."
            continue
        debits += debit
        credits += credit
        memo = (row.get("memo") or "").strip()[:250]
        lines.append(LineSpec(account=account, amount=debit - credit, memo=memo))
    errors = [errors_by_line[line] for line in sorted(errors_by_line)]
    if not rows and not errors:
        errors.append("The file has no lines under its header.")
    if len(errors) > IMPORT_MAX_ERRORS:
        errors = [
            *errors[:IMPORT_MAX_ERRORS],
            f"... and {len(errors) - IMPORT_MAX_ERRORS} more lines with errors.",
        ]
    if errors:
        raise ValidationError(errors)
    if len(lines) < 2:
        raise ValidationError("An entry needs at least two lines.")
    if debits != credits:
        raise ValidationError(
            f"Out of balance: debits {debits:,.2f}, credits {credits:,.2f}, "
            f"difference {debits - credits:,.2f}. Nothing was imported."
        )
    return ParsedJournalFile(name=name, lines=lines, totals=LineTotals(debits, credits))


# ---------------------------------------------------------------- decisions


class ReverseEntryForm(forms.Form):
    entry_date = BookDateField(
        label="Reversal date",
        widget=_date_input(),
        help_text="In an open period; the reversal posts on this date.",
    )
    memo = forms.CharField(
        label="Memo",
        max_length=250,
        required=False,
        help_text="Leave blank for “Reversal of JE …”.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class RejectDraftForm(forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The preparer sees this and may correct the entry.",
    )


# ---------------------------------------------------------------- list filters


def _source_module_choices() -> list[tuple[str, str]]:
    # The project's own apps, the modules that post; read from the app registry so the
    # ledger names no other app.
    return [("", "Any module")] + [
        (config.label, str(config.verbose_name))
        for config in apps.get_app_configs()
        if Path(config.path).parent == Path(settings.BASE_DIR)
        and config.label != "millbrae_finance"
    ]


class EntryFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label="Period", queryset=periods_in_order(), required=False, empty_label="Any period"
    )
    source_module = forms.ChoiceField(label="Source", required=False)
    date_from = BookDateField(label="From", required=False, widget=_date_input())
    date_to = BookDateField(label="To", required=False, widget=_date_input())
    account = forms.CharField(
        label="Account",
        required=False,
        max_length=13,
        widget=forms.TextInput(attrs={"placeholder": "501-4100-4411 or 501-"}),
    )
    text = forms.CharField(
        label="Memo or document",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_module"].choices = _source_module_choices()

    def clean(self) -> dict:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        cleaned["account"] = (cleaned.get("account") or "").strip()
        cleaned["text"] = (cleaned.get("text") or "").strip()
        return cleaned


class DraftFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *JournalDraftStatus.choices],
    )
    mine = forms.BooleanField(label="Prepared by me", required=False)
    text = forms.CharField(
        label="Memo or number",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def clean_text(self) -> str:
        return self.cleaned_data["text"].strip()
