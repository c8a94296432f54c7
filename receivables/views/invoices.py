"""Miscellaneous invoices and credit memos: list, create, edit, issue, PDF, credits.

Everyone who takes payments or keeps the books reads invoices; finance staff prepare,
edit, issue and void drafts and prepare credit memos; a Senior Accounting Technician or
the Finance Supervisor who did not prepare a credit memo approves or rejects it."""

from itertools import zip_longest

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.csv_export import queryset_csv_response
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import form_view, fragment_wanted
from receivables import documents
from receivables.forms.invoices import (
    BLANK_ROWS_NEW,
    CreditMemoFilterForm,
    CreditMemoForm,
    InvoiceFilterForm,
    InvoiceForm,
    RejectCreditMemoForm,
    customer_search_url,
    line_formset,
    line_rows_of,
    parsed_number,
    posted_rows,
)
from receivables.models import ApprovalStatus, CreditMemo, Invoice, InvoiceStatus
from receivables.queries.customers import search_customers
from receivables.queries.invoices import (
    CREDIT_MEMO_EXPORT_FIELDS,
    INVOICE_EXPORT_FIELDS,
    fee_choices,
    invoice_credit_memos,
    invoice_movements,
    invoice_state,
    preview_lines,
)
from receivables.queries.invoices import credit_memo_detail as load_credit_memo
from receivables.queries.invoices import (
    credit_memo_list as list_credit_memos,
)
from receivables.queries.invoices import invoice_detail as load_invoice
from receivables.queries.invoices import (
    invoice_list as list_invoices,
)
from receivables.services.credit_memos import (
    CREDIT_MEMO_APPROVERS,
    approve_credit_memo,
    creditable_amount,
    pending_credits,
    prepare_credit_memo,
    reject_credit_memo,
)
from receivables.services.invoices import (
    MAX_LINES,
    allowed_free_line_accounts,
    create_invoice,
    issue_invoice,
    update_invoice,
    void_draft_invoice,
)

INVOICE_READERS = FINANCE_STAFF | {Role.COUNTER_CLERK, Role.AUDITOR, Role.ADMINISTRATOR}
# Who may open a journal entry's page (the ledger's own rule), so links lead somewhere.
ENTRY_READERS = FINANCE_STAFF | AUDIT_READERS
INVOICES_PER_PAGE = 50
FORM_TEMPLATE = "receivables/invoice_form.html"
DETAIL_TEMPLATE = "receivables/invoice_detail.html"


def _invoice_or_404(pk: int) -> Invoice:
    try:
        return load_invoice(pk)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None


def _memo_or_404(pk: int) -> CreditMemo:
    try:
        return load_credit_memo(pk)
    except CreditMemo.DoesNotExist:
        raise Http404("No such credit memo.") from None


# ---------------------------------------------------------------- the invoice list


@role_required(INVOICE_READERS)
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET)
    invoices = list_invoices(**form.cleaned_data) if form.is_valid() else Invoice.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"invoices-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, invoices, INVOICE_EXPORT_FIELDS)
    page = Paginator(invoices, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(invoice, *invoice_state(invoice)) for invoice in page]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "can_create": has_role(request.user, *FINANCE_STAFF),
    }
    template = "receivables/invoice_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


# ---------------------------------------------------------------- new invoice, edit draft


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _invoice_form_post(request, None)
    form = InvoiceForm(
        initial={"invoice_date": timezone.localdate(), "terms_days": 30},
        search_url=customer_search_url(),
    )
    initial_customer = request.GET.get("customer", "")[:20]
    if initial_customer:
        form.initial["customer"] = initial_customer
    return _render_form(request, None, form, _formset(request, rows=[{}] * BLANK_ROWS_NEW))


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    if invoice.status != InvoiceStatus.DRAFT:
        if request.method == "POST":
            raise PermissionDenied("Only a draft is edited.")
        notice = f"{invoice.number} is {invoice_state(invoice)[0].lower()}; it cannot be changed."
        return _render_detail(request, invoice, notice=notice)
    if request.method == "POST":
        return _invoice_form_post(request, invoice)
    form = InvoiceForm(
        initial={
            "customer": invoice.customer,
            "invoice_date": invoice.invoice_date,
            "terms_days": invoice.terms_days,
            "description": invoice.description,
            "notes": invoice.notes,
        },
        search_url=customer_search_url(),
    )
    rows = line_rows_of(invoice)
    return _render_form(request, invoice, form, _formset(request, rows=[*rows, {}]))


@role_required(FINANCE_STAFF)
@require_GET
def invoice_customer_search(request: HttpRequest) -> HttpResponse:
    """The customer box's matches, as <option>s for its <datalist>."""
    text = request.GET.get("q") or request.GET.get("customer", "")
    customers = search_customers(text, limit=12) if len(text.strip()) >= 2 else []
    return render(
        request, "receivables/partials/_invoice_customer_options.html", {"customers": customers}
    )


def _formset(request: HttpRequest, *, rows=None, data=None):
    return line_formset(
        data=data,
        rows=rows,
        fee_choices=fee_choices(),
        accounts=allowed_free_line_accounts(),
        recalc_url=request.path,
    )


def _invoice_form_post(request: HttpRequest, invoice: Invoice | None) -> HttpResponse:
    """The invoice form posts here for every button: save, and (without saving) add a
    line, remove a line, or price the lines."""
    action = request.POST.get("action", "save")
    if action != "save":
        return _redraw_form(request, invoice, action)
    form = InvoiceForm(request.POST, search_url=customer_search_url())
    lines = _formset(request, data=request.POST)
    if form.is_valid() and lines.is_valid():
        values = {name: form.cleaned_data[name] for name in InvoiceForm.base_fields}
        customer = values.pop("customer")
        try:
            if invoice is None:
                invoice = create_invoice(
                    customer, **values, lines=lines.line_inputs, actor=request.user
                )
            else:
                invoice = update_invoice(
                    invoice,
                    customer=customer,
                    **values,
                    lines=lines.line_inputs,
                    actor=request.user,
                )
        except ValidationError as error:
            line_errors = _attach(form, lines, error)
            return _render_form(request, invoice, form, lines, line_errors=line_errors)
        messages.success(request, f"Draft {invoice.number} saved. Issue it when it is right.")
        return redirect("receivables:invoice_detail", pk=invoice.pk)
    return _render_form(request, invoice, form, lines)


def _attach(form: InvoiceForm, lines, error: ValidationError) -> list[str]:
    """Put the service's errors beside what they are about: a header field, a line's row
    ("line-<n>", 1-based among the lines sent), or above the lines."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return []
    line_errors: list[str] = []
    for key, texts in error.message_dict.items():
        suffix = key.removeprefix("line-")
        if key.startswith("line-") and suffix.isascii() and suffix.isdigit():
            row = lines.row_of(int(key.removeprefix("line-")))
            if row is not None:
                lines.forms[row].add_error(None, texts)
                continue
        if key == "lines":
            line_errors.extend(texts)
        elif key in form.fields:
            form.add_error(key, texts)
        else:
            form.add_error(None, texts)
    return line_errors


def _redraw_form(request: HttpRequest, invoice: Invoice | None, action: str) -> HttpResponse:
    rows = posted_rows(request.POST)
    if action == "recalc" and request.htmx:
        context = {"preview": _preview(request, rows)}
        return render(request, f"{FORM_TEMPLATE}#recalc", context)
    if action == "add" and len(rows) < MAX_LINES:
        rows.append({})
    elif action.startswith("remove-"):
        index = action.removeprefix("remove-")
        if index.isascii() and index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
    lines = _formset(request, rows=rows or [{}])
    if request.htmx:
        preview = _preview(request, rows)
        context = {
            "lines": lines,
            "line_rows": _line_rows(lines, preview),
            "preview": preview,
            "max_lines": MAX_LINES,
        }
        return render(request, f"{FORM_TEMPLATE}#lines", context)
    form = InvoiceForm(
        initial={name: request.POST.get(name, "") for name in InvoiceForm.base_fields},
        search_url=customer_search_url(),
    )
    return _render_form(request, invoice, form, lines, rows=rows)


def _preview(request: HttpRequest, rows: list[dict]):
    try:
        invoice_date = forms.DateField().clean(request.POST.get("invoice_date", ""))
    except ValidationError:
        invoice_date = None
    return _priced(rows, invoice_date)


def _priced(rows: list[dict], invoice_date):
    typed = [
        {
            "fee_code": row.get("fee_code") or "",
            "quantity": parsed_number(str(row.get("quantity") or "")),
            "amount": parsed_number(str(row.get("amount") or "")),
        }
        for row in rows
    ]
    return preview_lines(typed, invoice_date=invoice_date)


def _render_form(
    request: HttpRequest,
    invoice: Invoice | None,
    form: InvoiceForm,
    lines,
    *,
    rows: list[dict] | None = None,
    line_errors: list[str] | None = None,
) -> HttpResponse:
    if rows is None:
        rows = (
            posted_rows(request.POST)
            if request.method == "POST"
            else [
                {name: line[name].value() for name in ("fee_code", "quantity", "amount")}
                for line in lines
            ]
        )
    preview = _preview_of(request, rows, form)
    context = {
        "invoice": invoice,
        "form": form,
        "lines": lines,
        "line_rows": _line_rows(lines, preview),
        "line_errors": line_errors or [],
        "preview": preview,
        "max_lines": MAX_LINES,
    }
    return render(request, FORM_TEMPLATE, context)


def _line_rows(lines, preview) -> list[tuple]:
    """Each row's form beside what it comes to."""
    return list(zip_longest(lines.forms, preview.lines[: len(lines.forms)]))


def _preview_of(request: HttpRequest, rows: list[dict], form: InvoiceForm):
    if request.method == "POST":
        return _preview(request, rows)
    return _priced(rows, form.initial.get("invoice_date"))


# ---------------------------------------------------------------- one invoice


@role_required(INVOICE_READERS)
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _invoice_or_404(pk))


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    if request.method == "GET":
        return _render_detail(request, invoice)
    try:
        # Idempotent per invoice: a double-click issues (and posts) once.
        invoice = issue_invoice(invoice, actor=request.user)
    except ValidationError as error:
        return _render_detail(request, invoice, action_errors=error.messages)
    messages.success(
        request,
        f"{invoice.number} issued: ${invoice.total:,.2f} due {invoice.due_date:%Y-%m-%d}.",
    )
    return redirect("receivables:invoice_detail", pk=invoice.pk)


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def invoice_void(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    if request.method == "GET":
        return _render_detail(request, invoice)
    try:
        invoice = void_draft_invoice(invoice, actor=request.user)
    except ValidationError as error:
        return _render_detail(request, invoice, action_errors=error.messages)
    messages.success(request, f"Draft {invoice.number} voided.")
    return redirect("receivables:invoice_detail", pk=invoice.pk)


@role_required(INVOICE_READERS)
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    return documents.invoice_pdf(invoice).response(request)


def _render_detail(
    request: HttpRequest,
    invoice: Invoice,
    *,
    notice: str = "",
    action_errors: list[str] | None = None,
    memo_form: CreditMemoForm | None = None,
) -> HttpResponse:
    staff = has_role(request.user, *FINANCE_STAFF)
    draft = invoice.status == InvoiceStatus.DRAFT
    issued = invoice.status == InvoiceStatus.ISSUED
    creditable = creditable_amount(invoice) if issued else None
    lines = [(line, line.calculation.splitlines()) for line in invoice.lines.all()]
    context = {
        "invoice": invoice,
        "state": invoice_state(invoice),
        "lines": lines,
        "movements": invoice_movements(invoice),
        "credit_memos": invoice_credit_memos(invoice),
        "pending_credits": pending_credits(invoice) if issued else None,
        "creditable": creditable,
        "can_edit": draft and staff,
        "can_issue": draft and staff,
        "can_void": draft and staff,
        "can_credit": issued and staff and bool(creditable),
        "can_see_entries": has_role(request.user, *ENTRY_READERS),
        "notice": notice,
        "action_errors": action_errors or [],
        "memo_form": memo_form,
    }
    return render(request, DETAIL_TEMPLATE, context)


# ---------------------------------------------------------------- credit memos


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def credit_memo_create(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(pk)
    return form_view(
        request,
        CreditMemoForm,
        initial={"credit_date": timezone.localdate()},
        perform=lambda data: prepare_credit_memo(invoice, **data, actor=request.user),
        success=lambda memo: (
            f"{memo.number} prepared: a lead or the supervisor approves it.",
            redirect("receivables:credit_memo_detail", pk=memo.pk),
        ),
        page=lambda form: _render_memo_form(request, invoice, form),
    )


def _render_memo_form(request: HttpRequest, invoice: Invoice, form: CreditMemoForm):
    issued = invoice.status == InvoiceStatus.ISSUED
    context = {
        "invoice": invoice,
        "form": form,
        "pending_credits": pending_credits(invoice) if issued else None,
        "creditable": creditable_amount(invoice) if issued else None,
        "issued": issued,
    }
    return render(request, "receivables/credit_memo_form.html", context)


@role_required(INVOICE_READERS)
@require_GET
def credit_memo_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("status", ApprovalStatus.PENDING)
    form = CreditMemoFilterForm(data)
    memos = CreditMemo.objects.none()
    if form.is_valid():
        status = form.cleaned_data["status"]
        memos = list_credit_memos(
            q=form.cleaned_data["q"], status="" if status == "all" else status
        )
    if request.GET.get("format") == "csv":
        filename = f"credit-memos-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, memos, CREDIT_MEMO_EXPORT_FIELDS)
    page = Paginator(memos, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    template = "receivables/credit_memo_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(INVOICE_READERS)
@require_GET
def credit_memo_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_memo(request, _memo_or_404(pk))


@role_required(CREDIT_MEMO_APPROVERS)
@require_http_methods(["GET", "POST"])
def credit_memo_approve(request: HttpRequest, pk: int) -> HttpResponse:
    memo = _memo_or_404(pk)
    if request.method == "GET":
        return _render_memo(request, memo)
    if memo.prepared_by_id == request.user.pk:
        raise PermissionDenied("You prepared this credit memo: another lead must approve it.")
    try:
        memo = approve_credit_memo(memo, actor=request.user)
    except ValidationError as error:
        return _render_memo(request, memo, action_errors=error.messages)
    messages.success(request, f"{memo.number} approved and posted.")
    return redirect("receivables:credit_memo_detail", pk=memo.pk)


@role_required(CREDIT_MEMO_APPROVERS)
@require_http_methods(["GET", "POST"])
def credit_memo_reject(request: HttpRequest, pk: int) -> HttpResponse:
    memo = _memo_or_404(pk)
    if request.method == "GET":
        return _render_memo(request, memo)
    if memo.prepared_by_id == request.user.pk:
        raise PermissionDenied("You prepared this credit memo: another lead must decide it.")
    return form_view(
        request,
        RejectCreditMemoForm,
        perform=lambda data: reject_credit_memo(memo, note=data["note"], actor=request.user),
        success=lambda rejected: (
            f"{rejected.number} rejected.",
            redirect("receivables:credit_memo_detail", pk=rejected.pk),
        ),
        page=lambda form: _render_memo(request, memo, reject_form=form),
    )


def _render_memo(
    request: HttpRequest,
    memo: CreditMemo,
    *,
    action_errors: list[str] | None = None,
    reject_form: RejectCreditMemoForm | None = None,
) -> HttpResponse:
    pending = memo.status == ApprovalStatus.PENDING
    own = memo.prepared_by_id == request.user.pk
    context = {
        "memo": memo,
        "invoice": memo.invoice,
        # Segregation of duties: the preparer never sees Approve or Reject.
        "can_decide": pending and not own and has_role(request.user, *CREDIT_MEMO_APPROVERS),
        "awaiting_other": pending and own,
        "can_see_entries": has_role(request.user, *ENTRY_READERS),
        "action_errors": action_errors or [],
        "reject_form": reject_form or RejectCreditMemoForm(),
    }
    return render(request, "receivables/credit_memo_detail.html", context)
