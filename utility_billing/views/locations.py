"""The service location screens: everyone on the utility desk reads them; technicians and
their lead add and edit locations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.roles import Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.accounts import LocationFilterForm, LocationForm
from utility_billing.models import ServiceLocation
from utility_billing.queries.accounts import location_detail as load_location
from utility_billing.queries.accounts import location_list as list_locations
from utility_billing.services.accounts import ACCOUNT_EDITORS, create_location, update_location

# The utility desk reads locations and accounts; the counter finds them to take payments.
ACCOUNT_READERS = ACCOUNT_EDITORS | {Role.FINANCE_SUPERVISOR, Role.AUDITOR, Role.COUNTER_CLERK}
PER_PAGE = 50


def _location_or_404(pk: int) -> ServiceLocation:
    try:
        return ServiceLocation.objects.get(pk=pk)
    except ServiceLocation.DoesNotExist:
        raise Http404("No such service location.") from None


@role_required(ACCOUNT_READERS)
@require_GET
def location_list(request: HttpRequest) -> HttpResponse:
    form = LocationFilterForm(request.GET)
    locations = (
        list_locations(**form.cleaned_data) if form.is_valid() else ServiceLocation.objects.none()
    )
    context = {
        "form": form,
        "page": Paginator(locations, PER_PAGE).get_page(request.GET.get("page")),
        "can_create": has_role(request.user, *ACCOUNT_EDITORS),
    }
    template = "utility_billing/location_list.html"
    return render(request, template + ("#results" if fragment_wanted(request) else ""), context)


@role_required(ACCOUNT_READERS)
@require_GET
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        page = load_location(pk, on_date=timezone.localdate())
    except ServiceLocation.DoesNotExist:
        raise Http404("No such service location.") from None
    context = {"page": page, "can_edit": has_role(request.user, *ACCOUNT_EDITORS)}
    return render(request, "utility_billing/location_detail.html", context)


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def location_create(request: HttpRequest) -> HttpResponse:
    form = LocationForm(request.POST or None)
    if form.is_valid():
        try:
            location = create_location(form.values(), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Location {location} added.")
            return redirect("utility_billing:location_detail", pk=location.pk)
    return render(request, "utility_billing/location_form.html", {"form": form, "location": None})


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_or_404(pk)
    initial = {
        field: getattr(location, field)
        for field in LocationForm.base_fields
        if field not in ("cycle",)
    }
    initial["cycle"] = location.cycle_id
    form = LocationForm(request.POST or None, initial=initial, editing=True)
    if form.is_valid():
        try:
            location = update_location(
                location,
                form.values(),
                is_active=form.cleaned_data["is_active"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Location {location} saved.")
            return redirect("utility_billing:location_detail", pk=location.pk)
    context = {"form": form, "location": location}
    return render(request, "utility_billing/location_form.html", context)
