"""Reports and inquiries: trial balance, account inquiry, balance sheet, revenue and
expenditure statement. Each answers HTML, and PDF or CSV with ?format=."""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ledger.documents import report_pdf
from ledger.forms.reports import (
    AsOfDateForm,
    BalanceSheetForm,
    PeriodRangeForm,
    RevenueExpenditureForm,
    TrialBalanceForm,
)
from ledger.models import Account
from ledger.queries.calendar import period_for_date
from ledger.queries.reports import (
    account_activity,
    balance_sheet,
    revenue_expenditure_statement,
    trial_balance,
)
from ledger.reconciliation import reconciliation
from ledger.sources import source_document_url
from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, role_required

REPORT_READERS = FINANCE_STAFF | AUDIT_READERS
ACTIVITY_PAGE_SIZE = 100


@role_required(REPORT_READERS)
@require_GET
def trial_balance_report(request: HttpRequest) -> HttpResponse:
    form = _bind(request, TrialBalanceForm)
    report = trial_balance(**form.cleaned_data) if form.is_valid() else None
    return _respond(
        request,
        form,
        report,
        name="trial_balance",
        csv_rows=lambda r: (
            ["account", "name", "beginning", "debits", "credits", "ending"],
            [
                *(
                    [x.account.number, x.account.name, x.beginning, x.debits, x.credits, x.ending]
                    for x in r.rows
                ),
                ["", "Total", r.beginning, r.debits, r.credits, r.ending],
            ],
        ),
    )


@role_required(REPORT_READERS)
@require_GET
def account_inquiry(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("fund"), pk=pk)
    form = _bind(request, PeriodRangeForm)
    report = account_activity(account, **form.cleaned_data) if form.is_valid() else None
    page = None
    if report is not None and request.GET.get("format") not in ("csv", "pdf"):
        page = Paginator(report.lines, ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
        for line in page:
            line.source_url = source_document_url(
                line.entry.source_module, line.entry.source_document
            )
    return _respond(
        request,
        form,
        report,
        name="account_inquiry",
        extra={"account": account, "page": page},
        filename=f"account-{account.number}",
        csv_rows=lambda r: (
            ["date", "entry", "source", "document", "memo", "debit", "credit", "balance"],
            (
                [
                    line.entry.entry_date,
                    line.entry.number,
                    line.entry.source_module,
                    line.entry.source_document,
                    line.memo or line.entry.memo,
                    line.debit,
                    line.credit,
                    line.running,
                ]
                for line in r.lines.iterator(chunk_size=2000)
            ),
        ),
    )


@role_required(REPORT_READERS)
@require_GET
def balance_sheet_report(request: HttpRequest) -> HttpResponse:
    form = _bind(request, BalanceSheetForm)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        report = balance_sheet(fund=data["fund"], as_of=data["last"])
    return _respond(
        request,
        form,
        report,
        name="balance_sheet",
        csv_rows=lambda r: (
            ["section", "account", "name", "amount"],
            [
                *(
                    [section.title, line.account.number, line.account.name, line.amount]
                    for section in (r.assets, r.liabilities, r.fund_balance)
                    for line in section.lines
                ),
                ["Fund balance", "", "Revenues less expenditures to date", r.net_change],
                ["Total", "", "Assets", r.assets.total],
                ["Total", "", "Liabilities and fund balance", r.total_liabilities_and_fund_balance],
            ],
        ),
    )


@role_required(REPORT_READERS)
@require_GET
def revenue_expenditure_report(request: HttpRequest) -> HttpResponse:
    form = _bind(request, RevenueExpenditureForm)
    report = revenue_expenditure_statement(**form.cleaned_data) if form.is_valid() else None
    return _respond(
        request,
        form,
        report,
        name="revenue_expenditure",
        csv_rows=lambda r: (
            ["section", "account", "name", "amount"],
            [
                *(
                    [section.title, line.account.number, line.account.name, line.amount]
                    for section in (r.revenues, r.expenditures)
                    for line in section.lines
                ),
                ["Total", "", "Revenues", r.revenues.total],
                ["Total", "", "Expenditures", r.expenditures.total],
                ["Total", "", "Revenues less expenditures", r.net_change],
            ],
        ),
    )


@role_required(REPORT_READERS)
@require_GET
def reconciliation_report(request: HttpRequest) -> HttpResponse:
    data = request.GET if "as_of" in request.GET else {"as_of": timezone.localdate()}
    form = AsOfDateForm(data)
    report = None
    if form.is_valid():
        report = SubledgerReconciliation(form.cleaned_data["as_of"])
    return _respond(
        request,
        form,
        report,
        name="reconciliation",
        csv_rows=lambda r: (
            ["subledger", "control accounts", "gl balance", "subledger total", "difference"],
            (
                [
                    row.subledger.label,
                    " ".join(a.number for a in row.accounts),
                    row.gl_balance,
                    row.subledger_total,
                    row.difference,
                ]
                for row in r.rows
            ),
        ),
    )


class SubledgerReconciliation:
    """The reconciliation at a date, with the caption the report pages show."""

    def __init__(self, as_of) -> None:
        self.as_of = as_of
        self.rows = reconciliation(as_of)
        self.caption = f"As of the close of {as_of:%B %-d, %Y}"


def _bind(request: HttpRequest, form_class: type[Form]) -> Form:
    """Bind the query string; with no range chosen, the current fiscal year to date."""
    if "last" in request.GET:
        return form_class(request.GET)
    # Every report opens at once: the year to date, all funds (a fund is a narrowing).
    return form_class(_year_to_date() or None)


def _year_to_date() -> dict[str, int]:
    try:
        period = period_for_date(timezone.localdate())
    except ValidationError:  # no fiscal year covers today: the form asks instead
        return {}
    return {"first": period.fiscal_year.periods.get(number=1).pk, "last": period.pk}


def _respond(
    request: HttpRequest,
    form: Form,
    report: Any,
    *,
    name: str,
    csv_rows: Callable[[Any], tuple[list[str], Iterable]],
    extra: dict | None = None,
    filename: str | None = None,
) -> HttpResponse:
    filename = filename or name.replace("_", "-")
    output = request.GET.get("format")
    if report is not None and output == "csv":
        header, rows = csv_rows(report)
        return csv_response(f"{filename}.csv", header, rows)
    context = {"form": form, "report": report, **(extra or {})}
    if report is not None and output == "pdf":
        printed = report_pdf(
            name,
            report,
            printed_by=request.user.get_username(),
            filename=filename,
            account=context.get("account"),
        )
        return printed.response()
    return render(request, f"ledger/{name}.html", context)
