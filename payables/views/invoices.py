"""Vendor invoice screens: the list, an invoice, entry, approval, rejection, hold and
release, the scanned invoice, and the expenditure account search."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.pagination import FullPagePaginator
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from payables.access import INVOICE_APPROVERS, PAYABLES_PREPARERS, PAYABLES_READERS
from payables.forms.invoices import (
    ACCOUNT_OPTIONS_ID,
    DecisionNoteForm,
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineFormSet,
    ReasonForm,
)
from payables.models import Invoice, InvoiceAttachment, InvoiceStatus
from payables.queries.invoices import expenditure_account_matches, invoice_for_page
from payables.queries.invoices import invoice_list as _invoices
from payables.services.invoices import (
    InvoiceInput,
    approve_invoice,
    enter_invoice,
    footing_refusal,
    hold_invoice,
    reject_invoice,
    release_invoice,
)

INVOICES_PER_PAGE = 50
# Who may open the journal entry behind an invoice (the ledger's own readers).
ENTRY_READERS = FINANCE_STAFF | {Role.AUDITOR}


def _invoice_or_404(pk: int) -> Invoice:
    try:
        return invoice_for_page(pk)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None


@role_required(PAYABLES_READERS)
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET)
    invoices = (
        _invoices(text=form.cleaned_data["q"], status=form.cleaned_data["status"])
        if form.is_valid()
        else Invoice.objects.none()
    )
    page = FullPagePaginator(invoices, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_create": has_role(request.user, *PAYABLES_PREPARERS),
    }
    template = "payables/invoice_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@dataclass(frozen=True)
class InvoiceActions:
    """What the viewing user may do with an invoice, decided here, shown by the template."""

    can_decide: bool
    awaiting_other: bool
    can_hold: bool
    can_release: bool
    can_see_entry: bool
    can_download: bool


def _actions(invoice: Invoice, user: AbstractBaseUser) -> InvoiceActions:
    own = invoice.prepared_by_id == user.pk
    is_open = invoice.status == InvoiceStatus.OPEN
    return InvoiceActions(
        can_decide=is_open and not own and has_role(user, *INVOICE_APPROVERS),
        awaiting_other=is_open and own,
        can_hold=invoice.status == InvoiceStatus.APPROVED
        and invoice.kind == "invoice"
        and has_role(user, *PAYABLES_PREPARERS),
        can_release=invoice.status == InvoiceStatus.HELD and has_role(user, *INVOICE_APPROVERS),
        can_see_entry=has_role(user, *ENTRY_READERS),
        can_download=has_role(user, *PAYABLES_READERS),
    )


def _render_invoice(request: HttpRequest, invoice: Invoice, **extra) -> HttpResponse:
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "actions": _actions(invoice, request.user),
        "reject_form": extra.pop("reject_form", None) or DecisionNoteForm(),
        "hold_form": extra.pop("hold_form", None) or ReasonForm(),
        **extra,
    }
    return render(request, "payables/invoice_detail.html", context)


@role_required(PAYABLES_READERS)
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_invoice(request, _invoice_or_404(pk))


@role_required(PAYABLES_PREPARERS)
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    post = request.method == "POST"
    form = (
        InvoiceForm(request.POST, request.FILES)
        if post
        else InvoiceForm(initial={"vendor": request.GET.get("vendor")})
    )
    lines = InvoiceLineFormSet(request.POST if post else None)
    # Both validated, so every problem shows at once; footing too when the header has
    # errors of its own (the service, which checks it again, is not called then).
    valid = post and all([form.is_valid(), lines.is_valid()])
    if post and not valid and lines.is_valid() and form.cleaned_data.get("control_total"):
        refusal = footing_refusal(form.cleaned_data["control_total"], lines.line_inputs)
        if refusal and "control_total" not in form.errors:
            form.add_error("control_total", refusal)
    if valid:
        try:
            invoice = enter_invoice(
                _invoice_input(form),
                lines=lines.line_inputs,
                attachment=form.cleaned_data["attachment"],
                entry_key=form.cleaned_data["entry_key"] or None,
                actor=request.user,
            )
        except ValidationError as error:
            _spread_errors(error, form, lines)
        else:
            messages.success(request, f"{invoice.number} entered: it waits for approval.")
            return redirect("payables:invoice_detail", pk=invoice.pk)
    context = {"form": form, "lines": lines, "account_options_id": ACCOUNT_OPTIONS_ID}
    return render(request, "payables/invoice_form.html", context)


def _invoice_input(form: InvoiceForm) -> InvoiceInput:
    data = form.cleaned_data
    vendor = data["vendor"]
    terms = data["terms_days"] if data["terms_days"] is not None else vendor.terms_days
    return InvoiceInput(
        vendor=vendor,
        kind=data["kind"],
        invoice_number=data["invoice_number"],
        invoice_date=data["invoice_date"],
        received_date=data["received_date"],
        terms_days=terms,
        due_date=data["due_date"],
        posting_date=data["posting_date"],
        description=data["description"],
        control_total=data["control_total"],
        duplicate_override=data["duplicate_override"],
    )


def _spread_errors(error: ValidationError, form: InvoiceForm, lines) -> None:
    """A service's errors beside their fields; "line-<n>" on the nth filled row."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    filled = getattr(lines, "filled_forms", [])
    for name, texts in error.message_dict.items():
        number = name.removeprefix("line-")
        if name.startswith("line-") and number.isdigit() and int(number) <= len(filled):
            filled[int(number) - 1].add_error("account", texts)
        elif name == "lines":
            form.add_error(None, texts)
        else:
            form.add_error(name if name in form.fields else None, texts)
    if "duplicate_override" in error.message_dict:
        form.duplicate_warning = True


@role_required(PAYABLES_PREPARERS)
@require_GET
def account_search(request: HttpRequest) -> HttpResponse:
    # The search box is any line's account field: its value arrives under its own name.
    text = request.GET.get("q") or next(
        (value for key, value in request.GET.items() if key.endswith("-account")), ""
    )
    accounts = expenditure_account_matches(text.strip()[:100])
    return render(request, "payables/partials/_account_options.html", {"accounts": accounts})


@role_required(INVOICE_APPROVERS)
@require_POST
def invoice_approve(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    if invoice.prepared_by_id == request.user.pk:
        raise PermissionDenied("You entered this invoice: another supervisor approves it.")
    try:
        invoice = approve_invoice(invoice, actor=request.user)
    except ValidationError as error:
        return _render_invoice(request, _invoice_or_404(pk), action_errors=error.messages)
    messages.success(request, f"{invoice.number} approved and posted.")
    return redirect("payables:invoice_detail", pk=invoice.pk)


@role_required(INVOICE_APPROVERS)
@require_POST
def invoice_reject(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    if invoice.prepared_by_id == request.user.pk:
        raise PermissionDenied("You entered this invoice: another supervisor decides it.")
    form = DecisionNoteForm(request.POST)
    if form.is_valid():
        try:
            invoice = reject_invoice(invoice, note=form.cleaned_data["note"], actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{invoice.number} rejected.")
            return redirect("payables:invoice_detail", pk=invoice.pk)
    return _render_invoice(request, _invoice_or_404(pk), reject_form=form)


@role_required(PAYABLES_PREPARERS)
@require_POST
def invoice_hold(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            invoice = hold_invoice(invoice, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{invoice.number} held: no payment run selects it.")
            return redirect("payables:invoice_detail", pk=invoice.pk)
    return _render_invoice(request, _invoice_or_404(pk), hold_form=form)


@role_required(INVOICE_APPROVERS)
@require_POST
def invoice_release(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    try:
        invoice = release_invoice(invoice, actor=request.user)
    except ValidationError as error:
        return _render_invoice(request, _invoice_or_404(pk), action_errors=error.messages)
    messages.success(request, f"{invoice.number} released.")
    return redirect("payables:invoice_detail", pk=invoice.pk)


@role_required(PAYABLES_READERS)
@require_GET
def invoice_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = InvoiceAttachment.objects.filter(invoice_id=pk).first()
    if attachment is None:
        raise Http404("No scanned invoice.")
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    name = attachment.filename.replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
