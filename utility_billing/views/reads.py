"""The read screens: the route sheet and the file import (technicians), the read
exceptions and missing reads with their actions, a read's page, estimates."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.reads import (
    AcceptForm,
    CorrectForm,
    EstimateForm,
    ExceptionFilterForm,
    MissingFilterForm,
    ReadImportForm,
    ReReadForm,
    RouteSheetForm,
    new_import_key,
    sheet_rows,
    typed_rows,
)
from utility_billing.models import (
    Cycle,
    ExceptionCode,
    ExceptionStatus,
    Meter,
    MeterRead,
    ReadImport,
)
from utility_billing.permissions import METER_READERS, METER_WORKERS
from utility_billing.queries import reads as queries
from utility_billing.queries.meters import meter_detail as load_meter
from utility_billing.services.read_imports import (
    READ_FILE_COLUMNS,
    READ_FILE_SAMPLE,
    upload_read_file,
)
from utility_billing.services.reads import (
    ReadsRefused,
    accept_read,
    apply_estimate,
    correct_read,
    enter_reads,
    request_re_read,
)

PER_PAGE = 50
SHEET_PER_PAGE = 200
ERRORS_PER_PAGE = 100


# ---------------------------------------------------------------- the route sheet


@role_required(METER_WORKERS)
@require_http_methods(["GET", "POST"])
def read_entry(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    picker = RouteSheetForm(data if "cycle" in data else None, initial=_sheet_defaults())
    meters, page, rows, refused = None, None, [], None
    if picker.is_bound and picker.is_valid():
        cycle, route = picker.cleaned_data["cycle"], picker.cleaned_data["route"]
        page = Paginator(queries.route_sheet(cycle, route), SHEET_PER_PAGE).get_page(
            data.get("page")
        )
        meters = list(page.object_list)
        typed = typed_rows(request.POST, meters, picker.cleaned_data["read_date"])
        if request.method == "POST":
            try:
                recorded = enter_reads(typed, actor=request.user)
            except ReadsRefused as error:
                refused = error
            except ValidationError as error:
                picker.add_error(None, error)
            else:
                messages.success(request, _recorded_message(len(recorded.read_ids), recorded))
                return redirect(_sheet_url(picker, page.number))
        rows = sheet_rows(meters, request.POST, refused)
    context = {"picker": picker, "page": page, "rows": rows, "refused": refused}
    return render(request, "utility_billing/reads/read_entry.html", context)


def _sheet_url(picker: RouteSheetForm, page_number: int) -> str:
    """The same sheet again, for the next reads."""
    values = picker.cleaned_data
    query = urlencode(
        {
            "cycle": values["cycle"].pk,
            "route": values["route"],
            "read_date": f"{values['read_date']:%Y-%m-%d}",
            **({"page": page_number} if page_number > 1 else {}),
        }
    )
    return f"{reverse('utility_billing:read_entry')}?{query}"


def _sheet_defaults() -> dict:
    first = Cycle.objects.filter(is_active=True).order_by("code").first()
    return {"cycle": first, "read_date": timezone.localdate()}


def _recorded_message(count: int, recorded) -> str:
    text = f"{count} read{'s' if count != 1 else ''} recorded"
    if recorded.exceptions:
        text += f", {recorded.exceptions} with an exception to review"
    return text + "."


# ---------------------------------------------------------------- the file import


@role_required(METER_WORKERS)
@require_http_methods(["GET", "POST"])
def read_import(request: HttpRequest) -> HttpResponse:
    form = ReadImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        done = upload_read_file(
            filename=form.cleaned_data["filename"],
            content=form.cleaned_data["content"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            actor=request.user,
        )
        if done.job_id is not None:
            return redirect("job_detail", pk=done.job_id)
        return redirect("utility_billing:read_import_detail", pk=done.pk)
    context = {
        "form": form,
        "import_key": new_import_key(),
        "columns": READ_FILE_COLUMNS,
        "imports": queries.read_import_list(),
    }
    return render(request, "utility_billing/reads/read_import.html", context)


@role_required(METER_WORKERS)
@require_GET
def read_import_template(request: HttpRequest) -> HttpResponse:
    """The layout as a CSV: the header row and three sample reads to overwrite."""
    return csv_response("meter-reads-template.csv", READ_FILE_COLUMNS, READ_FILE_SAMPLE)


@role_required(METER_READERS)
@require_GET
def read_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found = queries.read_import_detail(pk)
    except ReadImport.DoesNotExist:
        raise Http404("No such read import.") from None
    if request.GET.get("format") == "csv":
        return csv_response(
            f"read-import-{found.pk}-problems.csv", ("line", "problem"), found.errors
        )
    page = Paginator(found.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"read_import": found, "page": page, "job": found.job}
    return render(request, "utility_billing/reads/read_import_detail.html", context)


# ---------------------------------------------------------------- exceptions and missing reads


@role_required(METER_READERS)
@require_GET
def read_exceptions(request: HttpRequest) -> HttpResponse:
    form = ExceptionFilterForm(request.GET)
    rows = (
        queries.open_exceptions(**form.cleaned_data)
        if form.is_valid()
        else MeterRead.objects.none()
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "context": queries.exception_context(list(page.object_list)),
        "code_labels": dict(ExceptionCode.choices),
    }
    template = "utility_billing/reads/read_exceptions.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(METER_READERS)
@require_GET
def read_missing(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    cycle = Cycle.objects.filter(is_active=True).order_by("code").first()
    if cycle is not None and "cycle" not in data:
        data["cycle"] = str(cycle.pk)
        data["read_date"] = f"{queries.scheduled_read_date(cycle, timezone.localdate()):%Y-%m-%d}"
    form = MissingFilterForm(data if cycle is not None else None)
    page = None
    if form.is_bound and form.is_valid():
        missing = queries.missing_reads(form.cleaned_data["cycle"], form.cleaned_data["read_date"])
        page = Paginator(missing, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_work": has_role(request.user, *METER_WORKERS)}
    template = "utility_billing/reads/read_missing.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


# ---------------------------------------------------------------- a read and its actions


def _read_or_404(pk: int) -> MeterRead:
    try:
        return queries.read_detail(pk)
    except MeterRead.DoesNotExist:
        raise Http404("No such read.") from None


def _read_page(request: HttpRequest, read: MeterRead, **forms) -> HttpResponse:
    context_row = queries.exception_context([read])[read.pk]
    context = {
        "read": read,
        "account": queries.account_at(read.location_id, read.read_date),
        "context": context_row,
        "history": queries.location_reads(read),
        "orders": queries.re_read_orders(read),
        "code_labels": dict(ExceptionCode.choices),
        "can_settle": read.exception_status == ExceptionStatus.OPEN
        and has_role(request.user, *METER_WORKERS),
        "accept_form": forms.get("accept_form") or AcceptForm(prefix="accept"),
        "correct_form": forms.get("correct_form") or CorrectForm(prefix="correct"),
        "re_read_form": forms.get("re_read_form") or ReReadForm(prefix="re_read"),
    }
    return render(request, "utility_billing/reads/read_detail.html", context)


@role_required(METER_READERS)
@require_GET
def read_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _read_page(request, _read_or_404(pk))


@role_required(METER_WORKERS)
@require_POST
def read_accept(request: HttpRequest, pk: int) -> HttpResponse:
    read = _read_or_404(pk)
    form = AcceptForm(request.POST, prefix="accept")
    if form.is_valid():
        try:
            accept_read(read, note=form.cleaned_data["note"], actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Read of meter {read.meter.serial} accepted: it is billed.")
            return redirect("utility_billing:read_exceptions")
    return _read_page(request, read, accept_form=form)


@role_required(METER_WORKERS)
@require_POST
def read_correct(request: HttpRequest, pk: int) -> HttpResponse:
    read = _read_or_404(pk)
    form = CorrectForm(request.POST, prefix="correct")
    if form.is_valid():
        try:
            read = correct_read(read, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if read.exception_status == ExceptionStatus.OPEN:
                messages.warning(request, "Corrected, but the read still looks wrong: review it.")
                return redirect("utility_billing:read_detail", pk=read.pk)
            messages.success(request, f"Read of meter {read.meter.serial} corrected.")
            return redirect("utility_billing:read_exceptions")
    return _read_page(request, read, correct_form=form)


@role_required(METER_WORKERS)
@require_POST
def read_re_read(request: HttpRequest, pk: int) -> HttpResponse:
    read = _read_or_404(pk)
    form = ReReadForm(request.POST, prefix="re_read")
    if form.is_valid():
        try:
            order = request_re_read(read, note=form.cleaned_data["note"], actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Re-read requested: service order {order.number}.")
            return redirect("utility_billing:read_exceptions")
    return _read_page(request, read, re_read_form=form)


# ---------------------------------------------------------------- estimates


@role_required(METER_READERS)
@require_http_methods(["GET", "POST"])
def read_estimate(request: HttpRequest, pk: int) -> HttpResponse:
    """A missing read's estimate: everyone who reads meters sees its arithmetic; a
    technician records it."""
    try:
        meter = load_meter(pk)
    except Meter.DoesNotExist:
        raise Http404("No such meter.") from None
    can_work = has_role(request.user, *METER_WORKERS)
    if request.method == "POST" and not can_work:
        raise PermissionDenied("Only technicians and senior technicians record estimates.")
    form = EstimateForm(
        request.POST if request.method == "POST" else request.GET or None,
        initial={"read_date": timezone.localdate()},
    )
    day = form.cleaned_data["read_date"] if form.is_bound and form.is_valid() else None
    if request.method == "POST" and day is not None:
        try:
            read = apply_estimate(
                meter, read_date=day, note=form.cleaned_data["note"], actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Estimated read of meter {meter.serial} recorded.")
            return redirect("utility_billing:read_detail", pk=read.pk)
    estimate = queries.estimate_for(meter, day or timezone.localdate())
    context = {"meter": meter, "form": form, "estimate": estimate, "can_work": can_work}
    return render(request, "utility_billing/reads/read_estimate.html", context)
