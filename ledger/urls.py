from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("trial-balance/", views.trial_balance_report, name="trial_balance"),
]
