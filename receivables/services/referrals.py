"""Referral of past-due items to a collection agency, and what the agency reports back.

The City sends the agency a file of referred items; the agency sends back a status file
with, per referral, its status and the cumulative totals it has collected and kept as its
fee. Importing that file applies only what is new since the last import, so the same file
imported twice changes nothing. Money the agency collected is a payment of the item: the
City receives the gross less the agency's fee, and books the fee as contract services.
"""

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledger.forms.journals import AmountField
from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import ZERO
from millbrae_finance.roles import FINANCE_STAFF, has_role
from receivables.models import (
    ACTIVE_STATUSES,
    HEARING_HOLDS,
    Citation,
    CollectionReferral,
    Invoice,
    ReferralStatus,
)
from receivables.queries.collections import document_filter, pending_write_off_total
from receivables.queries.dunning import customers_promised_time
from receivables.services.subledger import apply_payment
from receivables.services.write_offs import control_fund_id, is_open_document

Document = Invoice | Citation
DEFAULT_AGENCY = "Peninsula Recovery Services"
CLOSED_STATUSES = (ReferralStatus.PAID, ReferralStatus.RETURNED, ReferralStatus.RECALLED)
# What an agency may report; "referred" is the City's own status, never the agency's.
REPORTED_STATUSES = (ReferralStatus.COLLECTING, *CLOSED_STATUSES)
STATUS_COLUMNS = ("referral_id", "status", "amount_collected", "agency_fee", "status_date")
MAX_STATUS_ROWS = 20_000
# Pooled cash of the fund (department 0000) receives the net; the agency's fee is a
# contract service of Finance (department 1100), as the agency's contract is Finance's.
CASH = ("0000", "1010")
AGENCY_FEES = ("1100", "5310")
SOURCE_MODULE = "receivables"


def _locked_documents(documents: Sequence[Document]) -> list[Document]:
    """The documents re-read under their row locks, invoices then citations, by id: the
    one order every receivables service takes them in, so none deadlock."""
    invoice_ids = sorted({d.pk for d in documents if isinstance(d, Invoice)})
    citation_ids = sorted({d.pk for d in documents if isinstance(d, Citation)})
    # Only the documents' rows: the customer, joined to name the debtor, stays unlocked.
    invoices = Invoice.objects.select_for_update(of=("self",)).filter(pk__in=invoice_ids)
    citations = Citation.objects.select_for_update(of=("self",)).filter(pk__in=citation_ids)
    return [
        *invoices.select_related("customer").order_by("pk"),
        *citations.select_related("customer").order_by("pk"),
    ]


def refer_items(
    documents: Sequence[Document],
    *,
    agency: str,
    referred_on: dt.date,
    actor: AbstractBaseUser,
) -> list[CollectionReferral]:
    """Refer open items to a collection agency for their balances, all or none: one item
    that cannot go (paid meanwhile, already with an agency, under appeal) refuses the lot."""
    if not has_role(actor, *FINANCE_STAFF):
        raise ValidationError("Only finance staff refer items to collections.")
    agency = (agency or "").strip()
    if not agency:
        raise ValidationError({"agency": "Name the collection agency."})
    if not documents:
        raise ValidationError({"documents": "Choose at least one item to refer."})
    if referred_on > timezone.localdate():
        raise ValidationError({"referred_on": "A referral is dated today or earlier."})
    with transaction.atomic(durable=True):
        locked = _locked_documents(documents)
        active = _active_referral_keys(locked)
        promised = customers_promised_time(referred_on)
        problems = []
        for document in locked:
            if not is_open_document(document):
                problems.append(f"{document.number} owes nothing now.")
            elif (type(document).__name__, document.pk) in active:
                problems.append(f"{document.number} is already with a collection agency.")
            elif isinstance(document, Citation) and document.hearing_status in HEARING_HOLDS:
                problems.append(f"{document.number} is under review or hearing.")
            elif document.customer_id in promised:
                until = promised[document.customer_id]
                problems.append(
                    f"{document.number}: the final notice gave the customer until "
                    f"{until:%B} {until.day}, {until.year}."
                )
            elif pending_write_off_total(document) > 0:
                problems.append(f"{document.number} has a write-off waiting for approval.")
        if problems:
            raise ValidationError({"documents": problems})
        referrals = [
            CollectionReferral(
                **document_filter(document),
                agency=agency,
                referred_on=referred_on,
                amount_referred=document.balance,
                referred_by=actor,
            )
            for document in locked
        ]
        return CollectionReferral.objects.bulk_create(referrals)


def _active_referral_keys(documents: Sequence[Document]) -> set[tuple[str, int]]:
    active = CollectionReferral.objects.filter(status__in=ACTIVE_STATUSES)
    invoices = active.filter(invoice_id__in=[d.pk for d in documents if isinstance(d, Invoice)])
    citations = active.filter(citation_id__in=[d.pk for d in documents if isinstance(d, Citation)])
    return {("Invoice", pk) for pk in invoices.values_list("invoice_id", flat=True)} | {
        ("Citation", pk) for pk in citations.values_list("citation_id", flat=True)
    }


# ---------------------------------------------------------------- status file in


@dataclass
class StatusRow:
    """One line of the agency's status file, as read, with what is wrong with it."""

    line: int
    referral_text: str
    referral_id: int | None = None
    status: str = ""
    amount_collected: Decimal | None = None  # None: left blank, no change
    agency_fee: Decimal | None = None
    status_date: dt.date | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class StatusChange:
    """What importing a row does to its referral: new money and a status."""

    row: StatusRow
    referral: CollectionReferral | None = None
    collected: Decimal = ZERO  # newly collected gross, over what was recorded
    fee: Decimal = ZERO  # newly reported fee
    new_status: str = ""

    @property
    def net(self) -> Decimal:
        return self.collected - self.fee

    @property
    def changes_anything(self) -> bool:
        referral = self.referral
        return referral is not None and (
            self.collected != 0
            or self.fee != 0
            or self.new_status != referral.status
            or self.row.status_date != referral.status_date
        )


class StatusImportRefused(ValidationError):
    """The file has rows at fault: nothing was imported. `changes` holds every row."""

    def __init__(self, changes: list[StatusChange], problems: list[str]) -> None:
        super().__init__(problems or ["The file has rows with errors: nothing was imported."])
        self.changes = changes


def _referral_number(text: str) -> int | None:
    text = text.strip().upper().removeprefix("REF-").removeprefix("REF")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _money(row: StatusRow, text: str, label: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = AmountField(required=True).clean(text)
    except ValidationError:
        row.errors.append(f"{label} “{text.strip()[:20]}” is not an amount.")
        return None
    if value < 0:
        row.errors.append(f"{label} cannot be negative.")
        return None
    return value


def read_status_file(content: str) -> tuple[list[StatusRow], list[str]]:
    """Parse the agency's CSV: its rows with format errors, and errors of the whole file
    (missing columns, too many rows). Line numbers count the header as line 1."""
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    try:
        return _read_status_rows(reader)
    except csv.Error as error:
        return [], [f"The file is not a CSV file this screen can read ({error})."]


def _read_status_rows(reader: csv.DictReader) -> tuple[list[StatusRow], list[str]]:
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in STATUS_COLUMNS if name not in header]
    if missing:
        return [], [
            f"The file needs the columns {', '.join(STATUS_COLUMNS)}; missing: "
            f"{', '.join(missing)}."
        ]
    reader.fieldnames = header
    rows: list[StatusRow] = []
    today = timezone.localdate()
    for number, raw in enumerate(reader, start=2):
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue  # a blank line
        if len(rows) >= MAX_STATUS_ROWS:
            return rows, [f"The file has more than {MAX_STATUS_ROWS:,} rows: split it."]
        values = {name: (raw.get(name) or "") for name in STATUS_COLUMNS}
        row = StatusRow(line=number, referral_text=values["referral_id"].strip()[:30])
        row.referral_id = _referral_number(values["referral_id"])
        if row.referral_id is None:
            row.errors.append(f"Referral “{row.referral_text}” is not a referral number.")
        row.status = values["status"].strip().lower()
        if row.status not in REPORTED_STATUSES:
            row.errors.append(
                f"Status “{row.status[:20]}” is not one of {', '.join(REPORTED_STATUSES)}."
            )
        row.amount_collected = _money(row, values["amount_collected"], "Amount collected")
        row.agency_fee = _money(row, values["agency_fee"], "Agency fee")
        row.status_date = _date(values["status_date"])
        if row.status_date is None:
            row.errors.append(
                f"Status date “{values['status_date'].strip()[:20]}” is not a date (YYYY-MM-DD)."
            )
        elif row.status_date > today:
            row.errors.append(f"Status date {row.status_date} is in the future.")
        rows.append(row)
    if not rows:
        return rows, ["The file has no rows."]
    return rows, []


def plan_status_import(
    rows: Sequence[StatusRow],
    referrals: dict[int, CollectionReferral] | None = None,
) -> list[StatusChange]:
    """What each row would change, checked against what is recorded: errors are added to
    the rows. `referrals` (with documents attached) are the locked ones when importing."""
    if referrals is None:
        ids = [row.referral_id for row in rows if row.referral_id is not None]
        referrals = CollectionReferral.objects.select_related(
            "invoice__customer", "citation__customer"
        ).in_bulk(ids)
    seen: dict[int, int] = {}
    # Balances still owed as rows use them up (two referrals of one document in a file).
    owed: dict[tuple[str, int], Decimal] = {}
    changes = []
    for row in rows:
        change = StatusChange(row=row, new_status=row.status)
        changes.append(change)
        if row.referral_id is None:
            continue
        referral = referrals.get(row.referral_id)
        if referral is None:
            row.errors.append(f"There is no referral REF-{row.referral_id:06d}.")
            continue
        change.referral = referral
        if row.referral_id in seen:
            row.errors.append(f"{referral} is already on line {seen[row.referral_id]}.")
            continue
        seen[row.referral_id] = row.line
        if row.errors:
            continue
        _check_row(change, owed)
    return changes


def _check_row(change: StatusChange, owed: dict[tuple[str, int], Decimal]) -> None:
    row, referral = change.row, change.referral
    document = referral.invoice or referral.citation
    collected = referral.amount_collected if row.amount_collected is None else row.amount_collected
    fee = referral.agency_fees if row.agency_fee is None else row.agency_fee
    change.collected = collected - referral.amount_collected
    change.fee = fee - referral.agency_fees
    if change.collected < 0:
        row.errors.append(
            f"Collected {collected:,.2f} is less than the {referral.amount_collected:,.2f} "
            "already recorded: amounts are totals to date."
        )
    if change.fee < 0:
        row.errors.append(
            f"Fee {fee:,.2f} is less than the {referral.agency_fees:,.2f} already recorded: "
            "amounts are totals to date."
        )
    if collected > referral.amount_referred:
        row.errors.append(
            f"Collected {collected:,.2f} is more than the {referral.amount_referred:,.2f} "
            "balance referred."
        )
    key = (type(document).__name__, document.pk)
    balance = owed.setdefault(key, document.balance)
    if change.collected > balance:
        row.errors.append(
            f"{change.collected:,.2f} newly collected is more than the {balance:,.2f} "
            f"{document.number} still owes."
        )
    owed[key] = balance - max(change.collected, ZERO)
    if fee > collected:
        row.errors.append(f"Fee {fee:,.2f} is more than the {collected:,.2f} collected.")
    if row.status_date < referral.referred_on:
        row.errors.append(
            f"Status date {row.status_date} is before the referral on {referral.referred_on}."
        )
    if referral.status in CLOSED_STATUSES and change.changes_anything:
        row.errors.append(
            f"{referral} was closed ({referral.get_status_display().lower()}) on "
            f"{referral.status_date}: the agency cannot report on it again."
        )


def import_totals(changes: Sequence[StatusChange]) -> dict:
    """What a status file brings in, for the preview: rows changing, gross, fees, net."""
    moving = [change for change in changes if change.changes_anything]
    collected = sum((change.collected for change in moving), ZERO)
    fees = sum((change.fee for change in moving), ZERO)
    return {
        "rows_changing": len(moving),
        "collected_total": collected,
        "fees_total": fees,
        "net_total": collected - fees,
        "error_rows": sum(1 for change in changes if change.row.errors),
    }


def _fund_account(fund_id: int, department: str, object_code: str, use: str) -> Account:
    account = (
        Account.objects.postable()
        .filter(fund_id=fund_id, department__code=department, object_code__code=object_code)
        .first()
    )
    if account is None:
        raise ValidationError(
            f"The chart of accounts has no postable {use} account (department {department}, "
            f"object {object_code}) in the fund of the receivable: the Administrator adds it."
        )
    return account


def import_referral_statuses(
    rows: Sequence[StatusRow], *, actor: AbstractBaseUser
) -> list[StatusChange]:
    """Apply the agency's status file, all or nothing, checking every row again under the
    locks. Newly collected money is applied as a payment of the item and posted with the
    cash received and the agency's fee. Returns the rows that changed something."""
    if not has_role(actor, *FINANCE_STAFF):
        raise ValidationError("Only finance staff import the agency's status file.")
    with transaction.atomic(durable=True):
        ids = sorted({row.referral_id for row in rows if row.referral_id is not None})
        found = CollectionReferral.objects.filter(pk__in=ids).select_related("invoice", "citation")
        documents = {
            (type(d).__name__, d.pk): d
            for d in _locked_documents([r.invoice or r.citation for r in found])
        }
        referrals = CollectionReferral.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        locked: dict[int, CollectionReferral] = {}
        for referral in referrals:
            if referral.invoice_id:
                referral.invoice = documents[("Invoice", referral.invoice_id)]
            else:
                referral.citation = documents[("Citation", referral.citation_id)]
            locked[referral.pk] = referral
        changes = plan_status_import(rows, locked)
        if any(change.row.errors for change in changes):
            raise StatusImportRefused(changes, [])
        applied = [change for change in changes if change.changes_anything]
        for change in applied:
            try:
                _apply(change, actor=actor)
            except ValidationError as error:
                change.row.errors.extend(error.messages)
                raise StatusImportRefused(changes, []) from error
    return applied


def _apply(change: StatusChange, *, actor: AbstractBaseUser) -> None:
    referral, row = change.referral, change.row
    document = referral.invoice or referral.citation
    if change.collected or change.fee:
        fund_id = control_fund_id(document)
        # Per referral and cumulative totals: a report of the same totals posts once.
        key = (
            f"receivables-referral-{referral.pk}-"
            f"{referral.amount_collected + change.collected}-{referral.agency_fees + change.fee}"
        )
        credits = []
        if change.collected > 0:
            credits = apply_payment(
                [document],
                amount=change.collected,
                payment_date=row.status_date,
                receipt=str(referral),
                actor=actor,
                payment_key=key,
            )
        memo = f"{referral.agency}: {referral} on {document.number}"[:100]
        lines = []
        if change.net:
            lines.append(LineSpec(_fund_account(fund_id, *CASH, "pooled cash"), change.net, memo))
        if change.fee:
            fees = _fund_account(fund_id, *AGENCY_FEES, "contract services")
            lines.append(LineSpec(fees, change.fee, memo))
        lines += [LineSpec(line.account, line.amount, line.memo) for line in credits]
        referral.amount_collected += change.collected
        referral.agency_fees += change.fee
        post_entry(
            entry_date=row.status_date,
            lines=lines,
            memo=f"Collected by {referral.agency} on {referral} ({document.number}), "
            f"less the agency's fee",
            source_module=SOURCE_MODULE,
            source_document=str(referral),
            idempotency_key=key,
            prepared_by=actor,
        )
    referral.status = change.new_status
    referral.status_date = row.status_date
    referral.save(update_fields=["amount_collected", "agency_fees", "status", "status_date"])
