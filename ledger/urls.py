from django.urls import path

from ledger.views import reports

app_name = "ledger"

urlpatterns = [
    # Reports and inquiries
    path("trial-balance/", reports.trial_balance_report, name="trial_balance"),
]
