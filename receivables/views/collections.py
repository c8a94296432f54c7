"""Aging, customer statements, dunning notices, collection referrals and write-offs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.csv_export import csv_response, queryset_csv_response
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, form_view, fragment_wanted
from receivables.forms.collections import (
    CandidateFilterForm,
    ReferForm,
    ReferralFileForm,
    ReferralFilterForm,
    StatusImportForm,
    WriteOffFilterForm,
    WriteOffForm,
    WriteOffRejectForm,
)
from receivables.models import WriteOff, WriteOffStatus
from receivables.queries import collections as queries
from receivables.services.referrals import (
    StatusImportRefused,
    import_referral_statuses,
    import_totals,
    plan_status_import,
    read_status_file,
    refer_items,
)
from receivables.services.write_offs import (
    WRITE_OFF_APPROVERS,
    approve_write_off,
    reject_write_off,
    request_write_off,
)

# The Auditor reads and exports every collections list; finance staff act on them.
COLLECTIONS_READERS = FINANCE_STAFF | {Role.AUDITOR}
PER_PAGE = 50
CANDIDATES_PER_PAGE = 100


def _tabs(request: HttpRequest) -> dict:
    # The collections tabs show only what the user may open: the auditor reads the
    # referrals but does not import the agency's statuses.
    return {"can_import_statuses": has_role(request.user, *FINANCE_STAFF)}


# ---------------------------------------------------------------- write-offs


@role_required(COLLECTIONS_READERS)
@require_GET
def write_off_list(request: HttpRequest) -> HttpResponse:
    form = WriteOffFilterForm(request.GET)
    rows = (
        queries.write_off_list(**form.cleaned_data) if form.is_valid() else WriteOff.objects.none()
    )
    if request.GET.get("format") == "csv":
        filename = f"write-offs-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, rows, queries.WRITE_OFF_EXPORT_FIELDS)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_request": has_role(request.user, *FINANCE_STAFF),
        **_tabs(request),
    }
    template = "receivables/write_off_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def write_off_create(request: HttpRequest) -> HttpResponse:
    # From the aging, an invoice or a citation: ?document=INV-000123
    number = request.GET.get("document", "")[:30]
    return form_view(
        request,
        WriteOffForm,
        initial={"document": number, "write_off_date": timezone.localdate()},
        perform=lambda data: request_write_off(
            data["document"],
            amount=data["amount"],
            reason=data["reason"],
            write_off_date=data["write_off_date"],
            actor=request.user,
        ),
        success=lambda write_off: (
            f"{write_off} requested: a Finance Supervisor approves it.",
            redirect("receivables:write_off_detail", pk=write_off.pk),
        ),
        template="receivables/write_off_form.html",
        context=lambda form: {"summary": _document_summary(form)},
        fragment="summary",
    )


def _document_summary(form: WriteOffForm):
    """What the chosen document owes: the one posted, or the one the page was opened for."""
    if form.is_bound:
        document = form.cleaned_data.get("document")
    else:
        document = form.initial.get("document") and queries.find_document(form.initial["document"])
    return queries.document_summary(document) if document else None


def _write_off_or_404(pk: int) -> WriteOff:
    try:
        return queries.write_off_detail(pk)
    except WriteOff.DoesNotExist:
        raise Http404("No such write-off.") from None


def _write_off_page(request, write_off: WriteOff, reject_form=None, status: int = 200):
    pending = write_off.status == WriteOffStatus.PENDING
    context = {
        "write_off": write_off,
        "document": write_off.invoice or write_off.citation,
        "debtor": queries.debtor_name(write_off.invoice or write_off.citation),
        # Segregation of duties: whoever asked never sees Approve or Reject.
        "can_decide": pending
        and has_role(request.user, *WRITE_OFF_APPROVERS)
        and write_off.prepared_by_id != request.user.pk,
        "reject_form": reject_form or WriteOffRejectForm(),
    }
    return render(request, "receivables/write_off_detail.html", context, status=status)


@role_required(COLLECTIONS_READERS)
@require_GET
def write_off_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _write_off_page(request, _write_off_or_404(pk))


def _decider_or_403(request: HttpRequest, write_off: WriteOff) -> None:
    if write_off.prepared_by_id == request.user.pk:
        raise PermissionDenied("You requested this write-off: another supervisor decides it.")


@role_required(WRITE_OFF_APPROVERS)
@require_POST
def write_off_approve(request: HttpRequest, pk: int) -> HttpResponse:
    write_off = _write_off_or_404(pk)
    _decider_or_403(request, write_off)
    try:
        write_off = approve_write_off(write_off, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{write_off} approved and posted.")
    return redirect("receivables:write_off_detail", pk=pk)


@role_required(WRITE_OFF_APPROVERS)
@require_POST
def write_off_reject(request: HttpRequest, pk: int) -> HttpResponse:
    write_off = _write_off_or_404(pk)
    _decider_or_403(request, write_off)
    return form_view(
        request,
        WriteOffRejectForm,
        perform=lambda data: reject_write_off(write_off, note=data["note"], actor=request.user),
        success=lambda rejected: (
            f"{rejected} rejected.",
            redirect("receivables:write_off_detail", pk=pk),
        ),
        page=lambda form: _write_off_page(request, write_off, reject_form=form),
    )


# ---------------------------------------------------------------- referrals


@role_required(COLLECTIONS_READERS)
@require_http_methods(["GET", "POST"])
def referral_candidates(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not has_role(request.user, *FINANCE_STAFF):
        raise PermissionDenied("Only finance staff refer items to collections.")
    data = request.POST if request.method == "POST" else request.GET.copy()
    if request.method == "GET":  # show the defaults in the filter, not blanks
        data.setdefault("as_of", f"{timezone.localdate():%Y-%m-%d}")
        data.setdefault("days", "90")
    filters = CandidateFilterForm(data)
    filters.is_valid()
    as_of = filters.cleaned_data.get("as_of") or timezone.localdate()
    days = filters.cleaned_data.get("days")
    days = 90 if days is None else days
    kind = filters.cleaned_data.get("kind", "")
    candidates = queries.referral_candidates(as_of=as_of, days=days, kind=kind)
    refer = ReferForm(request.POST if request.method == "POST" else None)
    if refer.is_valid():
        keys = refer.cleaned_data["items"]
        if refer.cleaned_data["refer_all"]:
            keys = [(row[0], row[1]) for row in candidates]
        try:
            referrals = refer_items(
                queries.candidate_documents(keys),
                agency=refer.cleaned_data["agency"],
                referred_on=refer.cleaned_data["referred_on"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(refer, error)
        else:
            messages.success(
                request,
                f"{len(referrals)} item{'s' if len(referrals) != 1 else ''} referred to "
                f"{refer.cleaned_data['agency']}: download the referral file below.",
            )
            return redirect(
                f"{reverse('receivables:referral_files')}"
                f"?referred_on={refer.cleaned_data['referred_on']:%Y-%m-%d}"
            )
    page = Paginator(candidates, CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
    ticked = set(request.POST.getlist("item")) if request.method == "POST" else set()
    context = {
        "filters": filters,
        "form": filters,
        "refer": refer,
        "page": page,
        "rows": queries.candidate_rows(page.object_list, as_of=as_of, ticked=ticked),
        "as_of": as_of,
        "days": days,
        "kind": kind,
        "can_refer": has_role(request.user, *FINANCE_STAFF),
    }
    context.update(_tabs(request))
    return render(request, "receivables/referral_candidates.html", context)


@role_required(COLLECTIONS_READERS)
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    form = ReferralFilterForm(request.GET)
    rows = (
        queries.referral_list(**form.cleaned_data) if form.is_valid() else WriteOff.objects.none()
    )
    if request.GET.get("format") == "csv":
        filename = f"referrals-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, rows, queries.REFERRAL_EXPORT_FIELDS)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    template = "receivables/referral_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, {"form": form, "page": page, **_tabs(request)})


@role_required(COLLECTIONS_READERS)
@require_GET
def referral_files(request: HttpRequest) -> HttpResponse:
    """The referral files, one per agency and date; with both named, the CSV itself."""
    if "agency" in request.GET:
        form = ReferralFileForm(request.GET)
        if not form.is_valid():
            raise Http404("No such referral file.")
        referred_on, agency = form.cleaned_data["referred_on"], form.cleaned_data["agency"]
        rows = queries.referral_file_rows(referred_on=referred_on, agency=agency)
        if not rows:
            raise Http404("No such referral file.")
        slug = "".join(c if c.isalnum() else "-" for c in agency.lower()).strip("-")[:40]
        filename = f"referrals-{slug}-{referred_on:%Y%m%d}.csv"
        return csv_response(filename, queries.REFERRAL_FILE_HEADER, rows)
    batches = queries.referral_batches()
    highlight = request.GET.get("referred_on", "")
    page = Paginator(batches, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "receivables/referral_files.html",
        {"page": page, "highlight": highlight, **_tabs(request)},
    )


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def referral_import(request: HttpRequest) -> HttpResponse:
    """The agency's status file: upload, preview every row, then confirm."""
    posted = request.method == "POST"
    form = StatusImportForm(request.POST, request.FILES) if posted else StatusImportForm()
    changes, file_errors = None, []
    if request.method == "POST" and form.is_valid():
        rows, file_errors = read_status_file(form.cleaned_data["content"])
        if not file_errors and request.POST.get("confirm"):
            try:
                applied = import_referral_statuses(rows, actor=request.user)
            except StatusImportRefused as refused:
                changes = refused.changes
            except ValidationError as error:
                file_errors = error.messages
            else:
                messages.success(
                    request,
                    f"Status file imported: {len(applied)} referral"
                    f"{'s' if len(applied) != 1 else ''} changed.",
                )
                return redirect("receivables:referral_list")
        elif not file_errors:
            changes = plan_status_import(rows)
    context = {
        "form": form,
        "file_errors": file_errors,
        "changes": changes,
        "has_errors": bool(changes) and any(change.row.errors for change in changes),
        "content": form.cleaned_data.get("content", "")
        if form.is_bound and form.is_valid()
        else "",
    }
    if changes is not None:
        context.update(import_totals(changes))
    context.update(_tabs(request))
    return render(request, "receivables/referral_import.html", context)
