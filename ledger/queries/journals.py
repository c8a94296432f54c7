"""Reads the journal screens need: posted entries with their lines, manual journal drafts,
and the account search. Every query here fetches what its template shows in a fixed
number of queries, whatever the number of rows."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse

from ledger.models import (
    Account,
    FiscalPeriod,
    JournalDraft,
    JournalDraftLine,
    JournalDraftStatus,
    JournalEntry,
    JournalLine,
)
from ledger.sources import source_document_url
from millbrae_finance.money import ZERO
from millbrae_finance.templatetags.millbrae import money

ACCOUNT_MATCHES = 20


@dataclass(frozen=True)
class LineTotals:
    debits: Decimal
    credits: Decimal

    @property
    def difference(self) -> Decimal:
        return self.debits - self.credits

    @property
    def is_balanced(self) -> bool:
        return self.debits == self.credits

    @property
    def is_empty(self) -> bool:
        return self.debits == 0 and self.credits == 0

    @property
    def out_by(self) -> Decimal:
        return abs(self.difference)

    @property
    def heavier_side(self) -> str:
        return "debits" if self.debits > self.credits else "credits"

    @property
    def lighter_side(self) -> str:
        return "credits" if self.debits > self.credits else "debits"


def _debits_of(line_model, parent_field: str) -> Subquery:
    # A correlated sum per row of the page: with a filter on the lines, a join and GROUP BY
    # would count a line once per matching line instead.
    return Coalesce(
        Subquery(
            line_model.objects.filter(**{parent_field: OuterRef("pk")}, amount__gt=0)
            .order_by()
            .values(parent_field)
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
        Value(ZERO),
    )


def _totals(lines: QuerySet) -> LineTotals:
    sums = lines.aggregate(
        debits=Coalesce(Sum("amount", filter=Q(amount__gt=0)), Value(ZERO)),
        credits=Coalesce(-Sum("amount", filter=Q(amount__lt=0)), Value(ZERO)),
    )
    return LineTotals(sums["debits"], sums["credits"])


# ---------------------------------------------------------------- posted entries


def journal_entries(
    *,
    period: FiscalPeriod | None = None,
    source_module: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    account: str = "",
    text: str = "",
) -> QuerySet:
    """Posted entries, newest first, narrowed by period, source, date range, account
    number (or its beginning: "501-" is the Water Fund) and text in memo or document."""
    entries = JournalEntry.objects.select_related(
        "period__fiscal_year", "prepared_by", "approved_by"
    )
    if period is not None:
        entries = entries.filter(period=period)
    if source_module:
        entries = entries.filter(source_module=source_module)
    if date_from:
        entries = entries.filter(entry_date__gte=date_from)
    if date_to:
        entries = entries.filter(entry_date__lte=date_to)
    if account:
        entries = entries.filter(
            Exists(
                JournalLine.objects.filter(
                    entry=OuterRef("pk"), account__number__startswith=account
                )
            )
        )
    if text:
        matches = Q(memo__icontains=text) | Q(source_document__icontains=text)
        if text.isascii() and text.isdigit():
            matches |= Q(pk=int(text))
        entries = entries.filter(matches)
    return entries.annotate(
        total=_debits_of(JournalLine, "entry"),
        reversal_id=Subquery(JournalEntry.objects.filter(reverses=OuterRef("pk")).values("pk")[:1]),
    ).order_by("-entry_date", "-id")


def journal_entry_export_rows(entries: QuerySet):
    """One row per line of the given entries, for CSV, read in chunks."""
    return (
        JournalLine.objects.filter(entry__in=entries.values("pk"))
        .order_by("-entry__entry_date", "-entry_id", "id")
        .values_list(
            "entry_id",
            "entry__entry_date",
            "entry__period__fiscal_year__year",
            "entry__period__number",
            "entry__source_module",
            "entry__source_document",
            "entry__memo",
            "account__number",
            "account__name",
            "amount",
            "memo",
            "entry__prepared_by__username",
            "entry__approved_by__username",
            "entry__posted_at",
            "entry__reverses_id",
        )
        .iterator(chunk_size=2000)
    )


@dataclass(frozen=True)
class EntryDetail:
    entry: JournalEntry
    lines: list[JournalLine]
    totals: LineTotals
    reversed_by: JournalEntry | None
    draft: JournalDraft | None

    @property
    def source_url(self) -> str | None:
        """The page of the document behind the entry, from the module that posted it."""
        return source_document_url(self.entry.source_module, self.entry.source_document)

    @property
    def control_accounts(self) -> list[Account]:
        """The subledger control accounts this entry posts to, if any."""
        return [line.account for line in self.lines if line.account.control_subledger]


def journal_entry_detail(pk: int) -> EntryDetail:
    """An entry, its lines with their accounts, totals, reversal links and manual draft."""
    entry = get_object_or_404(
        JournalEntry.objects.select_related(
            "period__fiscal_year", "prepared_by", "approved_by", "reverses"
        ),
        pk=pk,
    )
    lines = entry.lines.select_related("account").order_by("id")
    reversed_by = JournalEntry.objects.filter(reverses=entry).first()
    draft = JournalDraft.objects.filter(entry=entry).first()
    return EntryDetail(entry, list(lines), _totals(lines), reversed_by, draft)


# ---------------------------------------------------------------- manual journal drafts


def journal_drafts(
    *, status: str = "", preparer: AbstractBaseUser | None = None, text: str = ""
) -> QuerySet:
    """Manual journal drafts, newest first, with their debit totals."""
    drafts = JournalDraft.objects.select_related("prepared_by", "decided_by", "entry")
    if status:
        drafts = drafts.filter(status=status)
    if preparer is not None:
        drafts = drafts.filter(prepared_by=preparer)
    if text:
        matches = Q(memo__icontains=text)
        number = text.upper().removeprefix("JD-")
        if number.isascii() and number.isdigit():
            matches |= Q(pk=int(number))
        drafts = drafts.filter(matches)
    return drafts.annotate(total=_debits_of(JournalDraftLine, "draft")).order_by("-id")


@dataclass(frozen=True)
class DraftDetail:
    draft: JournalDraft
    lines: list[JournalDraftLine]
    totals: LineTotals


def journal_draft_detail(pk: int) -> DraftDetail:
    """A draft with its lines and their accounts, and its totals."""
    draft = get_object_or_404(
        JournalDraft.objects.select_related("prepared_by", "decided_by", "entry"), pk=pk
    )
    lines = draft.lines.select_related("account").order_by("line_number")
    return DraftDetail(draft, list(lines), _totals(lines))


def drafts_awaiting_approval_by(user: AbstractBaseUser) -> QuerySet:
    """Submitted drafts this user may decide: every one they did not prepare."""
    return (
        journal_drafts()
        .awaiting_approval()
        .exclude(prepared_by=user)
        .order_by("submitted_at", "id")
    )


def open_drafts_of(user: AbstractBaseUser) -> QuerySet:
    """The user's drafts still in their hands: not yet submitted, or sent back."""
    return journal_drafts(preparer=user).editable()


def manual_accounts() -> QuerySet:
    """Accounts a manual journal entry may use: active posting accounts that are not the
    control account of a subledger (those change only through their module)."""
    return Account.objects.postable().filter(control_subledger="")


def account_names(values) -> dict[str, str]:
    """The names of the accounts for manual entries, keyed by what each account field
    holds: a number, or a number followed by the name a search filled in."""
    numbers = {str(value): str(value).split()[0] for value in values if str(value or "").strip()}
    if not numbers:
        return {}
    names = dict(
        manual_accounts().filter(number__in=set(numbers.values())).values_list("number", "name")
    )
    return {value: names[number] for value, number in numbers.items() if number in names}


def account_matches(text: str, *, limit: int = ACCOUNT_MATCHES) -> list[Account]:
    """Accounts for manual entries whose number or name contains every word typed."""
    # A NUL cannot reach PostgreSQL as text; typed by no one, it is dropped.
    words = text.replace("\x00", "").split()[:5]
    if not words:
        return []
    accounts = manual_accounts()
    for word in words:
        accounts = accounts.filter(Q(number__contains=word) | Q(name__icontains=word))
    return list(accounts.order_by("number")[:limit])


# ---------------------------------------------------------------- home-page work queues

WORK_ITEMS = 20


def _work_items(drafts: QuerySet, *, who: bool) -> list[tuple[str, str]]:
    items = []
    for draft in drafts[:WORK_ITEMS]:
        label = (
            f"{draft.number} · {draft.entry_date:%Y-%m-%d} · {draft.memo} · {money(draft.total)}"
        )
        if who:
            label += f" · {draft.prepared_by.get_full_name() or draft.prepared_by.username}"
        elif draft.status == JournalDraftStatus.REJECTED:
            label += " · rejected"
        items.append((label, reverse("ledger:journal_detail", args=[draft.pk])))
    return items


def journal_approval_work(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """Work queue: manual entries waiting for this approver, oldest first."""
    return _work_items(drafts_awaiting_approval_by(user), who=True)


def open_draft_work(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """Work queue: the user's drafts not yet submitted, and those sent back."""
    return _work_items(open_drafts_of(user), who=False)
