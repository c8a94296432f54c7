from django.urls import path

from utility_billing.views import bill_runs

app_name = "utility_billing"

urlpatterns = [
    # Bill runs
    path("bill-runs/", bill_runs.bill_run_list, name="bill_run_list"),
    path("bill-runs/new/", bill_runs.bill_run_create, name="bill_run_create"),
    path("bill-runs/<int:pk>/", bill_runs.bill_run_detail, name="bill_run_detail"),
    path("bill-runs/<int:pk>/bills/", bill_runs.bill_run_bills, name="bill_run_bills"),
    path("bill-runs/<int:pk>/approve/", bill_runs.bill_run_approve, name="bill_run_approve"),
    path("bill-runs/<int:pk>/discard/", bill_runs.bill_run_discard, name="bill_run_discard"),
    path("bills/<int:pk>/", bill_runs.bill_detail, name="bill_detail"),
]
