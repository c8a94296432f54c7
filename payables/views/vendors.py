"""Vendor screens: the list, a vendor, its entry and edit forms, bank detail changes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.pagination import FullPagePaginator
from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from payables.access import (
    BANK_CHANGE_APPROVERS,
    PAYABLES_PREPARERS,
    PAYABLES_READERS,
    SEALED_VALUE_READERS,
)
from payables.forms.vendors import (
    ADDRESS_PREFIX,
    AddressFormSet,
    BankChangeForm,
    DecisionNoteForm,
    NewVendorBankForm,
    VendorFilterForm,
    VendorForm,
    addresses_of,
)
from payables.models import BankChangeStatus, Vendor, VendorBankChange
from payables.queries.invoices import invoice_list
from payables.queries.vendors import (
    bank_changes_of,
    confidential_for,
    vendor_for_page,
)
from payables.queries.vendors import (
    vendor_list as vendors_found,
)
from payables.services.vendors import (
    approve_bank_change,
    create_vendor,
    reject_bank_change,
    request_bank_change,
    update_vendor,
)

VENDORS_PER_PAGE = 50


def _vendor_or_404(pk: int) -> Vendor:
    try:
        return vendor_for_page(pk)
    except Vendor.DoesNotExist:
        raise Http404("No such vendor.") from None


@role_required(PAYABLES_READERS)
@require_GET
def vendor_list(request: HttpRequest) -> HttpResponse:
    form = VendorFilterForm(request.GET)
    vendors = (
        vendors_found(text=form.cleaned_data["q"], status=form.cleaned_data["status"])
        if form.is_valid()
        else Vendor.objects.none()
    )
    page = FullPagePaginator(vendors, VENDORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_create": has_role(request.user, *PAYABLES_PREPARERS),
    }
    template = "payables/vendor_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


def _render_vendor(request: HttpRequest, vendor: Vendor, **extra) -> HttpResponse:
    changes = bank_changes_of(vendor)
    pending = next((c for c in changes if c.status == BankChangeStatus.PENDING), None)
    reveal = request.GET.get("reveal") == "1"
    context = {
        "vendor": vendor,
        "confidential": confidential_for(vendor, request.user, reveal=reveal),
        "may_reveal": has_role(request.user, *SEALED_VALUE_READERS),
        "changes": changes,
        "pending": pending,
        "can_edit": has_role(request.user, *PAYABLES_PREPARERS),
        "can_decide_change": pending is not None
        and pending.prepared_by_id != request.user.pk
        and has_role(request.user, *BANK_CHANGE_APPROVERS),
        "invoices": list(invoice_list(vendor=vendor)[:20]),
        "reject_form": extra.pop("reject_form", None) or DecisionNoteForm(),
        **extra,
    }
    return render(request, "payables/vendor_detail.html", context)


@role_required(PAYABLES_READERS)
@require_GET
def vendor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_vendor(request, _vendor_or_404(pk))


def _vendor_form_page(request, *, vendor: Vendor | None, form, addresses, bank) -> HttpResponse:
    context = {"vendor": vendor, "form": form, "addresses": addresses, "bank": bank}
    return render(request, "payables/vendor_form.html", context)


@role_required(PAYABLES_PREPARERS)
@require_http_methods(["GET", "POST"])
def vendor_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = VendorForm(data)
    addresses = AddressFormSet(data, prefix=ADDRESS_PREFIX)
    bank = NewVendorBankForm(data)
    if data is not None and all([form.is_valid(), addresses.is_valid(), bank.is_valid()]):
        try:
            vendor = create_vendor(
                form.vendor_input(),
                addresses=addresses_of(addresses),
                bank_routing=bank.cleaned_data["bank_routing"],
                bank_account=bank.cleaned_data["bank_account"],
                actor=request.user,
            )
        except ValidationError as error:
            _spread_errors(error, form, bank, addresses)
        else:
            messages.success(request, f"{vendor.number} {vendor.name} entered.")
            return redirect("payables:vendor_detail", pk=vendor.pk)
    return _vendor_form_page(request, vendor=None, form=form, addresses=addresses, bank=bank)


@role_required(PAYABLES_PREPARERS)
@require_http_methods(["GET", "POST"])
def vendor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = _vendor_or_404(pk)
    if request.method == "POST":
        form = VendorForm(request.POST, editing=True)
        addresses = AddressFormSet(request.POST, prefix=ADDRESS_PREFIX)
    else:
        fields = ["name", "contact_name", "phone", "email", "status", "payment_method"]
        fields += ["terms_days", "tax_id_kind", "form_1099_type", "form_1099_box"]
        initial = {name: getattr(vendor, name) for name in fields}
        initial["w9_received_on"] = vendor.w9_received_on
        form = VendorForm(initial=initial, editing=True)
        rows = ["label", "line1", "line2", "city", "state", "postal_code", "is_default"]
        addresses = AddressFormSet(
            prefix=ADDRESS_PREFIX,
            initial=[{name: getattr(a, name) for name in rows} for a in vendor.addresses.all()],
        )
    if request.method == "POST" and form.is_valid() and addresses.is_valid():
        try:
            vendor = update_vendor(
                vendor, form.vendor_input(), addresses=addresses_of(addresses), actor=request.user
            )
        except ValidationError as error:
            _spread_errors(error, form, None, addresses)
        else:
            messages.success(request, f"{vendor.number} {vendor.name} saved.")
            return redirect("payables:vendor_detail", pk=vendor.pk)
    return _vendor_form_page(request, vendor=vendor, form=form, addresses=addresses, bank=None)


def _spread_errors(error: ValidationError, form, bank, addresses) -> None:
    """A service's errors beside their fields: bank fields on the bank form, "address-<n>"
    on the nth filled address row, the rest on the vendor form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    filled = [row for row in addresses.forms if row.cleaned_data and not row.is_blank()]
    for name, texts in error.message_dict.items():
        if bank is not None and name in bank.fields:
            bank.add_error(name, texts)
        elif name.startswith("address-") and name[8:].isdigit() and int(name[8:]) <= len(filled):
            filled[int(name[8:]) - 1].add_error("line1", texts)
        elif name == "addresses":
            form.add_error(None, texts)
        else:
            form.add_error(name if name in form.fields else None, texts)


@role_required(PAYABLES_PREPARERS)
@require_http_methods(["GET", "POST"])
def bank_change_create(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = _vendor_or_404(pk)
    form = BankChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            change = request_bank_change(vendor, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{change.number} entered: another person approves it.")
            return redirect("payables:vendor_detail", pk=vendor.pk)
    return render(request, "payables/bank_change_form.html", {"vendor": vendor, "form": form})


def _change_or_404(pk: int) -> VendorBankChange:
    try:
        return VendorBankChange.objects.get(pk=pk)
    except VendorBankChange.DoesNotExist:
        raise Http404("No such bank change.") from None


@role_required(BANK_CHANGE_APPROVERS)
@require_POST
def bank_change_approve(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change_or_404(pk)
    if change.prepared_by_id == request.user.pk:
        raise PermissionDenied("You entered this change: someone else approves it.")
    try:
        change = approve_bank_change(change, actor=request.user)
    except ValidationError as error:
        vendor = _vendor_or_404(change.vendor_id)
        return _render_vendor(request, vendor, action_errors=error.messages)
    messages.success(request, f"{change.number} approved: a prenote goes before the next ACH.")
    return redirect("payables:vendor_detail", pk=change.vendor_id)


@role_required(BANK_CHANGE_APPROVERS)
@require_POST
def bank_change_reject(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change_or_404(pk)
    if change.prepared_by_id == request.user.pk:
        raise PermissionDenied("You entered this change: someone else decides it.")
    form = DecisionNoteForm(request.POST)
    if form.is_valid():
        try:
            change = reject_bank_change(change, note=form.cleaned_data["note"], actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{change.number} rejected.")
            return redirect("payables:vendor_detail", pk=change.vendor_id)
    return _render_vendor(request, _vendor_or_404(change.vendor_id), reject_form=form)
