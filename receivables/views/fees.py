"""The fee schedule and the fee calculator."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.csv_export import queryset_csv_response
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import form_view, fragment_wanted
from receivables.forms.fees import FeeCalculatorForm, FeeFilterForm, FeeForm
from receivables.models import Fee, FeeRule, FeeStatus
from receivables.queries.fees import (
    FEE_EXPORT_FIELDS,
    Calculation,
    calculate_fee,
    fee_codes,
    fee_in_effect,
    fee_versions,
    terms_of,
)
from receivables.queries.fees import fee_detail as load_fee
from receivables.queries.fees import fee_list as list_fees
from receivables.services.fees import FEE_FIELDS, approve_fee, create_fee, retire_fee, update_fee

# The fee schedule: everyone who charges or reads fees sees it and uses the calculator;
# finance staff prepare versions; a supervisor who did not prepare one approves it.
FEE_READERS = FINANCE_STAFF | {Role.COUNTER_CLERK, Role.AUDITOR, Role.ADMINISTRATOR}
FEE_APPROVERS = frozenset({Role.FINANCE_SUPERVISOR})
FEES_PER_PAGE = 50
# A service's tier problems show beside the first tier row.
TIER_ERRORS = {"tiers": "tier_1_up_to"}


def _fee_or_404(pk: int) -> Fee:
    try:
        return load_fee(pk)
    except Fee.DoesNotExist:
        raise Http404("No such fee.") from None


def _fee_values(data: dict) -> dict:
    return {name: data[name] for name in FEE_FIELDS}


@role_required(FEE_READERS)
@require_GET
def fee_list(request: HttpRequest) -> HttpResponse:
    form = FeeFilterForm(request.GET)
    fees = list_fees(**form.cleaned_data) if form.is_valid() else Fee.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"fee-schedule-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, fees, FEE_EXPORT_FIELDS)
    page = Paginator(fees, FEES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_create": has_role(request.user, *FINANCE_STAFF)}
    template = "receivables/fee_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(FEE_READERS)
@require_GET
def fee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fee = _fee_or_404(pk)
    is_draft = fee.status == FeeStatus.DRAFT
    context = {
        "fee": fee,
        "versions": fee_versions(fee),
        "can_edit": is_draft and has_role(request.user, *FINANCE_STAFF),
        # Segregation of duties: the preparer never sees Approve on their own fee.
        "can_approve": is_draft
        and has_role(request.user, *FEE_APPROVERS)
        and fee.prepared_by_id != request.user.pk,
        "can_retire": fee.status != FeeStatus.RETIRED and has_role(request.user, *FEE_APPROVERS),
    }
    return render(request, "receivables/fee_detail.html", context)


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def fee_create(request: HttpRequest) -> HttpResponse:
    return form_view(
        request,
        FeeForm,
        initial={"unit_name": "unit"},
        perform=lambda data: create_fee(**_fee_values(data), actor=request.user),
        success=lambda fee: (
            f"Draft fee {fee} saved: a supervisor approves it.",
            redirect("receivables:fee_detail", pk=fee.pk),
        ),
        aliases=TIER_ERRORS,
        template="receivables/fee_form.html",
        context=lambda form: {"fee": None},
    )


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def fee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    fee = _fee_or_404(pk)
    return form_view(
        request,
        FeeForm,
        initial=FeeForm.initial_for(fee),
        perform=lambda data: update_fee(fee, **_fee_values(data), actor=request.user),
        success=lambda saved: (
            f"Draft fee {saved} saved.",
            redirect("receivables:fee_detail", pk=saved.pk),
        ),
        aliases=TIER_ERRORS,
        template="receivables/fee_form.html",
        context=lambda form: {"fee": fee},
    )


@role_required(FEE_APPROVERS)
@require_POST
def fee_approve(request: HttpRequest, pk: int) -> HttpResponse:
    fee = _fee_or_404(pk)
    if fee.prepared_by_id == request.user.pk:
        raise PermissionDenied("You prepared this fee: another supervisor must approve it.")
    try:
        fee = approve_fee(fee, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Fee {fee} approved: it takes effect on its dates.")
    return redirect("receivables:fee_detail", pk=fee.pk)


@role_required(FEE_APPROVERS)
@require_POST
def fee_retire(request: HttpRequest, pk: int) -> HttpResponse:
    fee = _fee_or_404(pk)
    try:
        fee = retire_fee(fee, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Fee {fee} retired.")
    return redirect("receivables:fee_detail", pk=fee.pk)


@role_required(FEE_READERS)
@require_GET
def fee_calculator(request: HttpRequest) -> HttpResponse:
    codes = fee_codes()
    data = None
    if "code" in request.GET:  # a link from a fee's page may name the fee only
        data = request.GET.copy()
        data.setdefault("on_date", timezone.localdate().isoformat())
    form = FeeCalculatorForm(data, codes=codes, initial={"on_date": timezone.localdate()})
    fee = calculation = None
    if form.is_valid():
        fee, calculation = _calculate(form)
    context = {"form": form, "fee": fee, "calculation": calculation}
    return render(request, "receivables/fee_calculator.html", context)


def _calculate(form: FeeCalculatorForm) -> tuple[Fee | None, Calculation | None]:
    """The fee in effect and its calculation, or errors put beside the field at fault."""
    on_date = form.cleaned_data["on_date"]
    fee = fee_in_effect(form.cleaned_data["code"], on_date)
    if fee is None:
        form.add_error("on_date", f"No approved version of this fee is in effect on {on_date}.")
        return None, None
    needs = "base" if fee.rule == FeeRule.PERCENT else "units"
    try:
        return fee, calculate_fee(
            terms_of(fee), units=form.cleaned_data["units"], base=form.cleaned_data["base"]
        )
    except ValueError as error:
        form.add_error(needs if fee.rule != FeeRule.FLAT else None, str(error))
        return fee, None
