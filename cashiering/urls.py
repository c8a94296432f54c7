from django.urls import path

from cashiering.views import batches, counter, deposits, receipts, sessions

app_name = "cashiering"

urlpatterns = [
    path("", sessions.cashiering_home, name="home"),
    path("counter/", counter.counter, name="counter"),
    path("counter/add/", counter.cart_add, name="cart_add"),
    path("counter/remove/", counter.cart_remove, name="cart_remove"),
    path("sessions/", sessions.session_list, name="session_list"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session_detail"),
    path("sessions/<int:pk>/close/", sessions.session_close, name="session_close"),
    path("sessions/<int:pk>/verify/", sessions.session_verify, name="session_verify"),
    path("receipts/", receipts.receipt_list, name="receipt_list"),
    path("receipts/<int:pk>/", sessions.receipt_detail, name="receipt_detail"),
    path("receipts/<int:pk>/void/", sessions.receipt_void, name="receipt_void"),
    path("receipts/<int:pk>/reverse/", receipts.receipt_reverse, name="receipt_reverse"),
    path(
        "receipts/<int:pk>/return-check/",
        receipts.receipt_return_check,
        name="receipt_return_check",
    ),
    path("receipts/<int:pk>/print/", sessions.receipt_print, name="receipt_print"),
    path("batches/", batches.batch_list_view, name="batch_list"),
    path("batches/new/", batches.batch_create, name="batch_create"),
    path("batches/account/", batches.batch_account, name="batch_account"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch_detail"),
    path("lockbox/", batches.lockbox_import, name="lockbox_import"),
    path("lockbox/template/", batches.lockbox_template, name="lockbox_template"),
    path("deposits/", deposits.deposit_list_view, name="deposit_list"),
    path("deposits/new/", deposits.deposit_create, name="deposit_create"),
    path("deposits/<int:pk>/", deposits.deposit_detail, name="deposit_detail"),
    path("deposits/<int:pk>/slip/", deposits.deposit_slip, name="deposit_slip"),
    path("reports/daily-cash/", deposits.daily_cash, name="daily_cash"),
]
