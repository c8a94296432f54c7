from django.apps import AppConfig


class PayablesConfig(AppConfig):
    name = "payables"
    verbose_name = "Payables"

    def ready(self) -> None:
        """Every registration of payables: navigation, source documents, work queues,
        bulk tables and demo data."""
        from ledger.sources import register_source_documents
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.work_queues import WorkQueue, register_work_queue
        from payables.access import BANK_CHANGE_APPROVERS, INVOICE_APPROVERS
        from payables.models import Invoice, InvoiceLine, Vendor, VendorAddress
        from payables.queries.invoices import invoice_approval_work, payables_document_url
        from payables.queries.vendors import bank_change_approval_work

        for label, url_name in [
            ("Vendors", "payables:vendor_list"),
            ("Vendor invoices", "payables:invoice_list"),
        ]:
            register_nav_item(label=label, url_name=url_name, section="Payables")

        # "AP-000123" and "VCM-000045" on journal entries link back.
        register_source_documents("payables", payables_document_url)

        register_work_queue(
            WorkQueue(
                key="payables-invoice-approvals",
                title="Invoices awaiting approval",
                roles=INVOICE_APPROVERS,
                items=invoice_approval_work,
                list_url_name="payables:invoice_list",
            )
        )
        register_work_queue(
            WorkQueue(
                key="payables-bank-change-approvals",
                title="Vendor bank changes to approve",
                roles=BANK_CHANGE_APPROVERS,
                items=bank_change_approval_work,
                list_url_name="payables:vendor_list",
            )
        )
        # Demo data by dotted path: imported only when seed_demo runs.
        register_demo_seeder("payables", "payables.demo.vendors:seed_payables", order=40)
        # Written in bulk (the demo, payment runs later): foreign keys checked per statement.
        register_bulk_tables(Vendor, VendorAddress, Invoice, InvoiceLine)
