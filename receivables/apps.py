from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = "Receivables"

    def ready(self) -> None:
        """Every registration of receivables: navigation, source documents, work queues,
        customer merges, payment targets, subledgers, bulk tables, demo data and
        benchmark workloads."""
        from ledger.models import Subledger
        from ledger.reconciliation import register_subledger
        from ledger.sources import register_source_documents
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.payment_targets import register_payment_target
        from millbrae_finance.work_queues import WorkQueue, register_work_queue
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
        from receivables.queries.collections import write_off_approval_work
        from receivables.queries.invoices import (
            credit_memo_approval_work,
            receivables_document_url,
        )
        from receivables.queries.subledger import subledger_total
        from receivables.services.credit_memos import CREDIT_MEMO_APPROVERS
        from receivables.services.customers import register_customer_merge
        from receivables.services.dunning import move_notices
        from receivables.services.payments import (
            CitationTarget,
            CustomerBalanceTarget,
            FeeTarget,
            InvoiceTarget,
        )
        from receivables.services.subledger import move_documents
        from receivables.services.write_offs import WRITE_OFF_APPROVERS

        # Navigation, in the order the menu shows it.
        for label, url_name in [
            ("Customers", "receivables:customer_list"),
            ("Fees", "receivables:fee_list"),
            ("Invoices", "receivables:invoice_list"),
            ("Citations", "receivables:citation_list"),
            ("Penalties", "receivables:penalty_batch"),
            ("Aging", "receivables:aging_report"),
            ("Collections", "receivables:referral_candidates"),
        ]:
            register_nav_item(label=label, url_name=url_name, section="Receivables")

        # "INV-000123", "CM-000045" and citation numbers on journal entries link back.
        register_source_documents("receivables", receivables_document_url)

        register_work_queue(
            WorkQueue(
                key="receivables-credit-memo-approvals",
                title="Credit memos to approve",
                roles=CREDIT_MEMO_APPROVERS,
                items=credit_memo_approval_work,
                list_url_name="receivables:credit_memo_list",
            )
        )
        # A supervisor sees the write-offs others requested; never their own.
        register_work_queue(
            WorkQueue(
                key="receivables-write-off-approvals",
                title="Write-offs to approve",
                roles=WRITE_OFF_APPROVERS,
                items=write_off_approval_work,
                list_url_name="receivables:write_off_list",
            )
        )

        # Demo data and benchmarks by dotted path: imported only when seed_demo or the
        # benchmark runs, never when the site starts.
        for name, seeder, order in [
            ("receivables", "receivables.demo.customers:seed_customers", 20),
            ("receivables_fees", "receivables.demo.customers:seed_fees", 21),
            ("receivables_penalty_rules", "receivables.demo.penalties:seed_penalty_rules", 22),
            ("receivables_billing", "receivables.demo.billing:seed_billing", 30),
            ("receivables_collections", "receivables.demo.billing:seed_collections", 31),
        ]:
            register_demo_seeder(name, seeder, order=order)
        for name, workload in [
            ("customer_search", "receivables.benchmarks:customer_search_workload"),
            ("penalty_batch", "receivables.benchmarks:penalty_batch_workload"),
            ("audited_bulk_insert", "receivables.benchmarks:audited_bulk_insert_workload"),
        ]:
            register_workload(name, workload)
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

        register_customer_merge("dunning notices", move_notices)
        register_customer_merge("invoices and citations", move_documents)
        for target in (InvoiceTarget(), CitationTarget(), CustomerBalanceTarget(), FeeTarget()):
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
