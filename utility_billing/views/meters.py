"""The meter screens: the list and a meter's page for everyone who reads meters; adding,
installing, removing and changing meters for technicians and senior technicians."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.csv_export import queryset_csv_response
from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.meters import (
    MeterChangeForm,
    MeterFilterForm,
    MeterForm,
    MeterInstallForm,
    MeterRemoveForm,
)
from utility_billing.models import Meter, MeterStatus
from utility_billing.permissions import METER_READERS, METER_WORKERS
from utility_billing.queries import meters as queries
from utility_billing.services.meters import (
    INSTALLABLE,
    METER_FIELDS,
    change_meter,
    create_meter,
    install_meter,
    remove_meter,
)

PER_PAGE = 50


def _meter_or_404(pk: int) -> Meter:
    try:
        return queries.meter_detail(pk)
    except Meter.DoesNotExist:
        raise Http404("No such meter.") from None


@role_required(METER_READERS)
@require_GET
def meter_list(request: HttpRequest) -> HttpResponse:
    form = MeterFilterForm(request.GET)
    meters = queries.meter_list(**form.cleaned_data) if form.is_valid() else Meter.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"meters-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, meters, queries.METER_EXPORT_FIELDS)
    page = Paginator(meters, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_work": has_role(request.user, *METER_WORKERS)}
    template = "utility_billing/meters/meter_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(METER_READERS)
@require_GET
def meter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meter = _meter_or_404(pk)
    page = Paginator(queries.meter_reads(meter), PER_PAGE).get_page(request.GET.get("page"))
    can_work = has_role(request.user, *METER_WORKERS)
    context = {
        "meter": meter,
        "page": page,
        "orders": queries.meter_service_orders(meter),
        "can_install": can_work and meter.status in INSTALLABLE,
        "can_remove": can_work and meter.status == MeterStatus.INSTALLED,
    }
    return render(request, "utility_billing/meters/meter_detail.html", context)


@role_required(METER_WORKERS)
@require_http_methods(["GET", "POST"])
def meter_create(request: HttpRequest) -> HttpResponse:
    form = MeterForm(request.POST or None)
    if form.is_valid():
        try:
            meter = create_meter(
                **{name: form.cleaned_data[name] for name in METER_FIELDS}, actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Meter {meter.serial} added to stock.")
            return redirect("utility_billing:meter_detail", pk=meter.pk)
    return render(request, "utility_billing/meters/meter_form.html", {"form": form})


def _action_page(request: HttpRequest, meter: Meter, form, action: str, allowed: bool):
    context = {"meter": meter, "form": form, "action": action, "allowed": allowed}
    return render(request, "utility_billing/meters/meter_action.html", context)


@role_required(METER_WORKERS)
@require_http_methods(["GET", "POST"])
def meter_install(request: HttpRequest, pk: int) -> HttpResponse:
    meter = _meter_or_404(pk)
    form = MeterInstallForm(request.POST or None)
    if form.is_valid():
        try:
            install_meter(meter, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Meter {meter.serial} installed; its first read recorded.")
            return redirect("utility_billing:meter_detail", pk=meter.pk)
    return _action_page(request, meter, form, "install", meter.status in INSTALLABLE)


@role_required(METER_WORKERS)
@require_http_methods(["GET", "POST"])
def meter_remove(request: HttpRequest, pk: int) -> HttpResponse:
    meter = _meter_or_404(pk)
    form = MeterRemoveForm(request.POST or None)
    if form.is_valid():
        try:
            remove_meter(meter, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Meter {meter.serial} removed; its final read recorded.")
            return redirect("utility_billing:meter_detail", pk=meter.pk)
    return _action_page(request, meter, form, "remove", meter.status == MeterStatus.INSTALLED)


@role_required(METER_WORKERS)
@require_http_methods(["GET", "POST"])
def meter_change(request: HttpRequest, pk: int) -> HttpResponse:
    meter = _meter_or_404(pk)
    form = MeterChangeForm(request.POST or None)
    if form.is_valid():
        try:
            change = change_meter(meter, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            new = change.first_read.meter
            done = f" Service order {change.order.number} completed." if change.order else ""
            messages.success(
                request,
                f"Meter {meter.serial} replaced by {new.serial}: both reads recorded.{done}",
            )
            return redirect("utility_billing:meter_detail", pk=new.pk)
    return _action_page(request, meter, form, "change", meter.status == MeterStatus.INSTALLED)
