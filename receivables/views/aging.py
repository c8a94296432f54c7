"""Aging, customer statements and dunning notices: finance staff, the Auditor and the
Administrator read them; a lead or the supervisor sends the notices."""

import secrets

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.aging_sections import aging_sections
from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from receivables import documents
from receivables.forms.aging import AgingForm, AsOfForm, NoticeDateForm, StatementForm
from receivables.models import Customer
from receivables.queries.aging import BUCKETS, AgingBy, AgingKind, aging, customers_with_balance
from receivables.queries.dunning import REFERRAL_BUSINESS_DAYS, notice_runs, plan_notices
from receivables.tasks import start_notice_run, start_notices_pdf, start_statement_batch

REPORT_READERS = FINANCE_STAFF | {Role.AUDITOR, Role.ADMINISTRATOR}
# A clerk prints a customer's statement at the counter.
STATEMENT_READERS = REPORT_READERS | {Role.COUNTER_CLERK}
AGING_ROWS_PER_PAGE = 100
NOTICE_SENDERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})


def _bind(request: HttpRequest, form_class: type[Form]) -> Form:
    """The query string, or today when no date was chosen yet."""
    data = request.GET if "as_of" in request.GET else {"as_of": timezone.localdate()}
    return form_class(data)


@role_required(REPORT_READERS)
@require_GET
def aging_report(request: HttpRequest) -> HttpResponse:
    form = _bind(request, AgingForm)
    report = aging(**form.cleaned_data) if form.is_valid() else None
    # Receivables kept by other modules (utility AR) age in their own sections.
    sections = []
    if report is not None and report.kind == AgingKind.ALL:
        sections = aging_sections(report.as_of)
    output = request.GET.get("format")
    if report is not None and output == "csv":
        header, rows = _aging_csv(report)
        rows += _sections_csv(sections)
        return csv_response(f"aging-{report.as_of:%Y%m%d}.csv", header, rows)
    if report is not None and output == "pdf":
        printed_by = request.user.get_username()
        return documents.aging_pdf(report, printed_by=printed_by, sections=sections).response()
    page = None
    if report is not None:
        page = Paginator(report.rows, AGING_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "report": report, "page": page, "sections": sections}
    return render(request, "receivables/aging.html", context)


def _aging_csv(report) -> tuple[list[str], list[list]]:
    buckets = [label for _, label in BUCKETS]
    lines = [*report.rows, report.total]
    if report.by == AgingBy.TYPE:
        header = ["type", "documents", *buckets, "total"]
        return header, [[r.label, r.documents, *r.buckets, r.total] for r in lines]
    header = ["customer", "name", "documents", *buckets, "total"]
    return header, [[r.number, r.label, r.documents, *r.buckets, r.total] for r in lines]


def _sections_csv(sections) -> list[list]:
    """Each section that has lines, after the receivables rows: a blank row, its own
    heading row (it has a credit column), its lines and its total."""
    rows: list[list] = []
    buckets = [label for _, label in BUCKETS]
    for section in sections:
        if not section.lines:
            continue
        rows.append([])
        rows.append([section.title, "name", "items", *buckets, "credit", "total"])
        for line in [*section.lines, section.total]:
            rows.append(
                [line.number, line.label, line.items, *line.buckets, line.credit, line.total]
            )
    return rows


@role_required(STATEMENT_READERS)
@require_GET
def customer_statement(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = _bind(request, StatementForm)
    if not form.is_valid():
        context = {"form": form, "customer": customer}
        return render(request, "receivables/statement_form.html", context)
    data = form.cleaned_data
    statement = documents.customer_statement_pdf(
        customer, start=data["start"], as_of=data["as_of"], printed_by=request.user.get_username()
    )
    return statement.response()


@role_required(REPORT_READERS)
@require_http_methods(["GET", "POST"])
def statement_batch(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Building every statement is a background job; the page of the job follows it.
        form = StatementForm(request.POST)
        key = request.POST.get("idempotency_key", "")
        if form.is_valid() and key:
            data = form.cleaned_data
            job = start_statement_batch(
                start=data["start"], as_of=data["as_of"], idempotency_key=key, actor=request.user
            )
            return redirect("job_detail", pk=job.pk)
    else:
        form = _bind(request, StatementForm)
    context: dict = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        customer_ids = customers_with_balance(data["as_of"])
        context |= {
            "customer_count": len(customer_ids),
            "batch_key": secrets.token_urlsafe(18),
            **data,
        }
    return render(request, "receivables/statement_batch.html", context)


@role_required(REPORT_READERS)
@require_http_methods(["GET", "POST"])
def notice_list(request: HttpRequest) -> HttpResponse:
    can_send = has_role(request.user, *NOTICE_SENDERS)
    if request.method == "POST" and "pdf_date" in request.POST:
        return _start_notices_pdf(request)
    if request.method == "POST":
        if not can_send:
            raise PermissionDenied
        form = AsOfForm(request.POST)
        if form.is_valid():
            as_of = form.cleaned_data["as_of"]
            if as_of > timezone.localdate():
                form.add_error("as_of", "Notices are mailed today or recorded for a past day.")
            else:
                # Recorded by a background job; a form without its one-time key (an old
                # page) still sends once a day, as send_notices records nothing twice.
                key = request.POST.get("idempotency_key") or secrets.token_urlsafe(18)
                job = start_notice_run(as_of, idempotency_key=key, actor=request.user)
                return redirect("job_detail", pk=job.pk)
    else:
        form = _bind(request, AsOfForm)
    planned = plan_notices(form.cleaned_data["as_of"]) if form.is_valid() else []
    # A day to come can be previewed, not sent: notices are mailed today or recorded late.
    not_yet = form.is_valid() and form.cleaned_data["as_of"] > timezone.localdate()
    context = {
        "form": form,
        "planned": planned,
        "runs": notice_runs(),
        "can_send": can_send and not not_yet,
        "not_yet": not_yet,
        "referral_days": REFERRAL_BUSINESS_DAYS,
        "send_key": secrets.token_urlsafe(18),
    }
    return render(request, "receivables/notice_list.html", context)


def _start_notices_pdf(request: HttpRequest) -> HttpResponse:
    """Whoever reads the notices may print a day's: a background job lays them out."""
    form = NoticeDateForm({"date": request.POST["pdf_date"]})
    if not form.is_valid():
        context = {"form": AsOfForm({"as_of": timezone.localdate()}), "pdf_form": form}
        context |= {"planned": [], "runs": notice_runs(), "can_send": False}
        context["send_key"] = secrets.token_urlsafe(18)
        return render(request, "receivables/notice_list.html", context)
    key = request.POST.get("idempotency_key") or secrets.token_urlsafe(18)
    job = start_notices_pdf(form.cleaned_data["date"], idempotency_key=key, actor=request.user)
    return redirect("job_detail", pk=job.pk)
