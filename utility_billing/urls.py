from django.urls import path

from utility_billing.views import (
    accounts,
    adjustments,
    bill_prints,
    bill_runs,
    calculator,
    leak_policies,
    locations,
    meters,
    owner_notices,
    rates,
    reads,
    service_orders,
)

app_name = "utility_billing"

urlpatterns = [
    path("owner-notices/", owner_notices.owner_notice_list, name="owner_notice_list"),
    path("rates/", rates.rate_schedule_list, name="rate_schedule_list"),
    path("rates/new/", rates.rate_schedule_create, name="rate_schedule_create"),
    path("rates/accounts/", rates.revenue_account_search, name="revenue_account_search"),
    path("rates/<int:pk>/", rates.rate_schedule_detail, name="rate_schedule_detail"),
    path("rates/<int:pk>/new-version/", rates.rate_version_create, name="rate_version_create"),
    path("rates/versions/<int:pk>/", rates.rate_version_detail, name="rate_version_detail"),
    path("rates/versions/<int:pk>/edit/", rates.rate_version_edit, name="rate_version_edit"),
    path(
        "rates/versions/<int:pk>/approve/",
        rates.rate_version_approve,
        name="rate_version_approve",
    ),
    path("rates/versions/<int:pk>/retire/", rates.rate_version_retire, name="rate_version_retire"),
    path("calculator/", calculator.bill_calculator, name="bill_calculator"),
    # Locations, accounts and service orders
    path("locations/", locations.location_list, name="location_list"),
    path("locations/new/", locations.location_create, name="location_create"),
    path("locations/<int:pk>/", locations.location_detail, name="location_detail"),
    path("locations/<int:pk>/edit/", locations.location_edit, name="location_edit"),
    path("locations/<int:pk>/move-in/", accounts.account_open, name="account_open"),
    path(
        "locations/<int:pk>/service-orders/new/",
        service_orders.service_order_create,
        name="service_order_create",
    ),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:pk>/move-out/", accounts.account_close, name="account_close"),
    path("accounts/<int:pk>/transfer/", accounts.account_transfer, name="account_transfer"),
    path("accounts/<int:pk>/contact/", accounts.account_contact, name="account_contact"),
    path("accounts/<int:pk>/settle/", accounts.account_settle, name="account_settle"),
    path("service-orders/", service_orders.service_order_list, name="service_order_list"),
    path(
        "service-orders/<int:pk>/",
        service_orders.service_order_detail,
        name="service_order_detail",
    ),
    path(
        "service-orders/<int:pk>/schedule/",
        service_orders.service_order_schedule,
        name="service_order_schedule",
    ),
    path(
        "service-orders/<int:pk>/complete/",
        service_orders.service_order_complete,
        name="service_order_complete",
    ),
    path(
        "service-orders/<int:pk>/cancel/",
        service_orders.service_order_cancel,
        name="service_order_cancel",
    ),
    # Meters and reads
    path("meters/", meters.meter_list, name="meter_list"),
    path("meters/new/", meters.meter_create, name="meter_create"),
    path("meters/<int:pk>/", meters.meter_detail, name="meter_detail"),
    path("meters/<int:pk>/install/", meters.meter_install, name="meter_install"),
    path("meters/<int:pk>/remove/", meters.meter_remove, name="meter_remove"),
    path("meters/<int:pk>/change/", meters.meter_change, name="meter_change"),
    path("meters/<int:pk>/estimate/", reads.read_estimate, name="read_estimate"),
    path("reads/entry/", reads.read_entry, name="read_entry"),
    path("reads/import/", reads.read_import, name="read_import"),
    path("reads/import/template.csv", reads.read_import_template, name="read_import_template"),
    path("reads/import/<int:pk>/", reads.read_import_detail, name="read_import_detail"),
    path("reads/exceptions/", reads.read_exceptions, name="read_exceptions"),
    path("reads/exceptions/missing/", reads.read_missing, name="read_missing"),
    path("reads/<int:pk>/", reads.read_detail, name="read_detail"),
    path("reads/<int:pk>/accept/", reads.read_accept, name="read_accept"),
    path("reads/<int:pk>/correct/", reads.read_correct, name="read_correct"),
    path("reads/<int:pk>/re-read/", reads.read_re_read, name="read_re_read"),
    # Bill runs
    path("bill-runs/", bill_runs.bill_run_list, name="bill_run_list"),
    path("bill-runs/new/", bill_runs.bill_run_create, name="bill_run_create"),
    path("bill-runs/<int:pk>/", bill_runs.bill_run_detail, name="bill_run_detail"),
    path("bill-runs/<int:pk>/bills/", bill_runs.bill_run_bills, name="bill_run_bills"),
    path("bill-runs/<int:pk>/approve/", bill_runs.bill_run_approve, name="bill_run_approve"),
    path("bill-runs/<int:pk>/discard/", bill_runs.bill_run_discard, name="bill_run_discard"),
    path("bills/<int:pk>/", bill_runs.bill_detail, name="bill_detail"),
    # Adjustments and account notes
    path(
        "accounts/<int:pk>/adjustments/new/<slug:kind>/",
        adjustments.adjustment_create,
        name="adjustment_create",
    ),
    path(
        "accounts/<int:pk>/notes/new/", adjustments.account_note_create, name="account_note_create"
    ),
    path("adjustments/", adjustments.adjustment_list, name="adjustment_list"),
    path("adjustments/<int:pk>/", adjustments.adjustment_detail, name="adjustment_detail"),
    path(
        "adjustments/<int:pk>/approve/", adjustments.adjustment_approve, name="adjustment_approve"
    ),
    path("adjustments/<int:pk>/reject/", adjustments.adjustment_reject, name="adjustment_reject"),
    path("leak-policy/", leak_policies.leak_policy_list, name="leak_policy_list"),
    path("leak-policy/new/", leak_policies.leak_policy_create, name="leak_policy_create"),
    # Bill PDFs: one bill, and a posted run's print file for the mail vendor
    path("bills/<int:pk>/pdf/", bill_prints.bill_pdf, name="bill_pdf"),
    path("bill-runs/<int:pk>/print/", bill_prints.bill_run_print, name="bill_run_print"),
    path(
        "bill-runs/<int:pk>/print/file/",
        bill_prints.bill_run_print_file,
        name="bill_run_print_file",
    ),
    path(
        "bill-runs/<int:pk>/print/file/<int:part>/",
        bill_prints.bill_run_print_file,
        name="bill_run_print_part",
    ),
]
