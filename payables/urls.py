from django.urls import path

from payables.views import invoices, vendors

app_name = "payables"

urlpatterns = [
    path("vendors/", vendors.vendor_list, name="vendor_list"),
    path("vendors/new/", vendors.vendor_create, name="vendor_create"),
    path("vendors/<int:pk>/", vendors.vendor_detail, name="vendor_detail"),
    path("vendors/<int:pk>/edit/", vendors.vendor_edit, name="vendor_edit"),
    path("vendors/<int:pk>/bank/", vendors.bank_change_create, name="bank_change_create"),
    path("bank-changes/<int:pk>/approve/", vendors.bank_change_approve, name="bank_change_approve"),
    path("bank-changes/<int:pk>/reject/", vendors.bank_change_reject, name="bank_change_reject"),
    path("invoices/", invoices.invoice_list, name="invoice_list"),
    path("invoices/new/", invoices.invoice_create, name="invoice_create"),
    path("invoices/accounts/", invoices.account_search, name="account_search"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/approve/", invoices.invoice_approve, name="invoice_approve"),
    path("invoices/<int:pk>/reject/", invoices.invoice_reject, name="invoice_reject"),
    path("invoices/<int:pk>/hold/", invoices.invoice_hold, name="invoice_hold"),
    path("invoices/<int:pk>/release/", invoices.invoice_release, name="invoice_release"),
    path("invoices/<int:pk>/scan/", invoices.invoice_attachment, name="invoice_attachment"),
]
