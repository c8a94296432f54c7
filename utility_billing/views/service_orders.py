"""The service order screens: the list with its filters, an order's page, a new order
at a location, and schedule, complete or cancel."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.accounts import (
    CancelForm,
    CompleteForm,
    ScheduleForm,
    ServiceOrderFilterForm,
    ServiceOrderForm,
)
from utility_billing.models import ServiceOrder, UtilityAccount
from utility_billing.queries.accounts import service_order_detail as load_order
from utility_billing.queries.accounts import service_order_list as list_orders
from utility_billing.services.accounts import ACCOUNT_EDITORS
from utility_billing.services.service_orders import (
    OUTSTANDING,
    cancel_service_order,
    complete_service_order,
    create_service_order,
    schedule_service_order,
)
from utility_billing.views.locations import ACCOUNT_READERS, PER_PAGE, _location_or_404

ORDER_PAGE = "utility_billing/service_order_detail.html"


def _order_or_404(pk: int) -> ServiceOrder:
    try:
        return load_order(pk)
    except ServiceOrder.DoesNotExist:
        raise Http404("No such service order.") from None


@role_required(ACCOUNT_READERS)
@require_GET
def service_order_list(request: HttpRequest) -> HttpResponse:
    form = ServiceOrderFilterForm(request.GET)
    orders = list_orders(**form.cleaned_data) if form.is_valid() else ServiceOrder.objects.none()
    context = {"form": form, "page": Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))}
    template = "utility_billing/service_order_list.html"
    return render(request, template + ("#results" if fragment_wanted(request) else ""), context)


def _order_page(request: HttpRequest, order: ServiceOrder, **forms) -> HttpResponse:
    can_act = order.status in OUTSTANDING and has_role(request.user, *ACCOUNT_EDITORS)
    context = {
        "order": order,
        "can_act": can_act,
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(initial={"scheduled_for": order.scheduled_for}),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
    }
    return render(request, ORDER_PAGE, context)


@role_required(ACCOUNT_READERS)
@require_GET
def service_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order_or_404(pk))


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def service_order_create(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_or_404(pk)
    account = UtilityAccount.objects.open().filter(location=location).order_by("-role").first()
    form = ServiceOrderForm(request.POST or None)
    if form.is_valid():
        try:
            order = create_service_order(
                location, account=account, **form.cleaned_data, actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Service order {order.number} made.")
            return redirect("utility_billing:service_order_detail", pk=order.pk)
    context = {"form": form, "location": location, "account": account}
    return render(request, "utility_billing/service_order_form.html", context)


def _act(request: HttpRequest, pk: int, form_class, name: str, service, done: str) -> HttpResponse:
    order = _order_or_404(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(order, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Service order {order.number} {done}.")
            return redirect("utility_billing:service_order_detail", pk=order.pk)
    return _order_page(request, order, **{name: form})


@role_required(ACCOUNT_EDITORS)
@require_POST
def service_order_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, ScheduleForm, "schedule_form", schedule_service_order, "scheduled")


@role_required(ACCOUNT_EDITORS)
@require_POST
def service_order_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, CompleteForm, "complete_form", complete_service_order, "completed")


@role_required(ACCOUNT_EDITORS)
@require_POST
def service_order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, CancelForm, "cancel_form", cancel_service_order, "cancelled")
