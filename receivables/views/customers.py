"""The customer screens: everyone who takes payments or keeps the books finds and reads
customers; finance staff add and edit them; a lead or the supervisor merges duplicates."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.csv_export import queryset_csv_response
from millbrae_finance.pagination import FullPagePaginator
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import form_view, fragment_wanted
from receivables.forms.customers import (
    CustomerFilterForm,
    CustomerForm,
    CustomerMergeForm,
    new_merge_key,
)
from receivables.models import Customer
from receivables.queries.aging import customer_receivables
from receivables.queries.customers import (
    CUSTOMER_EXPORT_FIELDS,
    customer_merged_from,
    merge_preview,
)
from receivables.queries.customers import customer_detail as load_customer
from receivables.queries.customers import customer_list as list_customers
from receivables.services.customers import (
    CUSTOMER_FIELDS,
    create_customer,
    merge_customers,
    update_customer,
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
    page = FullPagePaginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
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
    return form_view(
        request,
        CustomerForm,
        perform=lambda data: create_customer(
            **{name: data[name] for name in CUSTOMER_FIELDS}, actor=request.user
        ),
        success=lambda customer: (
            f"Customer {customer} added.",
            redirect("receivables:customer_detail", pk=customer.pk),
        ),
        template="receivables/customer_form.html",
        context=lambda form: {"customer": None},
    )


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(pk)
    return form_view(
        request,
        CustomerForm,
        form_kwargs={"instance": Customer.objects.get(pk=pk)},
        perform=lambda data: update_customer(
            customer,
            **{name: data[name] for name in (*CUSTOMER_FIELDS, "is_active")},
            actor=request.user,
        ),
        success=lambda saved: (
            f"Customer {saved} saved.",
            redirect("receivables:customer_detail", pk=saved.pk),
        ),
        template="receivables/customer_form.html",
        context=lambda form: {"customer": customer},
    )


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
