from django.apps import AppConfig


class UtilityBillingConfig(AppConfig):
    name = "utility_billing"
    verbose_name = "Utility Billing"

    def ready(self) -> None:
        from ledger.models import Subledger
        from ledger.reconciliation import register_subledger
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.navigation import register_nav_item
        from utility_billing.benchmarks import bill_run_workload
        from utility_billing.models import (
            AccountService,
            Bill,
            BillLine,
            BillRunException,
            Meter,
            MeterRead,
            ServiceLocation,
            UtilityAccount,
            UtilityTransaction,
        )
        from utility_billing.queries.subledger import subledger_total

        register_nav_item(
            label="Bill runs", url_name="utility_billing:bill_run_list", section="Utility billing"
        )
        register_workload("bill_run", bill_run_workload)
        # Written in bulk (read imports, bill runs, demo and benchmark loads): foreign
        # keys checked per statement.
        register_bulk_tables(
            ServiceLocation,
            UtilityAccount,
            AccountService,
            Meter,
            MeterRead,
            Bill,
            BillLine,
            BillRunException,
            UtilityTransaction,
        )

        # Utility AR: the sum of the movements must equal the utility AR control accounts
        # (one per fund).
        register_subledger(Subledger.UTILITY_AR, module="utility_billing", total_at=subledger_total)
