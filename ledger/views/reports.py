import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ledger.forms.reports import TrialBalanceForm
from ledger.queries import trial_balance
from ledger.services import period_for_date
from millbrae_finance.csv_export import csv_response
from millbrae_finance.pdf import pdf_response
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, role_required

REPORT_READERS = FINANCE_STAFF | AUDIT_READERS


@role_required(REPORT_READERS)
@require_GET
def trial_balance_report(request: HttpRequest) -> HttpResponse:
    # With no range chosen, the current fiscal year to date.
    form = TrialBalanceForm(request.GET if "first" in request.GET else _default_range() or None)
    report = None
    if form.is_valid():
        report = trial_balance(**form.cleaned_data)
    output = request.GET.get("format")
    if report is not None and output == "csv":
        return _trial_balance_csv(report)
    context = {"form": form, "report": report}
    if report is not None and output == "pdf":
        context |= {"printed_at": timezone.now(), "printed_by": request.user.get_username()}
        return pdf_response("ledger/pdf/trial_balance.html", context, filename="trial-balance.pdf")
    return render(request, "ledger/trial_balance.html", context)


def _default_range() -> dict:
    try:
        period = period_for_date(timezone.localdate())
    except ValidationError:  # no fiscal year covers today: the form asks instead
        return {}
    first = period.fiscal_year.periods.get(number=1)
    return {"first": first.pk, "last": period.pk}


def _trial_balance_csv(report) -> HttpResponse:
    rows = [
        [r.account.number, r.account.name, r.beginning, r.debits, r.credits, r.ending]
        for r in report.rows
    ]
    rows.append(["", "Total", report.beginning, report.debits, report.credits, report.ending])
    return csv_response(
        f"trial-balance-{dt.date.today():%Y%m%d}.csv",
        ["account", "name", "beginning", "debits", "credits", "ending"],
        rows,
    )
