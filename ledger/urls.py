from django.urls import path

from ledger.views import chart, journals, periods, reports

app_name = "ledger"

urlpatterns = [
    # Reports and inquiries
    path("trial-balance/", reports.trial_balance_report, name="trial_balance"),
    path("accounts/<int:pk>/activity/", reports.account_inquiry, name="account_inquiry"),
    path("balance-sheet/", reports.balance_sheet_report, name="balance_sheet"),
    path("reconciliation/", reports.reconciliation_report, name="reconciliation"),
    path(
        "revenue-expenditure/",
        reports.revenue_expenditure_report,
        name="revenue_expenditure",
    ),
    # Fiscal calendar
    path("periods/", periods.period_list, name="period_list"),
    path("periods/<int:pk>/close/", periods.period_close, name="period_close"),
    path("periods/<int:pk>/reopen/", periods.period_reopen, name="period_reopen"),
    path("fiscal-years/new/", periods.fiscal_year_create, name="fiscal_year_create"),
    path("fiscal-years/<int:pk>/close/", periods.fiscal_year_close, name="fiscal_year_close"),
    # Journal entries: posted entries, and manual entries from draft to approval
    path("entries/", journals.entry_list, name="entry_list"),
    path("entries/<int:pk>/", journals.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/reverse/", journals.entry_reverse, name="entry_reverse"),
    path("journals/", journals.journal_list, name="journal_list"),
    path("journals/new/", journals.journal_create, name="journal_create"),
    path("journals/import/", journals.journal_import, name="journal_import"),
    path("journals/accounts/", journals.account_search, name="journal_account_search"),
    path("journals/<int:pk>/", journals.journal_detail, name="journal_detail"),
    path("journals/<int:pk>/edit/", journals.journal_edit, name="journal_edit"),
    path("journals/<int:pk>/submit/", journals.journal_submit, name="journal_submit"),
    path("journals/<int:pk>/approve/", journals.journal_approve, name="journal_approve"),
    path("journals/<int:pk>/reject/", journals.journal_reject, name="journal_reject"),
    # Chart of accounts
    path("accounts/", chart.account_list, name="account_list"),
    path("accounts/new/", chart.account_create, name="account_create"),
    path("accounts/<int:pk>/", chart.account_edit, name="account_edit"),
    path("accounts/<int:pk>/active/", chart.account_set_active, name="account_set_active"),
    path("accounts/import/", chart.chart_import, name="chart_import"),
    path(
        "accounts/import/template.csv",
        chart.chart_import_template,
        name="chart_import_template",
    ),
    path("funds/", chart.segment_list, {"kind": "fund"}, name="fund_list"),
    path("funds/new/", chart.segment_create, {"kind": "fund"}, name="fund_create"),
    path("funds/<int:pk>/", chart.segment_edit, {"kind": "fund"}, name="fund_edit"),
    path("departments/", chart.segment_list, {"kind": "department"}, name="department_list"),
    path(
        "departments/new/",
        chart.segment_create,
        {"kind": "department"},
        name="department_create",
    ),
    path(
        "departments/<int:pk>/",
        chart.segment_edit,
        {"kind": "department"},
        name="department_edit",
    ),
    path("object-codes/", chart.segment_list, {"kind": "object_code"}, name="object_code_list"),
    path(
        "object-codes/new/",
        chart.segment_create,
        {"kind": "object_code"},
        name="object_code_create",
    ),
    path(
        "object-codes/<int:pk>/",
        chart.segment_edit,
        {"kind": "object_code"},
        name="object_code_edit",
    ),
]
