"""Mail batches and lockbox uploads: the forms that open a batch, read the rows keyed,
and take the bank's file."""

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from cashiering.services.batches import MAX_ROWS, BatchRow
from millbrae_finance.forms import BookDateField, EntryForm

LOCKBOX_MAX_BYTES = 10 * 1024 * 1024
# Dollars and cents as a clerk types them: 84.2, 84.20, 1,234.56, $12.
_AMOUNT = re.compile(r"\$?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?")
# Blank rows left at the end of the entry table, to type into.
BLANK_ROWS = 5


def new_batch_key() -> str:
    """A one-time key, made when the form is shown: a double-clicked Create or Upload is
    one batch."""
    return secrets.token_urlsafe(18)


def _money(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class MailBatchForm(EntryForm):
    batch_date = BookDateField(
        label="Date received", help_text="The day the envelopes were opened."
    )
    control_total = _money(
        "Control total",
        min_value=Decimal("0.01"),
        help_text="The adding-machine tape of the checks.",
    )
    control_count = forms.IntegerField(label="Number of checks", min_value=1, max_value=MAX_ROWS)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "initial", {"batch_date": timezone.localdate(), "idempotency_key": new_batch_key()}
        )
        super().__init__(*args, **kwargs)


class ControlForm(forms.Form):
    """The control figures as the entry page shows them (they may be corrected)."""

    control_total = _money("Control total", min_value=Decimal("0.01"))
    control_count = forms.IntegerField(label="Number of checks", min_value=1, max_value=MAX_ROWS)


@dataclass
class RowText:
    """A row as typed, kept to show again with its problems."""

    line: int
    account: str = ""
    amount: str = ""
    check: str = ""
    errors: list[str] = field(default_factory=list)


def parse_amount(text: str) -> Decimal | None:
    """An amount as typed, or None if it is not one."""
    text = text.strip()
    if not _AMOUNT.fullmatch(text):
        return None
    return Decimal(text.replace("$", "").replace(",", ""))


def read_rows(data: QueryDict) -> tuple[list[RowText], list[BatchRow], bool]:
    """The rows typed (account[], amount[], check[] in order; blank rows dropped), what
    parses of each, and whether every row's text parsed."""
    accounts, amounts, checks = (data.getlist(name) for name in ("account", "amount", "check"))
    texts, rows, ok = [], [], True
    for account, amount, check in zip(accounts, amounts, checks, strict=False):
        # A NUL is refused with the row, never dropped silently: the row is shown again
        # without it, beside the message.
        nul = any("\x00" in v for v in (account, amount, check))
        account, amount, check = (v.translate({0: None}).strip() for v in (account, amount, check))
        if not (account or amount or check or nul):
            continue
        text = RowText(line=len(texts) + 1, account=account, amount=amount, check=check)
        texts.append(text)
        if nul:
            text.errors.append("This row holds a null character; type it again.")
            ok = False
            rows.append(BatchRow(account_number=account, amount=None, check_number=check))
            continue
        parsed = parse_amount(amount) if amount else None
        if amount and parsed is None:
            text.errors.append(f"{amount!r} is not an amount (like 84.20).")
            ok = False
        elif not amount:
            text.errors.append("Enter the amount.")
            ok = False
        rows.append(BatchRow(account_number=account, amount=parsed, check_number=check))
    return texts, rows, ok


def rows_of(batch) -> list[RowText]:
    """A saved batch's rows, to show in the entry table."""
    return [
        RowText(
            line=item.line,
            account=item.account_number,
            amount=f"{item.amount:.2f}",
            check=item.check_number,
        )
        for item in batch.items.all()
    ]


class LockboxImportForm(EntryForm):
    file = forms.FileField(label="Lockbox or online-payments file (CSV)")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > LOCKBOX_MAX_BYTES:
            raise ValidationError({"file": "The file is larger than 10 MB: split it."})
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"file": "The file is not UTF-8 text: save it as CSV."}) from None
        if "\x00" in content:
            raise ValidationError({"file": "The file has NUL characters: it is not a CSV file."})
        if not content.strip():
            raise ValidationError({"file": "The file is empty."})
        cleaned["content"] = content
        cleaned["filename"] = (upload.name or "lockbox.csv")[:200]
        return cleaned
