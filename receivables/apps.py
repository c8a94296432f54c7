from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = "Receivables"

    def ready(self) -> None:
        from ledger.models import Subledger
        from ledger.reconciliation import register_subledger
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.payment_targets import register_payment_target
        from receivables.benchmarks import (
            audited_bulk_insert_workload,
            customer_search_workload,
            penalty_batch_workload,
        )
        from receivables.billing_demo import seed_billing, seed_collections
        from receivables.demo import seed_customers, seed_fees
        from receivables.models import (
            ArSubledger,
            ArTransaction,
            Citation,
            CollectionReferral,
            Customer,
            DunningNotice,
            Invoice,
            InvoiceLine,
        )
        from receivables.penalties_demo import seed_penalty_rules
        from receivables.queries.subledger import subledger_total
        from receivables.services.customers import register_customer_merge
        from receivables.services.payments import (
            CitationTarget,
            CustomerBalanceTarget,
            InvoiceTarget,
        )
        from receivables.services.subledger import move_documents
        from receivables.views import citations, collections, invoices, penalties

        register_nav_item(
            label="Customers", url_name="receivables:customer_list", section="Receivables"
        )
        register_nav_item(label="Fees", url_name="receivables:fee_list", section="Receivables")
        for area in (invoices, citations, penalties, collections):
            area.register()
        register_demo_seeder("receivables", seed_customers, order=20)
        register_demo_seeder("receivables_fees", seed_fees, order=21)
        register_demo_seeder("receivables_penalty_rules", seed_penalty_rules, order=22)
        register_demo_seeder("receivables_billing", seed_billing, order=30)
        register_demo_seeder("receivables_collections", seed_collections, order=31)
        register_workload("customer_search", customer_search_workload)
        register_workload("penalty_batch", penalty_batch_workload)
        register_workload("audited_bulk_insert", audited_bulk_insert_workload)
        # Written in bulk (imports, batches): foreign keys checked per statement.
        register_bulk_tables(
            Customer,
            Invoice,
            InvoiceLine,
            ArTransaction,
            Citation,
            DunningNotice,
            CollectionReferral,
        )

        register_customer_merge("invoices and citations", move_documents)
        for target in (InvoiceTarget(), CitationTarget(), CustomerBalanceTarget()):
            register_payment_target(target)

        # Misc AR and fines AR: the sum of their movements must equal the control accounts.
        register_subledger(
            Subledger.MISC_AR,
            module="receivables",
            total_at=lambda as_of: subledger_total(ArSubledger.MISC_AR, as_of),
        )
        register_subledger(
            Subledger.FINES_AR,
            module="receivables",
            total_at=lambda as_of: subledger_total(ArSubledger.FINES_AR, as_of),
        )
