from django.urls import path

from utility_billing.views import meters, reads

app_name = "utility_billing"

urlpatterns = [
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
]
