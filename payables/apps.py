from django.apps import AppConfig


class PayablesConfig(AppConfig):
    name = "payables"
    verbose_name = "Payables"

    def ready(self) -> None:
        """Every registration of payables (the screens' come with them)."""
        from millbrae_finance.bulk_tables import register_bulk_tables
        from payables.models import Invoice, InvoiceLine, Vendor, VendorAddress

        # Written in bulk (the demo, payment runs later): foreign keys checked per statement.
        register_bulk_tables(Vendor, VendorAddress, Invoice, InvoiceLine)
