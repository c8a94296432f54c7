from django.urls import path

from utility_billing.views import calculator, rates

app_name = "utility_billing"

urlpatterns = [
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
]
