from django.apps import AppConfig


class CashieringConfig(AppConfig):
    name = "cashiering"
    verbose_name = "Cashiering"

    def ready(self) -> None:
        from cashiering.queries.batches import batch_document_url
        from cashiering.queries.sessions import receipt_document_url
        from ledger.sources import register_source_documents
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item

        for label, url_name in (
            ("Counter", "cashiering:counter"),
            ("Drawers", "cashiering:home"),
            ("Sessions", "cashiering:session_list"),
            ("Receipts", "cashiering:receipt_list"),
            ("Mail batches", "cashiering:batch_list"),
            ("Lockbox import", "cashiering:lockbox_import"),
            ("Deposits", "cashiering:deposit_list"),
            ("Daily cash report", "cashiering:daily_cash"),
        ):
            register_nav_item(label=label, url_name=url_name, section="Cashiering")
        # A cash entry's source document is its receipt, or its mail or lockbox batch.
        register_source_documents(
            "cashiering", lambda ref: receipt_document_url(ref) or batch_document_url(ref)
        )
        # Demo data by dotted path: imported only when seed_demo runs.
        register_demo_seeder("cashiering_drawers", "cashiering.demo.drawers:seed_drawers", order=60)
        # A month at the counter: after every module's history, before the periods close.
        register_demo_seeder(
            "cashiering_receipts", "cashiering.demo.receipts:seed_receipts", order=61
        )
        # Benchmarks by dotted path: imported only when manage.py benchmark runs.
        register_workload("counter_search", "cashiering.benchmarks:counter_search_workload")
        register_workload("counter_receipts", "cashiering.benchmarks:receipts_workload")
        # After every other cashiering step (sessions and receipts are seeded before it)
        # and before the ledger closes past periods (90): each day's verified sessions go
        # to the bank.
        register_demo_seeder(
            "cashiering_deposits", "cashiering.demo.deposits:seed_deposits", order=89
        )
