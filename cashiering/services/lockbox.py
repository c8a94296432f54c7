"""Lockbox and online-payment files from the bank: uploaded, checked whole, and posted all
or nothing by a background job (cashiering.tasks), with the shared progress bar.

The layout (shown on the import page too, and as a template download):

    account_number,amount,paid_on,check_number,payer_name
    100234,84.20,2026-12-04,5512,Carmen Delgado
    100871,120.00,2026-12-04,WEB-88123,
    TOTAL,204.20,,2,

- A header row names the columns, in any order. account_number, amount and paid_on are
  required; check_number (or reference: a check's number, or the online payment's
  confirmation) and payer_name may be left out or blank.
- account_number: the utility account's number, as on its bill.
- amount: dollars and cents, more than zero, at most two decimals, no "$" or thousands
  separators (84.20).
- paid_on: the day the bank deposited the payment, YYYY-MM-DD (or MM/DD/YYYY), not in
  the future; one day a file (the bank sends a file a deposit day).
- An optional trailer, the last row: TOTAL, then the file's total, then the number of
  payments, in the first columns or where the header puts amount and check_number
  (TOTAL,204.20,2 and TOTAL,204.20,,2, both read). When present, the file must agree.

Every row is checked before anything is written: a file with any bad row is refused
whole, each bad row listed by its line (the header is line 1) with the reason; nothing
posts. The rows' text is checked at the upload; the accounts by the job, through the
payment targets' batch path, which refuses a batch with an unknown account whole.

Once: the upload form's key makes a double-clicked Upload one batch; the file's SHA-256
is unique among batches not refused, so the same file uploaded again (the bank sent it
twice, someone imported yesterday's file again) is refused, naming the batch it posted
in. The job posts through the same all-or-nothing step as a mail batch, keyed by the
batch, so a resumed job posts nothing twice.
"""

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cashiering.models import BatchKind, BatchStatus, PaymentBatch, PaymentBatchItem
from cashiering.services.batches import (
    LOCKBOX_IMPORTERS,
    MAX_CHECK_NUMBER,
    MAX_ROWS,
    _post,
    _require,
    check_amount,
    row_errors,
)
from millbrae_finance.forms import EARLIEST_DATE

LOCKBOX_COLUMNS = ("account_number", "amount", "paid_on", "check_number", "payer_name")
REQUIRED_COLUMNS = ("account_number", "amount", "paid_on")
# "reference" is another name for check_number (an online payment's confirmation).
ALIASES = {"reference": "check_number"}
TRAILER = "TOTAL"
LOCKBOX_SAMPLE = (
    ("100234", "84.20", "2026-12-04", "5512", "Carmen Delgado"),
    ("100871", "120.00", "2026-12-04", "WEB-88123", ""),
    (TRAILER, "204.20", "", "2", ""),
)
_AMOUNT = re.compile(r"\d{1,12}(\.\d+)?")
MAX_ACCOUNT = 60
MAX_NAME = 200


def _date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _amount(text: str) -> tuple[Decimal | None, str | None]:
    if not text:
        return None, "The amount is blank."
    if not _AMOUNT.fullmatch(text):
        return None, f"The amount {text!r} is not dollars and cents (like 84.20)."
    amount = Decimal(text)
    if problem := check_amount(amount):
        return None, problem
    return amount, None


class ParsedFile:
    """A lockbox file's rows and every problem found in its text, by line."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.errors: list[list] = []  # [[line, "what is wrong"], ...]
        self.control_total: Decimal | None = None
        self.control_count: int | None = None
        self.paid_on: dt.date | None = None
        self.trailer_line = 0


def parse_lockbox_file(content: str, *, today: dt.date) -> ParsedFile:
    """The file's payments and the problems of its text (line 0: the file as a whole)."""
    parsed = ParsedFile()
    reader = csv.reader(io.StringIO(content))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        parsed.errors.append([1, "The file is empty: it needs a header row and a row a payment."])
        return parsed
    columns = [ALIASES.get(n.strip().lower(), n.strip().lower()) for n in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in LOCKBOX_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        parsed.errors.append(
            [
                1,
                "The header row must name account_number, amount and paid_on (and may name "
                "check_number or reference, and payer_name), each once"
                + (f"; it lacks {', '.join(missing)}" if missing else "")
                + (f"; it names {', '.join(unknown)}" if unknown else "")
                + ".",
            ]
        )
        return parsed
    lines = []
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                lines.append((reader.line_num, fields))
    except csv.Error as error:
        parsed.errors.append([reader.line_num, f"The line is not valid CSV ({error})."])
        return parsed
    if len(lines) > MAX_ROWS + 1:
        parsed.errors.append([0, f"The file has more than {MAX_ROWS:,} payments: split it."])
        return parsed
    if lines and lines[-1][1][0].strip().upper() == TRAILER:
        _trailer(parsed, *lines.pop(), columns)
    for line, fields in lines:
        _payment(parsed, line, fields, columns, today)
    if not lines:
        parsed.errors.append([0, "The file has a header but no payments."])
    if parsed.control_total is not None and not parsed.errors:
        total = sum((row["amount"] for row in parsed.rows), Decimal("0.00"))
        if total != parsed.control_total or len(parsed.rows) != parsed.control_count:
            parsed.errors.append(
                [
                    parsed.trailer_line,
                    f"The trailer says {parsed.control_count} payments of "
                    f"{parsed.control_total:,.2f}; the file holds {len(parsed.rows)} of "
                    f"{total:,.2f}.",
                ]
            )
    parsed.errors.sort(key=lambda error: error[0])
    return parsed


def _trailer(parsed: ParsedFile, line: int, fields: list[str], columns: list[str]) -> None:
    # Read by position, whatever the header's order: after TOTAL, the two values given.
    parsed.trailer_line = line
    values = [f.strip() for f in fields[1:] if f.strip()]
    amount, problem = _amount(values[0]) if values else (None, "blank")
    count = values[1] if len(values) == 2 else ""
    if problem or not (count.isascii() and count.isdigit()):
        parsed.errors.append(
            [line, "The trailer is TOTAL, then the file's total, then the number of payments."]
        )
        return
    parsed.control_total, parsed.control_count = amount, int(count)


def _payment(
    parsed: ParsedFile, line: int, fields: list[str], columns: list[str], today: dt.date
) -> None:
    values = dict(zip(columns, (f.strip() for f in fields), strict=False))
    problems = []
    if len(fields) != len(columns):
        problems.append(f"The row has {len(fields)} fields; the header has {len(columns)}.")
    account = values.get("account_number", "")
    if not account:
        problems.append("The account number is blank.")
    elif len(account) > MAX_ACCOUNT or "\x00" in account:
        problems.append("The account number is too long.")
    amount, problem = _amount(values.get("amount", ""))
    if problem:
        problems.append(problem)
    paid_text = values.get("paid_on", "")
    paid_on = _date(paid_text)
    if not paid_text:
        problems.append("The date paid is blank.")
    elif paid_on is None:
        problems.append(f"The date paid {paid_text!r} is not a date (YYYY-MM-DD).")
    elif paid_on > today or paid_on < EARLIEST_DATE:
        problems.append(f"The date paid {paid_on:%Y-%m-%d} is in the future or out of range.")
    elif parsed.paid_on is None:
        parsed.paid_on = paid_on
    elif paid_on != parsed.paid_on:
        problems.append(
            f"The file's payments are of {parsed.paid_on:%Y-%m-%d}; this one is of "
            f"{paid_on:%Y-%m-%d}: one deposit day a file."
        )
    check_number = values.get("check_number", "")
    if len(check_number) > MAX_CHECK_NUMBER:
        problems.append(f"The check number is longer than {MAX_CHECK_NUMBER} characters.")
    for problem in problems:
        parsed.errors.append([line, problem])
    if not problems:
        parsed.rows.append(
            {
                "file_line": line,
                "account_number": account,
                "amount": amount,
                "check_number": check_number,
                "payer_name": values.get("payer_name", "")[:MAX_NAME],
                "paid_on": paid_on,
            }
        )


def file_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def upload_lockbox_file(
    *, filename: str, content: str, idempotency_key: str, actor: AbstractBaseUser
) -> PaymentBatch:
    """Check a lockbox file's text and keep it as a batch: refused with every bad line
    listed, or a draft whose posting job starts when this commits. The same upload key
    returns the same batch; the same file already imported is refused."""
    from cashiering.tasks import start_lockbox_job

    _require(actor, LOCKBOX_IMPORTERS)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 60:
        raise ValidationError("The form has no key: reload it.")
    if (first := PaymentBatch.objects.filter(idempotency_key=key).first()) is not None:
        return first
    digest = file_hash(content)
    _refuse_imported(digest)
    parsed = parse_lockbox_file(content, today=timezone.localdate())
    refused = bool(parsed.errors)
    try:
        with transaction.atomic(durable=True):
            batch = PaymentBatch.objects.create(
                kind=BatchKind.LOCKBOX,
                status=BatchStatus.REFUSED if refused else BatchStatus.DRAFT,
                batch_date=parsed.paid_on or timezone.localdate(),
                control_total=parsed.control_total,
                control_count=parsed.control_count,
                checks_total=sum((r["amount"] for r in parsed.rows), Decimal("0.00")),
                checks_count=len(parsed.rows),
                in_bank=True,
                idempotency_key=key,
                filename=filename[:200],
                file_sha256=digest,
                content=content,
                errors=parsed.errors,
                created_by=actor,
            )
            if not refused:
                PaymentBatchItem.objects.bulk_create(
                    PaymentBatchItem(batch=batch, line=line, **row)
                    for line, row in enumerate(parsed.rows, start=1)
                )
                batch.job = start_lockbox_job(batch, actor=actor)
                batch.save(update_fields=["job"])
    except IntegrityError:
        if (first := PaymentBatch.objects.filter(idempotency_key=key).first()) is not None:
            return first
        _refuse_imported(digest)
        raise
    return batch


def _refuse_imported(digest: str) -> None:
    first = (
        PaymentBatch.objects.filter(file_sha256=digest).exclude(status=BatchStatus.REFUSED).first()
    )
    if first is not None:
        raise ValidationError(
            {
                "file": f"This file was imported already, as batch {first.display_number} "
                f"({first.get_status_display().lower()}): it is not imported twice."
            }
        )


def run_lockbox_batch(
    batch_id: int, *, actor: AbstractBaseUser, progress: Callable[..., None] | None = None
) -> PaymentBatch:
    """Post a lockbox batch (the job's work): all of it through the batch path and one
    entry debiting cash in the bank, or nothing, the batch refused with every bad row
    listed by its line in the file. Posted already: returned as it is."""
    batch = PaymentBatch.objects.get(pk=batch_id, kind=BatchKind.LOCKBOX)
    if progress is not None:
        progress(0, batch.checks_count)
    try:
        with transaction.atomic(durable=True):
            batch = _post(batch, actor=actor, kind=BatchKind.LOCKBOX)
    except ValidationError as error:
        return _refuse(batch, error)
    if progress is not None:
        progress(batch.checks_count, batch.checks_count)
    return batch


def _refuse(batch: PaymentBatch, error: ValidationError) -> PaymentBatch:
    lines = dict(batch.items.values_list("line", "file_line"))
    by_row = row_errors(error)
    found = [[lines.get(line, 0), m] for line, messages in by_row.items() for m in messages]
    if hasattr(error, "error_dict"):
        found += [
            [0, m]
            for key, errors in error.error_dict.items()
            if not key.startswith("row-")
            for e in errors
            for m in e.messages
        ]
    else:
        found += [[0, m] for m in error.messages]
    found.sort(key=lambda item: item[0])
    with transaction.atomic(durable=True):
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == BatchStatus.DRAFT:
            batch.status = BatchStatus.REFUSED
            batch.errors = found
            batch.save(update_fields=["status", "errors"])
    return batch
