"""The customer screens: everyone who takes payments or keeps the books finds and reads
customers; finance staff add and edit them; a lead or the supervisor merges duplicates."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.csv_export import queryset_csv_response
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from receivables.forms import (
    CustomerFilterForm,
    CustomerForm,
    CustomerMergeForm,
    FeeCalculatorForm,
    FeeFilterForm,
    FeeForm,
    new_merge_key,
)
from receivables.models import Customer, Fee, FeeRule, FeeStatus
from receivables.queries import (
    CUSTOMER_EXPORT_FIELDS,
    FEE_EXPORT_FIELDS,
    customer_merged_from,
    fee_codes,
    fee_versions,
    merge_preview,
)
from receivables.queries import (
    customer_detail as load_customer,
)
from receivables.queries import (
    customer_list as list_customers,
)
from receivables.queries import fee_detail as load_fee
from receivables.queries import fee_list as list_fees
from receivables.queries.aging import customer_receivables
from receivables.queries.fees import Calculation, calculate_fee, fee_in_effect, terms_of
from receivables.services.customers import (
    CUSTOMER_FIELDS,
    create_customer,
    merge_customers,
    update_customer,
)
from receivables.services.fees import (
    FEE_FIELDS,
    approve_fee,
    create_fee,
    retire_fee,
    update_fee,
)

CUSTOMER_READERS = FINANCE_STAFF | {Role.COUNTER_CLERK, Role.AUDITOR, Role.ADMINISTRATOR}
CUSTOMER_MERGERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
CUSTOMERS_PER_PAGE = 50


def _customer_or_404(pk: int) -> Customer:
    try:
        return load_customer(pk)
    except Customer.DoesNotExist:
        raise Http404("No such customer.") from None


@role_required(CUSTOMER_READERS)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET)
    customers = list_customers(**form.cleaned_data) if form.is_valid() else Customer.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"customers-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, customers, CUSTOMER_EXPORT_FIELDS)
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_create": has_role(request.user, *FINANCE_STAFF),
        "can_merge": has_role(request.user, *CUSTOMER_MERGERS),
    }
    template = "receivables/customer_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(CUSTOMER_READERS)
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(pk)
    context = {
        "customer": customer,
        "merges": customer_merged_from(customer),
        "receivables": customer_receivables(customer, as_of=timezone.localdate()),
        "can_edit": has_role(request.user, *FINANCE_STAFF) and customer.merged_into_id is None,
        "can_merge": has_role(request.user, *CUSTOMER_MERGERS) and customer.merged_into_id is None,
    }
    return render(request, "receivables/customer_detail.html", context)


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in CUSTOMER_FIELDS}
        try:
            customer = create_customer(**values, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Customer {customer} added.")
            return redirect("receivables:customer_detail", pk=customer.pk)
    return render(request, "receivables/customer_form.html", {"form": form, "customer": None})


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(pk)
    form = CustomerForm(request.POST or None, instance=Customer.objects.get(pk=pk))
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in (*CUSTOMER_FIELDS, "is_active")}
        try:
            customer = update_customer(customer, **values, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Customer {customer} saved.")
            return redirect("receivables:customer_detail", pk=customer.pk)
    return render(request, "receivables/customer_form.html", {"form": form, "customer": customer})


@role_required(CUSTOMER_MERGERS)
@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest) -> HttpResponse:
    # GET picks the pair and previews it; POST with confirm merges once per key.
    data = request.POST if request.method == "POST" else request.GET
    if "survivor" in data:
        form = CustomerMergeForm(data)
    else:  # from a customer's page: the duplicate is chosen, the survivor not yet
        form = CustomerMergeForm(initial={"duplicate": data.get("duplicate", "")[:20]})
    confirmed = request.method == "POST" and form.is_valid() and form.cleaned_data["confirm"]
    if confirmed:
        try:
            merge = merge_customers(
                form.cleaned_data["duplicate"],
                survivor=form.cleaned_data["survivor"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Merged {merge.duplicate.number} into {merge.survivor}.")
            return redirect("receivables:customer_detail", pk=merge.survivor_id)
    preview = None
    if form.is_bound and form.is_valid():
        preview = merge_preview(form.cleaned_data["duplicate"], form.cleaned_data["survivor"])
    context = {"form": form, "preview": preview, "merge_key": new_merge_key()}
    return render(request, "receivables/customer_merge.html", context)


# The fee schedule: everyone who charges or reads fees sees it and uses the calculator;
# finance staff prepare versions; a supervisor who did not prepare one approves it.
FEE_READERS = CUSTOMER_READERS
FEE_APPROVERS = frozenset({Role.FINANCE_SUPERVISOR})
FEES_PER_PAGE = 50


def _fee_or_404(pk: int) -> Fee:
    try:
        return load_fee(pk)
    except Fee.DoesNotExist:
        raise Http404("No such fee.") from None


def _fee_values(form: FeeForm) -> dict:
    return {name: form.cleaned_data[name] for name in FEE_FIELDS}


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
    form = FeeForm(request.POST or None, initial={"unit_name": "unit"})
    if form.is_valid():
        try:
            fee = create_fee(**_fee_values(form), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Draft fee {fee} saved: a supervisor approves it.")
            return redirect("receivables:fee_detail", pk=fee.pk)
    return render(request, "receivables/fee_form.html", {"form": form, "fee": None})


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def fee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    fee = _fee_or_404(pk)
    form = FeeForm(request.POST or None, initial=FeeForm.initial_for(fee))
    if form.is_valid():
        try:
            fee = update_fee(fee, **_fee_values(form), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Draft fee {fee} saved.")
            return redirect("receivables:fee_detail", pk=fee.pk)
    return render(request, "receivables/fee_form.html", {"form": form, "fee": fee})


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


def _add_errors(form: FeeForm, error: ValidationError) -> None:
    # Tier problems show beside the first tier row.
    add_service_errors(form, error, aliases={"tiers": "tier_1_up_to"})
