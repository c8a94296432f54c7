"""Manual journal entries: a technician prepares a draft, a senior or supervisor who did not
prepare it approves it, and approval posts it through `post_entry`. Reversing a posted
entry from the screens goes through here too.

Segregation of duties is enforced here, not only by hiding buttons: the preparer of a
draft can neither approve nor reject it.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ledger.models import (
    ADJUSTMENT_PERIOD,
    Account,
    FiscalPeriod,
    JournalDraft,
    JournalDraftLine,
    JournalDraftStatus,
    JournalEntry,
)
from ledger.queries.calendar import period_for_date
from ledger.services.posting import LineSpec, post_entry, reverse_entry
from millbrae_finance.money import CENT, MAX_DIGITS, ZERO
from millbrae_finance.roles import Role, has_role

# Posted manual entries name this module and their draft: source document "JD-<id>".
SOURCE_MODULE = "ledger"
MAX_LINES = 200
APPROVER_ROLES = (Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR)


def save_journal_draft(
    draft: JournalDraft | None,
    *,
    actor: AbstractBaseUser,
    entry_date: dt.date,
    memo: str,
    lines: Sequence[LineSpec],
    idempotency_key: str = "",
    source_file: str = "",
    submit: bool = False,
    adjustment_period: bool = False,
) -> JournalDraft:
    """Create a draft (draft=None) or replace an editable draft's date, memo and lines;
    with submit=True, also send it for approval. A new draft needs the one-time key of
    the form it came from: the same key again returns the first draft."""
    if adjustment_period and (entry_date.month, entry_date.day) != (6, 30):
        raise ValidationError(
            {
                "adjustment_period": "Only an entry dated June 30, the fiscal year's last day, "
                "goes to the adjustment period."
            }
        )
    with transaction.atomic(durable=True):
        if draft is None:
            draft, created = _create_draft(
                actor=actor,
                entry_date=entry_date,
                memo=memo,
                idempotency_key=idempotency_key,
                source_file=source_file,
            )
            if not created:  # a repeat of a save that already happened
                return draft
            draft.adjustment_period = adjustment_period
        else:
            draft = _lock_editable(draft, actor=actor)
            draft.entry_date = entry_date
            draft.memo = memo.strip()
            draft.adjustment_period = adjustment_period
            if draft.status == JournalDraftStatus.REJECTED:
                draft.status = JournalDraftStatus.DRAFT
        resolved = _resolve_draft_lines(lines)
        draft.lines.all().delete()
        JournalDraftLine.objects.bulk_create(
            JournalDraftLine(
                draft=draft, line_number=number, account=account, amount=amount, memo=line_memo
            )
            for number, (account, amount, line_memo) in enumerate(resolved, start=1)
        )
        draft.updated_at = timezone.now()
        if submit:
            _submit(draft, resolved)
        draft.save()
    return draft


def submit_journal_draft(draft: JournalDraft, *, actor: AbstractBaseUser) -> JournalDraft:
    """Send a balanced draft for approval; only its preparer may."""
    with transaction.atomic(durable=True):
        draft = _lock_editable(draft, actor=actor)
        resolved = [
            (line.account, line.amount, line.memo)
            for line in draft.lines.select_related("account").order_by("line_number")
        ]
        _submit(draft, resolved)
        draft.save()
    return draft


def approve_journal_draft(draft: JournalDraft, *, actor: AbstractBaseUser) -> JournalDraft:
    """Approve a submitted draft and post it. Approving again (a double-click, a retry)
    returns the draft as posted the first time and posts nothing more."""
    with transaction.atomic(durable=True):
        draft = JournalDraft.objects.select_for_update().get(pk=draft.pk)
        if draft.status == JournalDraftStatus.POSTED and draft.decided_by_id == actor.pk:
            return draft
        _check_decider(draft, actor)
        lines = [
            LineSpec(account=line.account, amount=line.amount, memo=line.memo)
            for line in draft.lines.select_related("account").order_by("line_number")
        ]
        entry = post_entry(
            entry_date=draft.entry_date,
            period=draft_period(draft),
            lines=lines,
            memo=draft.memo,
            source_module=SOURCE_MODULE,
            source_document=draft.number,
            # One posting per draft, whoever approves and however often: the draft's own
            # key, not the approval form's, is what makes a retry post nothing new.
            idempotency_key=f"ledger-journal-draft-{draft.pk}",
            prepared_by=draft.prepared_by,
            approved_by=actor,
        )
        now = timezone.now()
        draft.status = JournalDraftStatus.POSTED
        draft.entry = entry
        draft.decided_by = actor
        draft.decided_at = now
        draft.updated_at = now
        draft.rejection_reason = ""
        draft.save()
    return draft


def reject_journal_draft(
    draft: JournalDraft, *, actor: AbstractBaseUser, reason: str
) -> JournalDraft:
    """Send a submitted draft back to its preparer with the reason."""
    reason = reason.strip()
    with transaction.atomic(durable=True):
        draft = JournalDraft.objects.select_for_update().get(pk=draft.pk)
        _check_decider(draft, actor)
        if not reason:
            raise ValidationError({"reason": "Say why the entry is rejected."})
        now = timezone.now()
        draft.status = JournalDraftStatus.REJECTED
        draft.decided_by = actor
        draft.decided_at = now
        draft.updated_at = now
        draft.rejection_reason = reason
        draft.save()
    return draft


def control_account_refusal(account: Account) -> str:
    """Why a manual entry may not touch a control account."""
    subledger = account.get_control_subledger_display().lower()
    return (
        f"{account.number} is the control account of {subledger}: it changes only through "
        "its module, so that it always equals the subledger."
    )


def reverse_posted_entry(
    entry: JournalEntry,
    *,
    actor: AbstractBaseUser,
    entry_date: dt.date,
    memo: str = "",
    idempotency_key: str,
) -> JournalEntry:
    """Reverse a posted entry into the open period of `entry_date` (a screen's action)."""
    with transaction.atomic(durable=True):
        # Two people reversing the same entry at once: the second waits here, then finds
        # it reversed, instead of both posting and one failing on the unique link. An
        # advisory lock, not FOR UPDATE: the app's role may not update posted entries,
        # and row locks need that privilege.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('ledger_reverse_entry'), %s)", [entry.pk]
            )
        entry = JournalEntry.objects.get(pk=entry.pk)
        control = entry.lines.exclude(account__control_subledger="").select_related("account")
        if control:
            # A reversal here would leave the subledger (the bill, the receipt) untouched.
            raise ValidationError(
                [control_account_refusal(line.account) for line in control]
                + ["Reverse it in its module (void the document there)."]
            )
        return reverse_entry(
            entry,
            entry_date=entry_date,
            actor=actor,
            memo=memo.strip(),
            idempotency_key=idempotency_key,
        )


# ---------------------------------------------------------------- helpers


def _create_draft(
    *,
    actor: AbstractBaseUser,
    entry_date: dt.date,
    memo: str,
    idempotency_key: str,
    source_file: str,
) -> tuple[JournalDraft, bool]:
    if not idempotency_key:
        # The form's one-time key is missing: a page from before an upgrade, or tampering.
        raise ValidationError("This form has expired; reload the page and enter it again.")
    existing = JournalDraft.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_preparer(existing, actor), False
    now = timezone.now()
    try:
        with transaction.atomic():
            draft = JournalDraft.objects.create(
                entry_date=entry_date,
                memo=memo.strip(),
                prepared_by=actor,
                created_at=now,
                updated_at=now,
                idempotency_key=idempotency_key,
                source_file=source_file,
            )
    except IntegrityError:
        # The same form posted twice at once: the other request's insert won; it saves the
        # lines, this one returns its draft.
        existing = JournalDraft.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_preparer(existing, actor), False
    return draft, True


def _same_preparer(draft: JournalDraft, actor: AbstractBaseUser) -> JournalDraft:
    if draft.prepared_by_id != actor.pk:
        raise ValidationError("This form was already used by someone else; reload the page.")
    return draft


def _lock_editable(draft: JournalDraft, *, actor: AbstractBaseUser) -> JournalDraft:
    draft = JournalDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.prepared_by_id != actor.pk:
        raise ValidationError(f"Only the preparer of {draft.number} may change it.")
    if not draft.is_editable:
        raise ValidationError(
            f"{draft.number} is {draft.get_status_display().lower()}; it can no longer be changed."
        )
    return draft


def _check_decider(draft: JournalDraft, actor: AbstractBaseUser) -> None:
    if draft.prepared_by_id == actor.pk:
        raise ValidationError(
            f"You prepared {draft.number}; another senior accounting technician or "
            "the finance supervisor must approve or reject it."
        )
    # Checked apart from the approver roles (which an administrator's roles never
    # include), so the refusal says why.
    if has_role(actor, Role.ADMINISTRATOR):
        raise ValidationError(
            "An administrator does not approve or reject entries: whoever grants roles "
            "does not approve money (segregation of duties)."
        )
    if not has_role(actor, *APPROVER_ROLES):
        raise ValidationError(
            "Only a senior accounting technician or the finance supervisor approves entries."
        )
    if draft.status != JournalDraftStatus.SUBMITTED:
        raise ValidationError(
            f"{draft.number} is {draft.get_status_display().lower()}, not waiting for approval."
        )


def _resolve_draft_lines(lines: Sequence[LineSpec]) -> list[tuple[Account, Decimal, str]]:
    """Check each line on its own; whether they balance matters only when submitting."""
    if len(lines) > MAX_LINES:
        raise ValidationError(f"An entry has at most {MAX_LINES} lines.")
    numbers = {line.account for line in lines if isinstance(line.account, str)}
    by_number = {a.number: a for a in Account.objects.postable().filter(number__in=numbers)}
    errors, resolved = [], []
    for index, line in enumerate(lines, start=1):
        account = by_number.get(line.account) if isinstance(line.account, str) else line.account
        if account is None or not account.is_active or not account.allows_posting:
            errors.append(f"Line {index}: {line.account} is not an active posting account.")
            continue
        if account.control_subledger:
            errors.append(f"Line {index}: {control_account_refusal(account)}")
            continue
        amount = line.amount
        if (
            not isinstance(amount, Decimal)
            or amount == 0
            or amount != amount.quantize(CENT)
            or len(amount.quantize(CENT).as_tuple().digits) > MAX_DIGITS
        ):
            errors.append(f"Line {index}: {amount} is not an amount to the cent.")
            continue
        resolved.append((account, amount, line.memo.strip()[:250]))
    if errors:
        raise ValidationError(errors)
    return resolved


def draft_period(draft: JournalDraft) -> FiscalPeriod:
    """The period a draft posts to: its date's month, or period 13 of the fiscal year that
    ends on its date when the preparer chose the adjustment period."""
    if not draft.adjustment_period:
        return period_for_date(draft.entry_date)
    period = (
        FiscalPeriod.objects.select_related("fiscal_year")
        .filter(fiscal_year__end_date=draft.entry_date, number=ADJUSTMENT_PERIOD)
        .first()
    )
    if period is None:
        raise ValidationError(
            {"entry_date": f"No fiscal year ends on {draft.entry_date:%Y-%m-%d}."}
        )
    return period


def _submit(draft: JournalDraft, resolved: list[tuple[Account, Decimal, str]]) -> None:
    errors = []
    if len(resolved) < 2:
        errors.append("An entry needs at least two lines.")
    difference = sum((amount for _, amount, _ in resolved), ZERO)
    if difference != 0:
        errors.append(f"Debits and credits differ by {abs(difference):,.2f}; it must balance.")
    for index, (account, _, _) in enumerate(resolved, start=1):
        if not account.is_active or not account.allows_posting:
            errors.append(f"Line {index}: {account.number} no longer accepts postings.")
    # Date problems belong beside the date field; the rest above the lines.
    date_errors = []
    try:
        period = draft_period(draft)
    except ValidationError as error:
        date_errors.extend(error.messages)
    else:
        if not period.is_open:
            date_errors.append(f"{period} is closed to posting; choose a date in an open period.")
    if errors or date_errors:
        raise ValidationError({NON_FIELD_ERRORS: errors, "entry_date": date_errors})
    draft.status = JournalDraftStatus.SUBMITTED
    draft.submitted_at = timezone.now()
    draft.decided_by = None
    draft.decided_at = None
    draft.rejection_reason = ""
