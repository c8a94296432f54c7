"""The bill calculator: every staff role works out a bill from a class, a meter size, a
period and the water used, with its arithmetic, by the same engine the bill run uses."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from millbrae_finance.roles import ALL_ROLES, role_required
from utility_billing.forms.rates import BillCalculatorForm
from utility_billing.models import ServiceKind
from utility_billing.queries.rates import schedules_for_class, service_rates
from utility_billing.rating import BillComputation, RatingError, compute_bill


@role_required(ALL_ROLES)
@require_GET
def bill_calculator(request: HttpRequest) -> HttpResponse:
    form = BillCalculatorForm(request.GET if "service_class" in request.GET else None)
    bill = None
    missing: list[str] = []
    if form.is_valid():
        bill, missing = _compute(form)
    context = {"form": form, "bill": bill, "missing": missing}
    return render(request, "utility_billing/bill_calculator.html", context)


def _compute(form: BillCalculatorForm) -> tuple[BillComputation | None, list[str]]:
    """The bill, or errors put beside the field at fault; and the services asked for
    that have no schedule for the class."""
    data = form.cleaned_data
    schedules = schedules_for_class(data["service_class"], data["services"])
    found = {schedule.service_kind for schedule in schedules}
    missing = [ServiceKind(kind).label for kind in data["services"] if kind not in found]
    if not schedules:
        form.add_error("services", "No active rate schedule bills these services to this class.")
        return None, missing
    try:
        bill = compute_bill(
            service_rates(schedules, data["start"], data["end"]),
            service_class=data["service_class"],
            meter_size=data["meter_size"],
            start=data["start"],
            end=data["end"],
            consumption=data["consumption"],
            winter_average=data["winter_average"],
        )
    except RatingError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None, missing
    return bill, missing
