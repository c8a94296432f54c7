"""Journal screens: posted entries (list, detail, reversal) and manual journal entries
(prepare, import, submit, approve or reject)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ledger.forms.journals import (
    BLANK_ROWS_EDIT,
    BLANK_ROWS_NEW,
    MAX_LINES,
    DraftFilterForm,
    EntryFilterForm,
    JournalDraftForm,
    JournalImportForm,
    ParsedJournalFile,
    RejectDraftForm,
    ReverseEntryForm,
    line_formset,
    line_rows,
    new_idempotency_key,
    rows_of_lines,
    totals_of,
)
from ledger.models import JournalDraft, JournalDraftStatus
from ledger.queries.journals import (
    DraftDetail,
    EntryDetail,
    account_matches,
    account_names,
    journal_draft_detail,
    journal_drafts,
    journal_entries,
    journal_entry_detail,
    journal_entry_export_rows,
)
from ledger.services import (
    approve_journal_draft,
    reject_journal_draft,
    reverse_posted_entry,
    save_journal_draft,
    submit_journal_draft,
)
from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, form_view

JOURNAL_READERS = FINANCE_STAFF | AUDIT_READERS
JOURNAL_PREPARERS = FINANCE_STAFF
# Lead duties: approving what a technician prepared, and reversing what was posted.
JOURNAL_APPROVERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
PAGE_SIZE = 50
FORM_TEMPLATE = "ledger/journals/journal_form.html"


# ---------------------------------------------------------------- posted entries


@role_required(JOURNAL_READERS)
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    form = EntryFilterForm(request.GET or None)
    entries = journal_entries()
    if form.is_valid():
        entries = journal_entries(**form.cleaned_data)
    elif form.is_bound:
        entries = entries.none()
    if request.GET.get("format") == "csv":
        return _entries_csv(entries)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "ledger/journals/entry_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"form": form, "page": page})


@role_required(JOURNAL_READERS)
@require_GET
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = journal_entry_detail(pk)
    return _render_entry(request, detail, ReverseEntryForm(initial=_reverse_initial()))


@role_required(JOURNAL_APPROVERS)
@require_http_methods(["GET", "POST"])
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    detail = journal_entry_detail(pk)
    return form_view(
        request,
        ReverseEntryForm,
        initial=_reverse_initial(),
        perform=lambda data: reverse_posted_entry(detail.entry, actor=request.user, **data),
        success=lambda reversal: (
            f"JE {detail.entry.number} reversed by JE {reversal.number}.",
            redirect("ledger:entry_detail", pk=reversal.pk),
        ),
        page=lambda form: _render_entry(request, detail, form),
    )


# ---------------------------------------------------------------- manual journal entries


@role_required(JOURNAL_READERS)
@require_GET
def journal_list(request: HttpRequest) -> HttpResponse:
    form = DraftFilterForm(request.GET or None)
    drafts = journal_drafts()
    if form.is_valid():
        data = form.cleaned_data
        preparer = request.user if data["mine"] else None
        drafts = journal_drafts(status=data["status"], preparer=preparer, text=data["text"])
    elif form.is_bound:
        drafts = drafts.none()
    page = Paginator(drafts, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "ledger/journals/journal_list.html"
    if request.htmx:
        template += "#results"
    may_prepare = has_role(request.user, *JOURNAL_PREPARERS)
    return render(request, template, {"form": form, "page": page, "may_prepare": may_prepare})


@role_required(JOURNAL_PREPARERS)
@require_http_methods(["GET", "POST"])
def journal_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _journal_form_post(request, None)
    form = JournalDraftForm(
        initial={"entry_date": timezone.localdate(), "idempotency_key": new_idempotency_key("jd")}
    )
    lines = line_formset(rows=[{}] * BLANK_ROWS_NEW, recalc_url=request.path)
    return _render_form(request, None, form, lines)


@role_required(JOURNAL_PREPARERS)
@require_http_methods(["GET", "POST"])
def journal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    detail = journal_draft_detail(pk)
    draft = detail.draft
    if draft.prepared_by_id != request.user.pk:
        if request.method == "POST":
            raise PermissionDenied
        notice = f"Only {_name(draft.prepared_by)}, who prepared {draft.number}, may change it."
        return _render_draft(request, detail, notice=notice)
    if not draft.is_editable:
        notice = f"{draft.number} is {draft.get_status_display().lower()}; it cannot be changed."
        return _render_draft(request, detail, notice=notice)
    if request.method == "POST":
        return _journal_form_post(request, draft)
    form = JournalDraftForm(
        initial={
            "entry_date": draft.entry_date,
            "memo": draft.memo,
            "adjustment_period": draft.adjustment_period,
        }
    )
    rows = rows_of_lines(detail.lines) + [{}] * BLANK_ROWS_EDIT
    return _render_form(request, draft, form, line_formset(rows=rows, recalc_url=request.path))


@role_required(JOURNAL_PREPARERS)
@require_http_methods(["GET", "POST"])
def journal_import(request: HttpRequest) -> HttpResponse:
    return form_view(
        request,
        JournalImportForm,
        initial={
            "entry_date": timezone.localdate(),
            "idempotency_key": new_idempotency_key("jd-import"),
        },
        perform=lambda data: (data["file"], _save_imported(data, actor=request.user)),
        success=lambda done: _imported(*done),
        template="ledger/journals/journal_import.html",
    )


def _save_imported(data: dict, *, actor: AbstractBaseUser) -> JournalDraft:
    parsed = data["file"]
    return save_journal_draft(
        None,
        actor=actor,
        entry_date=data["entry_date"],
        memo=data["memo"],
        lines=parsed.lines,
        idempotency_key=data["idempotency_key"],
        source_file=parsed.name,
    )


def _imported(parsed: ParsedJournalFile, draft: JournalDraft) -> tuple[str, HttpResponse]:
    message = (
        f"Imported {len(parsed.lines)} lines from {parsed.name} as {draft.number}. "
        "Review it and submit it for approval."
    )
    return message, redirect("ledger:journal_detail", pk=draft.pk)


@role_required(JOURNAL_READERS)
@require_GET
def journal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_draft(request, journal_draft_detail(pk))


@role_required(JOURNAL_PREPARERS)
@require_http_methods(["GET", "POST"])
def journal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    detail = journal_draft_detail(pk)
    if request.method == "GET":
        return _render_draft(request, detail)
    try:
        draft = submit_journal_draft(detail.draft, actor=request.user)
    except ValidationError as error:
        return _render_draft(request, detail, action_errors=error.messages)
    messages.success(request, f"{draft.number} is submitted for approval.")
    return redirect("ledger:journal_detail", pk=draft.pk)


@role_required(JOURNAL_APPROVERS)
@require_http_methods(["GET", "POST"])
def journal_approve(request: HttpRequest, pk: int) -> HttpResponse:
    detail = journal_draft_detail(pk)
    if request.method == "GET":
        return _render_draft(request, detail)
    try:
        draft = approve_journal_draft(detail.draft, actor=request.user)
    except ValidationError as error:
        return _render_draft(request, detail, action_errors=error.messages)
    messages.success(request, f"{draft.number} is approved and posted as JE {draft.entry.number}.")
    return redirect("ledger:entry_detail", pk=draft.entry_id)


@role_required(JOURNAL_APPROVERS)
@require_http_methods(["GET", "POST"])
def journal_reject(request: HttpRequest, pk: int) -> HttpResponse:
    detail = journal_draft_detail(pk)
    if request.method == "GET":
        return _render_draft(request, detail)
    return form_view(
        request,
        RejectDraftForm,
        perform=lambda data: reject_journal_draft(
            detail.draft, actor=request.user, reason=data["reason"]
        ),
        success=lambda draft: (
            f"{draft.number} is sent back to its preparer.",
            redirect("ledger:journal_detail", pk=draft.pk),
        ),
        page=lambda form: _render_draft(request, detail, reject_form=form),
    )


@role_required(JOURNAL_PREPARERS)
@require_GET
def account_search(request: HttpRequest) -> HttpResponse:
    # The search box is any line's account field: its value arrives under its own name.
    text = request.GET.get("q") or next(
        (value for key, value in request.GET.items() if key.endswith("-account")), ""
    )
    text = text.strip()[:100]
    if request.GET.get("show") == "name":  # the name under a line's chosen account
        number = text.split()[0] if text else ""
        context = {"number": number, "name": account_names([number]).get(number)}
        return render(request, "ledger/journals/_account_name.html", context)
    accounts = account_matches(text)
    return render(request, "ledger/journals/_account_options.html", {"accounts": accounts})


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class DraftActions:
    """What the viewing user may do with a draft, decided here, shown by the template."""

    can_edit: bool
    can_submit: bool
    can_decide: bool
    # The preparer of a submitted draft: told why there is no Approve button for them.
    awaiting_other: bool


def _draft_actions(draft: JournalDraft, user: AbstractBaseUser) -> DraftActions:
    own = draft.prepared_by_id == user.pk
    editable = own and draft.is_editable and has_role(user, *JOURNAL_PREPARERS)
    submitted = draft.status == JournalDraftStatus.SUBMITTED
    return DraftActions(
        can_edit=editable,
        can_submit=editable,
        can_decide=submitted and not own and has_role(user, *JOURNAL_APPROVERS),
        awaiting_other=submitted and own,
    )


def _render_draft(
    request: HttpRequest,
    detail: DraftDetail,
    *,
    notice: str = "",
    action_errors: list[str] | None = None,
    reject_form: RejectDraftForm | None = None,
) -> HttpResponse:
    context = {
        "draft": detail.draft,
        "lines": detail.lines,
        "totals": detail.totals,
        "actions": _draft_actions(detail.draft, request.user),
        "notice": notice,
        "action_errors": action_errors or [],
        "reject_form": reject_form or RejectDraftForm(),
    }
    return render(request, "ledger/journals/journal_detail.html", context)


def _journal_form_post(request: HttpRequest, draft: JournalDraft | None) -> HttpResponse:
    """The entry form posts here for every button: save, submit, and (without saving)
    add a line, remove a line, or add up the totals."""
    action = request.POST.get("action", "save")
    if action not in ("save", "submit"):
        return _redraw_form(request, draft, action)
    form = JournalDraftForm(request.POST)
    lines = line_formset(data=request.POST, recalc_url=request.path)
    if form.is_valid() and lines.is_valid():
        try:
            draft = save_journal_draft(
                draft,
                actor=request.user,
                entry_date=form.cleaned_data["entry_date"],
                memo=form.cleaned_data["memo"],
                adjustment_period=form.cleaned_data["adjustment_period"],
                lines=lines.line_specs,
                idempotency_key=form.cleaned_data["idempotency_key"],
                submit=action == "submit",
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            done = "saved and submitted for approval" if action == "submit" else "saved"
            messages.success(request, f"{draft.number} is {done}.")
            return redirect("ledger:journal_detail", pk=draft.pk)
    return _render_form(request, draft, form, lines)


def _redraw_form(request: HttpRequest, draft: JournalDraft | None, action: str) -> HttpResponse:
    rows = line_rows(request.POST)
    if action == "recalc" and request.htmx:
        return render(request, f"{FORM_TEMPLATE}#totals", {"totals": totals_of(rows)})
    if action == "add" and len(rows) < MAX_LINES:
        rows.append({})
    elif action.startswith("remove-"):
        index = action.removeprefix("remove-")
        if index.isascii() and index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
    lines = line_formset(rows=rows or [{}], recalc_url=request.path)
    if request.htmx:
        context = {"lines": lines, "account_names": _names_in(lines)}
        return render(request, f"{FORM_TEMPLATE}#lines", context)
    fields = ("entry_date", "memo", "adjustment_period", "idempotency_key")
    form = JournalDraftForm(initial={name: request.POST.get(name, "") for name in fields})
    return _render_form(request, draft, form, lines)


def _render_form(request: HttpRequest, draft, form: Form, lines) -> HttpResponse:
    context = {"draft": draft, "form": form, "lines": lines, "account_names": _names_in(lines)}
    return render(request, FORM_TEMPLATE, context)


def _names_in(lines) -> dict[str, str]:
    return account_names(line["account"].value() for line in lines)


def _render_entry(request: HttpRequest, detail: EntryDetail, form: Form) -> HttpResponse:
    entry = detail.entry
    lead = has_role(request.user, *JOURNAL_APPROVERS)
    open_to_reversal = entry.reverses_id is None and detail.reversed_by is None
    # An entry on a subledger's control account is reversed in its module, with its document.
    in_module = lead and open_to_reversal and bool(detail.control_accounts)
    may_reverse = lead and open_to_reversal and not detail.control_accounts
    context = {
        "detail": detail,
        "entry": entry,
        "may_reverse": may_reverse,
        "reverse_in_module": in_module,
        "form": form,
    }
    return render(request, "ledger/journals/entry_detail.html", context)


def _reverse_initial() -> dict:
    # A one-time key made when the form is drawn: a double-click reverses once.
    return {"entry_date": timezone.localdate(), "idempotency_key": new_idempotency_key("reversal")}


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _entries_csv(entries) -> HttpResponse:
    rows = (
        [
            f"{entry_id:07d}",
            date,
            f"FY{year} P{period:02d}",
            module,
            document,
            memo,
            account,
            name,
            amount if amount > 0 else None,
            -amount if amount < 0 else None,
            line_memo,
            preparer,
            approver,
            timezone.localtime(posted).strftime("%Y-%m-%d %H:%M:%S"),
            f"{reverses:07d}" if reverses else "",
        ]
        for (
            entry_id,
            date,
            year,
            period,
            module,
            document,
            memo,
            account,
            name,
            amount,
            line_memo,
            preparer,
            approver,
            posted,
            reverses,
        ) in journal_entry_export_rows(entries)
    )
    header = [
        "entry",
        "date",
        "period",
        "source module",
        "source document",
        "entry memo",
        "account",
        "account name",
        "debit",
        "credit",
        "line memo",
        "prepared by",
        "approved by",
        "posted at",
        "reverses",
    ]
    return csv_response(f"journal-entries-{timezone.localdate():%Y%m%d}.csv", header, rows)
