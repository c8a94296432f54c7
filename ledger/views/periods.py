from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ledger.forms.journals import new_idempotency_key
from ledger.forms.periods import FiscalYearForm, PeriodStatusForm, YearEndCloseForm
from ledger.models import ADJUSTMENT_PERIOD, FiscalPeriod, FiscalYear
from ledger.queries.reports import fiscal_years_with_periods
from ledger.services import close_period, create_fiscal_year, reopen_period
from ledger.services.year_end import close_fiscal_year, year_end_plan, year_has_ended
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import form_view

# Closing and reopening periods is the Finance Supervisor's (DESIGN.md: "a supervisor closes
# periods"); everyone who works the books or audits them may see their state.
PERIOD_MANAGERS = frozenset({Role.FINANCE_SUPERVISOR})


@role_required(FINANCE_STAFF | AUDIT_READERS)
@require_GET
def period_list(request: HttpRequest) -> HttpResponse:
    return _render_period_list(request, FiscalYearForm())


def _render_period_list(request: HttpRequest, year_form: FiscalYearForm) -> HttpResponse:
    years = fiscal_years_with_periods()
    context = {
        "years": years,
        "can_manage": has_role(request.user, *PERIOD_MANAGERS),
        # A year is closed into fund balance only once its last period has ended.
        "ended_years": {year.pk for year in years if year_has_ended(year)},
        # Its adjustment period closed, a year takes no closing entries any more.
        "finished_years": {
            year.pk
            for year in years
            if any(p.number == ADJUSTMENT_PERIOD and not p.is_open for p in year.periods.all())
        },
        "year_form": year_form,
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
@require_http_methods(["GET", "POST"])
def fiscal_year_close(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the closing entries the close would post; POST (the confirmation, with
    the preview's one-time key and fingerprint) posts exactly those."""
    fiscal_year = get_object_or_404(FiscalYear, pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        form = YearEndCloseForm(request.POST)
        if not form.is_valid():
            errors.append("The confirmation expired: review the closing entries, then post.")
        else:
            try:
                entries = close_fiscal_year(
                    fiscal_year,
                    actor=request.user,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    expected_digest=form.cleaned_data["digest"],
                )
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                _report_close(request, fiscal_year, entries)
                return redirect("ledger:period_list")
    plan = year_end_plan(fiscal_year)
    form = YearEndCloseForm(
        initial={"idempotency_key": new_idempotency_key("yec"), "digest": plan.digest}
    )
    # What refused the confirmation, then why it cannot be posted now (each once).
    problems = list(dict.fromkeys([*errors, *plan.problems]))
    context = {"plan": plan, "form": form, "problems": problems}
    return render(request, "ledger/year_end_close.html", context)


def _report_close(request: HttpRequest, fiscal_year: FiscalYear, entries: list) -> None:
    if entries:
        numbers = ", ".join(f"JE {entry.number}" for entry in entries)
        messages.success(request, f"{fiscal_year} closed to fund balance: {numbers}.")
    else:
        messages.info(request, f"{fiscal_year} has nothing left to close.")


@role_required(PERIOD_MANAGERS)
@require_POST
def fiscal_year_create(request: HttpRequest) -> HttpResponse:
    return form_view(
        request,
        FiscalYearForm,
        perform=lambda data: create_fiscal_year(data["year"], actor=request.user),
        success=lambda fiscal_year: (
            f"{fiscal_year} is in place with thirteen periods.",
            redirect("ledger:period_list"),
        ),
        page=lambda form: _render_period_list(request, form),
    )
