from django.apps import AppConfig


class UtilityBillingConfig(AppConfig):
    name = "utility_billing"
    verbose_name = "Utility Billing"

    def ready(self) -> None:
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.work_queues import WorkQueue, register_work_queue
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

        # Meters and reads
        from utility_billing.permissions import METER_WORKERS
        from utility_billing.queries.reads import exception_work

        for label, url_name in (
            ("Meters", "utility_billing:meter_list"),
            ("Read entry", "utility_billing:read_entry"),
            ("Read import", "utility_billing:read_import"),
            ("Read exceptions", "utility_billing:read_exceptions"),
        ):
            register_nav_item(label=label, url_name=url_name, section="Utility billing")
        register_work_queue(
            WorkQueue(
                key="utility-read-exceptions",
                title="Read exceptions to review",
                roles=METER_WORKERS,
                items=exception_work,
                list_url_name="utility_billing:read_exceptions",
            )
        )
