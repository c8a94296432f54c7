from django.urls import path

from utility_billing.views import accounts, calculator, locations, rates, service_orders

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
]
