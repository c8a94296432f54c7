from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ledger.forms.periods import FiscalYearForm, PeriodStatusForm
from ledger.models import FiscalPeriod, FiscalYear
from ledger.queries import fiscal_years_with_periods
from ledger.services import close_period, create_fiscal_year, reopen_period
from ledger.services.year_end import close_fiscal_year
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, Role, has_role, role_required

# Closing and reopening periods is the Finance Supervisor's (DESIGN.md: "a supervisor closes
# periods"); everyone who works the books or audits them may see their state.
PERIOD_MANAGERS = frozenset({Role.FINANCE_SUPERVISOR})


@role_required(FINANCE_STAFF | AUDIT_READERS)
@require_GET
def period_list(request: HttpRequest) -> HttpResponse:
    context = {
        "years": fiscal_years_with_periods(),
        "can_manage": has_role(request.user, *PERIOD_MANAGERS),
        "year_form": FiscalYearForm(),
    }
    return render(request, "ledger/period_list.html", context)


@role_required(PERIOD_MANAGERS)
@require_POST
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, close=True)


@role_required(PERIOD_MANAGERS)
@require_POST
def period_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, close=False)


def _change_status(request: HttpRequest, pk: int, *, close: bool) -> HttpResponse:
    period = get_object_or_404(FiscalPeriod.objects.select_related("fiscal_year"), pk=pk)
    form = PeriodStatusForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if close:
                close_period(period, actor=request.user, reason=reason)
            else:
                reopen_period(period, actor=request.user, reason=reason)
        except ValidationError as error:
            messages.error(request, f"{period}: {' '.join(error.messages)}")
        else:
            messages.success(request, f"{period} is {'closed' if close else 'open'}.")
    else:
        messages.error(request, f"{period}: {' '.join(form.errors.get('reason', []))}")
    return redirect("ledger:period_list")


@role_required(PERIOD_MANAGERS)
@require_POST
def fiscal_year_close(request: HttpRequest, pk: int) -> HttpResponse:
    fiscal_year = get_object_or_404(FiscalYear, pk=pk)
    try:
        entries = close_fiscal_year(fiscal_year, actor=request.user)
    except ValidationError as error:
        messages.error(request, f"{fiscal_year}: {' '.join(error.messages)}")
    else:
        if entries:
            numbers = ", ".join(f"JE {entry.number}" for entry in entries)
            messages.success(request, f"{fiscal_year} closed to fund balance: {numbers}.")
        else:
            messages.info(request, f"{fiscal_year} has nothing left to close.")
    return redirect("ledger:period_list")


@role_required(PERIOD_MANAGERS)
@require_POST
def fiscal_year_create(request: HttpRequest) -> HttpResponse:
    form = FiscalYearForm(request.POST)
    if not form.is_valid():
        context = {"years": fiscal_years_with_periods(), "can_manage": True, "year_form": form}
        return render(request, "ledger/period_list.html", context)
    fiscal_year = create_fiscal_year(form.cleaned_data["year"], actor=request.user)
    messages.success(request, f"{fiscal_year} is in place with thirteen periods.")
    return redirect("ledger:period_list")
