from django.urls import path

from receivables.views import citations, collections, invoices, penalties
from receivables.views import customers as views

app_name = "receivables"

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/merge/", views.customer_merge, name="customer_merge"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("fees/", views.fee_list, name="fee_list"),
    path("fees/new/", views.fee_create, name="fee_create"),
    path("fees/calculator/", views.fee_calculator, name="fee_calculator"),
    path("fees/<int:pk>/", views.fee_detail, name="fee_detail"),
    path("fees/<int:pk>/edit/", views.fee_edit, name="fee_edit"),
    path("fees/<int:pk>/approve/", views.fee_approve, name="fee_approve"),
    path("fees/<int:pk>/retire/", views.fee_retire, name="fee_retire"),
    # Each area keeps its own routes beside its views.
    *invoices.urlpatterns,
    *citations.urlpatterns,
    *penalties.urlpatterns,
    *collections.urlpatterns,
]
