"""Bill runs: finance staff start a run for a cycle and period and review its proof
register; a lead (senior technician or supervisor) who did not start it approves and
posts it; before that, finance staff may discard it. The Auditor reads everything. The
counter reads a bill (it explains one to a customer)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.bill_runs import (
    BillRunFilterForm,
    BillRunForm,
    KeyForm,
    RegisterFilterForm,
    new_run_key,
)
from utility_billing.models import Bill, BillRun, BillRunStatus
from utility_billing.queries import bill_runs as queries
from utility_billing.queries.bill_prints import print_file_of, print_parts
from utility_billing.services.bill_runs import (
    RUN_APPROVERS,
    RUN_PREPARERS,
    approve_bill_run,
    discard_bill_run,
    start_bill_run,
)

RUN_READERS = FINANCE_STAFF | {Role.AUDITOR}
BILL_READERS = RUN_READERS | {Role.COUNTER_CLERK}
ROWS_PER_PAGE = 50


def _run_or_404(pk: int) -> BillRun:
    try:
        return queries.bill_run_detail(pk)
    except BillRun.DoesNotExist:
        raise Http404("No such bill run.") from None


@role_required(RUN_READERS)
@require_GET
def bill_run_list(request: HttpRequest) -> HttpResponse:
    form = BillRunFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    runs = queries.bill_run_list(cycle=filters.get("cycle"), status=filters.get("status", ""))
    if request.GET.get("format") == "csv":
        filename = f"bill-runs-{timezone.localdate():%Y%m%d}.csv"
        header = [name for name, _ in queries.RUN_EXPORT_FIELDS]
        rows = ([value(run) for _, value in queries.RUN_EXPORT_FIELDS] for run in runs)
        return csv_response(filename, header, rows)
    context = {
        "form": form,
        "page": Paginator(runs, ROWS_PER_PAGE).get_page(request.GET.get("page")),
        "can_start": has_role(request.user, *RUN_PREPARERS),
    }
    template = "utility_billing/bill_run_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(RUN_PREPARERS)
@require_http_methods(["GET", "POST"])
def bill_run_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = BillRunForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = start_bill_run(
                    data["cycle"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    bill_date=data["bill_date"],
                    due_date=data["due_date"],
                    idempotency_key=data["idempotency_key"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Bill run {run.reference} started.")
                return redirect("utility_billing:bill_run_detail", pk=run.pk)
    else:
        form = BillRunForm(initial=_suggested(request))
    return render(request, "utility_billing/bill_run_form.html", {"form": form})


def _suggested(request: HttpRequest) -> dict:
    """The form's first values: the cycle asked for (or the first), the period after
    its last run, a one-time key."""
    initial = {"idempotency_key": new_run_key()}
    cycles = queries.cycles_for_runs()
    cycle = cycles.filter(code=request.GET.get("cycle", "")).first() or cycles.first()
    if cycle is not None:
        initial["cycle"] = cycle.pk
        period = queries.next_period(cycle)
        if period is not None:
            initial["period_start"], initial["period_end"] = period
    return initial


@role_required(RUN_READERS)
@require_GET
def bill_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    filters = RegisterFilterForm(request.GET)
    reason = filters.cleaned_data.get("reason", "") if filters.is_valid() else ""
    if request.GET.get("format") == "exceptions-csv":
        return csv_response(
            f"bill-run-{run.reference}-exceptions.csv",
            queries.EXCEPTION_EXPORT_HEADER,
            queries.exception_rows(run, reason=reason),
        )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"bill-run-{run.reference}-bills.csv",
            queries.BILL_EXPORT_HEADER,
            queries.bill_rows(run),
        )
    has_register = run.status in (
        BillRunStatus.COMPUTED,
        BillRunStatus.APPROVED,
        BillRunStatus.POSTED,
    )
    user = request.user
    context = {
        "run": run,
        "filters": filters,
        "register": queries.proof_register(run) if has_register else None,
        "exceptions": Paginator(queries.run_exceptions(run, reason=reason), ROWS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        if has_register
        else None,
        "job": _job_shown(run),
        "print_file": print_file_of(run) if run.status == BillRunStatus.POSTED else None,
        "print_parts": print_parts(run) if run.status == BillRunStatus.POSTED else [],
        "can_print": has_role(user, *FINANCE_STAFF),
        "can_approve": run.status == BillRunStatus.COMPUTED
        and has_role(user, *RUN_APPROVERS)
        and run.prepared_by_id != user.pk,
        "own_run": run.prepared_by_id == user.pk,
        "can_discard": run.is_discardable and has_role(user, *RUN_PREPARERS),
        "key": new_run_key(),
    }
    return render(request, "utility_billing/bill_run_detail.html", context)


def _job_shown(run: BillRun):
    """The job whose progress the run's page shows: computing, or posting."""
    if run.status == BillRunStatus.COMPUTING:
        return run.job
    if run.status == BillRunStatus.APPROVED:
        return run.post_job
    return None


@role_required(RUN_READERS)
@require_GET
def bill_run_bills(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    filters = RegisterFilterForm(request.GET)
    q = filters.cleaned_data.get("q", "").strip() if filters.is_valid() else ""
    bills = queries.run_bills(run, q=q)
    context = {
        "run": run,
        "filters": filters,
        "page": Paginator(bills, ROWS_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "utility_billing/bill_run_bills.html", context)


@role_required(RUN_APPROVERS)
@require_POST
def bill_run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    form = KeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The form expired: open the run again, then approve.")
        return redirect("utility_billing:bill_run_detail", pk=run.pk)
    try:
        run = approve_bill_run(
            run, idempotency_key=form.cleaned_data["idempotency_key"], actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Bill run {run.reference} approved: posting it now.")
    return redirect("utility_billing:bill_run_detail", pk=run.pk)


@role_required(RUN_PREPARERS)
@require_POST
def bill_run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    try:
        run = discard_bill_run(run, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Bill run {run.reference} discarded: the cycle may be run again."
        )
    return redirect("utility_billing:bill_run_detail", pk=run.pk)


@role_required(BILL_READERS)
@require_GET
def bill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        bill, lines, reads = queries.bill_detail(pk)
    except Bill.DoesNotExist:
        raise Http404("No such bill.") from None
    context = {"bill": bill, "lines": lines, "reads": reads, "run": bill.run}
    return render(request, "utility_billing/bill_detail.html", context)
