from django.urls import path

from receivables.views import aging, citations, collections, customers, fees, invoices, penalties

app_name = "receivables"

urlpatterns = [
    # Customers
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_create, name="customer_create"),
    path("customers/merge/", customers.customer_merge, name="customer_merge"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    # The fee schedule and the calculator
    path("fees/", fees.fee_list, name="fee_list"),
    path("fees/new/", fees.fee_create, name="fee_create"),
    path("fees/calculator/", fees.fee_calculator, name="fee_calculator"),
    path("fees/<int:pk>/", fees.fee_detail, name="fee_detail"),
    path("fees/<int:pk>/edit/", fees.fee_edit, name="fee_edit"),
    path("fees/<int:pk>/approve/", fees.fee_approve, name="fee_approve"),
    path("fees/<int:pk>/retire/", fees.fee_retire, name="fee_retire"),
    # Invoices and credit memos
    path("invoices/", invoices.invoice_list, name="invoice_list"),
    path("invoices/new/", invoices.invoice_create, name="invoice_create"),
    path("invoices/customers/", invoices.invoice_customer_search, name="invoice_customer_search"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", invoices.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/issue/", invoices.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/void/", invoices.invoice_void, name="invoice_void"),
    path("invoices/<int:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/credit-memo/", invoices.credit_memo_create, name="credit_memo_create"),
    path("credit-memos/", invoices.credit_memo_list, name="credit_memo_list"),
    path("credit-memos/<int:pk>/", invoices.credit_memo_detail, name="credit_memo_detail"),
    path(
        "credit-memos/<int:pk>/approve/", invoices.credit_memo_approve, name="credit_memo_approve"
    ),
    path("credit-memos/<int:pk>/reject/", invoices.credit_memo_reject, name="credit_memo_reject"),
    # Citations
    path("citations/", citations.citation_list, name="citation_list"),
    path("citations/new/", citations.citation_create, name="citation_create"),
    path("citations/fine/", citations.citation_fine, name="citation_fine"),
    path("citations/<int:pk>/", citations.citation_detail, name="citation_detail"),
    path("citations/<int:pk>/notice.pdf", citations.citation_notice_pdf, name="citation_notice"),
    path("citations/<int:pk>/hearing/", citations.citation_hearing, name="citation_hearing"),
    path("citations/<int:pk>/dismiss/", citations.citation_dismiss, name="citation_dismiss"),
    path("citations/<int:pk>/reduce/", citations.citation_reduce, name="citation_reduce"),
    path("citations/<int:pk>/customer/", citations.citation_assign, name="citation_assign"),
    # Penalty rules and batches
    path("penalty-rules/", penalties.penalty_rule_list, name="penalty_rule_list"),
    path("penalty-rules/new/", penalties.penalty_rule_create, name="penalty_rule_create"),
    path("penalty-rules/<int:pk>/edit/", penalties.penalty_rule_edit, name="penalty_rule_edit"),
    path("penalty-batch/", penalties.penalty_batch, name="penalty_batch"),
    path("penalty-batches/", penalties.penalty_batch_list, name="penalty_batch_list"),
    path("penalty-batches/<int:pk>/", penalties.penalty_batch_detail, name="penalty_batch_detail"),
    # Write-offs and collections
    path("write-offs/", collections.write_off_list, name="write_off_list"),
    path("write-offs/new/", collections.write_off_create, name="write_off_create"),
    path("write-offs/<int:pk>/", collections.write_off_detail, name="write_off_detail"),
    path("write-offs/<int:pk>/approve/", collections.write_off_approve, name="write_off_approve"),
    path("write-offs/<int:pk>/reject/", collections.write_off_reject, name="write_off_reject"),
    path("collections/", collections.referral_candidates, name="referral_candidates"),
    path("collections/referrals/", collections.referral_list, name="referral_list"),
    path("collections/files/", collections.referral_files, name="referral_files"),
    path("collections/import/", collections.referral_import, name="referral_import"),
    # Aging, statements and dunning notices
    path("aging/", aging.aging_report, name="aging_report"),
    path("statements/", aging.statement_batch, name="statement_batch"),
    path("customers/<int:pk>/statement.pdf", aging.customer_statement, name="customer_statement"),
    path("notices/", aging.notice_list, name="notice_list"),
]
