"""The chart of accounts screens: finance staff and the Auditor read them, the
Administrator keeps the chart (accounts, funds, departments, object codes, CSV import)."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ledger.forms.chart import (
    AccountActiveForm,
    AccountFilterForm,
    AccountForm,
    ChartImportForm,
    DepartmentForm,
    FundForm,
    ObjectCodeForm,
)
from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode, Subledger
from ledger.queries.chart import (
    CHART_EXPORT_FIELDS,
    account_has_lines,
    account_identity,
    chart_accounts,
    segment_rows,
)
from ledger.services import chart as chart_services
from ledger.services.chart_import import (
    DERIVED_COLUMNS,
    IMPORT_COLUMN_HELP,
    IMPORT_COLUMNS,
    MAX_IMPORT_BYTES,
    ChartImportInvalid,
    import_chart,
    plan_chart_import,
)
from millbrae_finance.csv_export import csv_response, queryset_csv_response
from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import form_view, fragment_wanted

CHART_READERS = FINANCE_STAFF | AUDIT_READERS
ACCOUNTS_PER_PAGE = 50
ACCOUNT_FORM = "ledger/chart/account_form.html"


# ---------------------------------------------------------------- accounts


@role_required(CHART_READERS)
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET)
    accounts = chart_accounts(**form.cleaned_data) if form.is_valid() else Account.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"chart-of-accounts-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, accounts, CHART_EXPORT_FIELDS)
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_change": has_role(request.user, Role.ADMINISTRATOR)}
    template = "ledger/chart/account_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    return form_view(
        request,
        AccountForm,
        perform=lambda data: chart_services.open_account(**data, actor=request.user),
        success=lambda account: (f"Account {account} opened.", redirect("ledger:account_list")),
        template=ACCOUNT_FORM,
        context=_account_form_context,
        # An HTMX GET carries the segments chosen so far, to show the number they make.
        htmx_get_binds=True,
        fragment="identity",
    )


@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("fund", "object_code"), pk=pk)
    return form_view(
        request,
        AccountForm,
        form_kwargs={"account": account, "locked": account_has_lines(account)},
        perform=lambda data: chart_services.update_account(account, **data, actor=request.user),
        success=lambda saved: (f"Account {saved} saved.", redirect("ledger:account_list")),
        template=ACCOUNT_FORM,
        context=_account_form_context,
        htmx_get_binds=True,
        fragment="identity",
    )


def _account_form_context(form: AccountForm) -> dict:
    return {
        "account": form.account,
        "identity": account_identity(*form.chosen_segments(), account=form.account),
    }


@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def account_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    return form_view(
        request,
        AccountActiveForm,
        perform=lambda data: chart_services.set_account_active(
            account, active=data["active"], actor=request.user
        ),
        success=lambda changed: (
            f"Account {changed} "
            f"{'reactivated' if changed.is_active else 'deactivated: it takes no postings'}.",
            redirect("ledger:account_edit", pk=changed.pk),
        ),
        template="ledger/chart/account_set_active.html",
        context=lambda form: {"account": account},
    )


# ---------------------------------------------------------------- funds, departments, objects


@dataclass(frozen=True)
class Segment:
    """One of the three segments of an account number, and how its screens handle it."""

    model: type[Model]
    form: type[forms.Form]
    create: Callable[..., Model]
    update: Callable[..., Model]
    title: str
    url_prefix: str
    type_field: str | None = None

    @property
    def noun(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def list_url_name(self) -> str:
        return f"ledger:{self.url_prefix}_list"

    @property
    def create_url_name(self) -> str:
        return f"ledger:{self.url_prefix}_create"

    @property
    def edit_url_name(self) -> str:
        return f"ledger:{self.url_prefix}_edit"


SEGMENTS = {
    "fund": Segment(
        Fund,
        FundForm,
        chart_services.create_fund,
        chart_services.update_fund,
        "Funds",
        "fund",
        "fund_type",
    ),
    "department": Segment(
        Department,
        DepartmentForm,
        chart_services.create_department,
        chart_services.update_department,
        "Departments",
        "department",
    ),
    "object_code": Segment(
        ObjectCode,
        ObjectCodeForm,
        chart_services.create_object_code,
        chart_services.update_object_code,
        "Object codes",
        "object_code",
        "account_type",
    ),
}


@role_required(CHART_READERS)
@require_GET
def segment_list(request: HttpRequest, kind: str) -> HttpResponse:
    segment = SEGMENTS[kind]
    context = {
        "segment": segment,
        "rows": segment_rows(segment.model, type_field=segment.type_field),
        "can_change": has_role(request.user, Role.ADMINISTRATOR),
    }
    return render(request, "ledger/chart/segment_list.html", context)


@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest, kind: str) -> HttpResponse:
    segment = SEGMENTS[kind]
    return form_view(
        request,
        segment.form,
        perform=lambda data: segment.create(**data, actor=request.user),
        success=lambda created: (
            f"{segment.noun.capitalize()} {created} added.",
            redirect(segment.list_url_name),
        ),
        template="ledger/chart/segment_form.html",
        context=lambda form: {"segment": segment},
    )


@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    segment = SEGMENTS[kind]
    instance = get_object_or_404(segment.model, pk=pk)
    return form_view(
        request,
        segment.form,
        initial={name: getattr(instance, name) for name in segment.form.base_fields},
        perform=lambda data: segment.update(instance, **data, actor=request.user),
        success=lambda saved: (
            f"{segment.noun.capitalize()} {saved} saved.",
            redirect(segment.list_url_name),
        ),
        template="ledger/chart/segment_form.html",
        context=lambda form: {"segment": segment, "instance": instance},
    )


# ---------------------------------------------------------------- import


@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def chart_import(request: HttpRequest) -> HttpResponse:
    bound = request.method == "POST"
    form = ChartImportForm(request.POST if bound else None, request.FILES if bound else None)
    plan = None
    if form.is_valid() and not form.cleaned_data["confirm"]:
        plan = plan_chart_import(form.cleaned_data["content"])  # a preview: nothing changes
    elif form.is_valid():
        try:
            plan = import_chart(form.cleaned_data["content"], actor=request.user)
        except ChartImportInvalid as invalid:
            plan = invalid.plan  # the chart changed since the preview: show why
        else:
            messages.success(request, f"Chart imported: {plan.summary}.")
            return redirect("ledger:account_list")
    context = {"form": form, "plan": plan, **_import_help()}
    return render(request, "ledger/chart/chart_import.html", context)


def _import_help() -> dict:
    allowed = {
        "fund_type": FundType.values,
        "account_type": AccountType.values,
        "control_subledger": Subledger.values,
    }
    columns = [
        (name, IMPORT_COLUMN_HELP[name], allowed.get(name, []))
        for name in IMPORT_COLUMNS + DERIVED_COLUMNS
    ]
    return {"columns": columns, "max_size": f"{MAX_IMPORT_BYTES / 1_000_000:g} MB"}


TEMPLATE_ROWS = [
    ["501", "Water Enterprise", "enterprise", "4100", "Water Operations", "4411", "Water sales",
     "revenue", "", "yes", "", "yes"],
    ["501", "Water Enterprise", "enterprise", "0000", "Non-departmental", "1110",
     "Utility accounts receivable", "asset", "Water: utility billing receivable", "yes",
     "utility_ar", "yes"],
    ["101", "General Fund", "general", "1100", "Finance", "5210", "Postage", "expenditure", "",
     "yes", "", "yes"],
]  # fmt: skip


@role_required(Role.ADMINISTRATOR)
@require_GET
def chart_import_template(request: HttpRequest) -> HttpResponse:
    return csv_response("chart-of-accounts-template.csv", IMPORT_COLUMNS, TEMPLATE_ROWS)
