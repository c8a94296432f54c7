from django.apps import AppConfig


class UtilityBillingConfig(AppConfig):
    name = "utility_billing"
    verbose_name = "Utility Billing"

    def ready(self) -> None:
        from millbrae_finance.bulk_tables import register_bulk_tables
        from utility_billing.models import (
            AccountService,
            Meter,
            MeterRead,
            ServiceLocation,
            UtilityAccount,
        )

        # Written in bulk (read imports, demo and benchmark loads): foreign keys checked
        # per statement.
        register_bulk_tables(ServiceLocation, UtilityAccount, AccountService, Meter, MeterRead)
