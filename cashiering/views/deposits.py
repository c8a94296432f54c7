"""Bank deposits (a lead or the supervisor makes them; the auditor reads them) and the
daily cash report (the supervisor, a lead or the auditor prints it)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cashiering.documents import daily_cash_pdf, deposit_slip_pdf
from cashiering.forms.deposits import DailyCashForm, DepositForm
from cashiering.queries.daily_cash import daily_cash_report
from cashiering.queries.deposits import (
    deposit_for,
    deposit_list,
    deposit_with_key,
    sessions_to_deposit,
)
from cashiering.services.deposits import DEPOSITORS, make_deposit
from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors

# Who reads deposits and the daily cash report: those who make deposits, and the auditor.
DEPOSIT_READERS = DEPOSITORS | {Role.AUDITOR}


@role_required(DEPOSIT_READERS)
@require_GET
def deposit_list_view(request: HttpRequest) -> HttpResponse:
    context = {
        "deposits": list(deposit_list()[:200]),
        "waiting": sessions_to_deposit().count(),
        "may_deposit": has_role(request.user, *DEPOSITORS),
    }
    return render(request, "cashiering/deposit_list.html", context)


@role_required(DEPOSITORS)
@require_http_methods(["GET", "POST"])
def deposit_create(request: HttpRequest) -> HttpResponse:
    """Group verified sessions into a deposit and post it; a double-click posts once."""
    if request.method == "POST" and (made := deposit_with_key(request.POST.get("idempotency_key"))):
        # Its sessions are deposited now, so the form would refuse them: show the deposit.
        return redirect("cashiering:deposit_detail", pk=made.pk)
    form = DepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deposit = make_deposit(
                list(data["sessions"]),
                deposit_date=data["deposit_date"],
                bank_account=data["bank_account"],
                bank_name=data["bank_name"],
                idempotency_key=data["idempotency_key"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Deposit {deposit.display_number} is made and posted.")
            return redirect("cashiering:deposit_detail", pk=deposit.pk)
    context = {"form": form, "sessions": list(form.fields["sessions"].queryset)}
    return render(request, "cashiering/deposit_form.html", context)


@role_required(DEPOSIT_READERS)
@require_GET
def deposit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "cashiering/deposit_detail.html", {"deposit": deposit_for(pk)})


@role_required(DEPOSIT_READERS)
@require_GET
def deposit_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """The deposit slip as a PDF."""
    slip = deposit_slip_pdf(deposit_for(pk), printed_by=request.user.get_username())
    return slip.response(request)


@role_required(DEPOSIT_READERS)
@require_GET
def daily_cash(request: HttpRequest) -> HttpResponse:
    """The daily cash report for a day or a range (today when none is chosen): HTML, or
    ?format=pdf or csv."""
    today = timezone.localdate()
    form = DailyCashForm(
        request.GET if "date_from" in request.GET else {"date_from": today, "date_to": today}
    )
    report = None
    if form.is_valid():
        report = daily_cash_report(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
        output = request.GET.get("format")
        if output == "csv":
            header, rows = report.csv_rows()
            filename = f"daily-cash-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.csv"
            return csv_response(filename, header, rows)
        if output == "pdf":
            return daily_cash_pdf(report, printed_by=request.user.get_username()).response(request)
    return render(request, "cashiering/daily_cash.html", {"form": form, "report": report})
