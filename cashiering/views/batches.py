"""Mail batches (checks keyed against a control total) and lockbox imports."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cashiering.forms.batches import (
    BLANK_ROWS,
    ControlForm,
    LockboxImportForm,
    MailBatchForm,
    RowText,
    new_batch_key,
    read_rows,
    rows_of,
)
from cashiering.models import BatchKind, BatchStatus, PaymentBatch
from cashiering.queries.batches import batch_for, batch_list
from cashiering.queries.sessions import OVERSEERS
from cashiering.services.batches import (
    BATCH_KEYERS,
    LOCKBOX_IMPORTERS,
    account_match,
    create_mail_batch,
    post_mail_batch,
    row_errors,
    save_mail_batch,
)
from cashiering.services.lockbox import LOCKBOX_COLUMNS, LOCKBOX_SAMPLE, upload_lockbox_file
from millbrae_finance.csv_export import csv_response
from millbrae_finance.jobs import is_abandoned
from millbrae_finance.roles import Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors

BATCH_READERS = BATCH_KEYERS | LOCKBOX_IMPORTERS | OVERSEERS | {Role.FINANCE_SUPERVISOR}
PER_PAGE = 50


@role_required(BATCH_READERS)
@require_GET
def batch_list_view(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    kind = kind if kind in BatchKind.values else ""
    status = status if status in BatchStatus.values else ""
    page = Paginator(batch_list(kind=kind, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "kind": kind,
        "status": status,
        "kinds": BatchKind.choices,
        "statuses": BatchStatus.choices,
        "may_key": has_role(request.user, *BATCH_KEYERS),
        "may_import": has_role(request.user, *LOCKBOX_IMPORTERS),
    }
    return render(request, "cashiering/batch_list.html", context)


@role_required(BATCH_KEYERS)
@require_http_methods(["GET", "POST"])
def batch_create(request: HttpRequest) -> HttpResponse:
    form = MailBatchForm(request.POST or None)
    if form.is_valid():
        try:
            batch = create_mail_batch(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("cashiering:batch_detail", pk=batch.pk)
    return render(request, "cashiering/batch_create.html", {"form": form})


@role_required(BATCH_READERS)
@require_http_methods(["GET", "POST"])
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    may_key = batch.is_editable and has_role(request.user, *BATCH_KEYERS)
    if request.method == "POST" and not may_key:
        return redirect("cashiering:batch_detail", pk=batch.pk)
    if request.method == "POST":
        return _save_or_post(request, batch)
    if batch.kind == BatchKind.LOCKBOX and request.GET.get("format") == "csv":
        return csv_response(
            f"{batch.display_number}-problems.csv", ("line", "problem"), batch.errors
        )
    rows = rows_of(batch) if may_key else []
    return _detail(request, batch, may_key=may_key, rows=rows, control=None)


def _save_or_post(request: HttpRequest, batch: PaymentBatch) -> HttpResponse:
    """Save the rows typed (a draft) and, for Post, post the batch; errors beside the
    rows at fault, the rows kept as typed."""
    texts, rows, parsed = read_rows(request.POST)
    control = ControlForm(request.POST)
    if parsed and control.is_valid():
        try:
            batch = save_mail_batch(batch, rows=rows, **control.cleaned_data, actor=request.user)
            if request.POST.get("action") == "post":
                batch = post_mail_batch(batch, actor=request.user)
                messages.success(
                    request, f"Batch {batch.display_number} posted: {batch.checks_count} checks."
                )
            else:
                messages.success(request, f"Batch {batch.display_number} saved as a draft.")
            return redirect("cashiering:batch_detail", pk=batch.pk)
        except ValidationError as error:
            for line, problems in row_errors(error).items():
                if 0 < line <= len(texts):
                    texts[line - 1].errors += problems
            add_service_errors(control, _without_rows(error))
            batch = _batch(batch.pk)
    return _detail(request, batch, may_key=True, rows=texts, control=control)


def _without_rows(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    rest = {k: v for k, v in error.error_dict.items() if not k.startswith("row-")}
    return ValidationError(rest) if rest else ValidationError({})


def _detail(request, batch, *, may_key: bool, rows: list[RowText], control) -> HttpResponse:
    if may_key:
        rows = rows + [RowText(line=len(rows) + n) for n in range(1, BLANK_ROWS + 1)]
    job = batch.job
    context = {
        "batch": batch,
        "may_key": may_key,
        "rows": rows,
        "bad_rows": sum(1 for row in rows if row.errors),
        "control": control
        or ControlForm(
            initial={"control_total": batch.control_total, "control_count": batch.control_count}
        ),
        "items": batch.items.all() if not may_key else [],
        "job": job if job and batch.status == BatchStatus.DRAFT else None,
        "abandoned": bool(job) and is_abandoned(job),
    }
    return render(request, "cashiering/batch_detail.html", context, status=200)


def _batch(pk: int) -> PaymentBatch:
    try:
        return batch_for(pk)
    except PaymentBatch.DoesNotExist:
        raise Http404("No such batch.") from None


@role_required(BATCH_KEYERS)
@require_GET
def batch_account(request: HttpRequest) -> HttpResponse:
    """Whose account the number typed is (HTMX, as the clerk types): the name to confirm
    against the check, or that there is no such account."""
    number = request.GET.get("account", "")[:60]
    context = {"match": account_match(number), "number": number.strip()}
    return render(request, "cashiering/batch_detail.html#account", context)


@role_required(LOCKBOX_IMPORTERS)
@require_http_methods(["GET", "POST"])
def lockbox_import(request: HttpRequest) -> HttpResponse:
    form = LockboxImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            batch = upload_lockbox_file(
                filename=form.cleaned_data["filename"],
                content=form.cleaned_data["content"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("cashiering:batch_detail", pk=batch.pk)
    context = {
        "form": form,
        "import_key": new_batch_key(),
        "recent": batch_list(kind=BatchKind.LOCKBOX)[:10],
    }
    return render(request, "cashiering/lockbox_import.html", context)


@role_required(LOCKBOX_IMPORTERS)
@require_GET
def lockbox_template(request: HttpRequest) -> HttpResponse:
    """The layout as a CSV: the header row, two sample payments and the trailer."""
    return csv_response("lockbox-template.csv", LOCKBOX_COLUMNS, LOCKBOX_SAMPLE)
