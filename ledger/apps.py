from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from django.urls import reverse

        from ledger.models import JournalEntry, JournalLine
        from ledger.queries.journals import journal_approval_work, open_draft_work
        from ledger.sources import register_source_documents
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.roles import FINANCE_STAFF, Role
        from millbrae_finance.work_queues import WorkQueue, register_work_queue

        # Demo data and benchmarks by dotted path: imported only when seed_demo or the
        # benchmark runs, never when the site starts.
        register_demo_seeder("ledger", "ledger.demo.books:seed_ledger", order=10)
        # Last: the modules post their history into these periods before they close.
        register_demo_seeder("ledger_close", "ledger.demo.books:close_past_periods", order=90)
        register_workload("ledger_posting", "ledger.benchmarks:posting_workload")
        register_workload("ledger_batch_posting", "ledger.benchmarks:batch_posting_workload")
        register_workload("ledger_trial_balance", "ledger.benchmarks:trial_balance_workload")
        # Batch posting writes these in bulk: foreign keys checked per statement.
        register_bulk_tables(JournalEntry, JournalLine)

        for label, url_name in [
            ("Entries", "ledger:entry_list"),
            ("Journals", "ledger:journal_list"),
            ("Trial balance", "ledger:trial_balance"),
            ("Balance sheet", "ledger:balance_sheet"),
            ("Revenue & expenditure", "ledger:revenue_expenditure"),
            ("Reconciliation", "ledger:reconciliation"),
            ("Periods", "ledger:period_list"),
            ("Accounts", "ledger:account_list"),
        ]:
            register_nav_item(label=label, url_name=url_name, section="Books")

        # A manual journal's entry names its draft as "JD-<id>".
        def journal_draft_url(reference: str) -> str | None:
            number = reference.removeprefix("JD-")
            if not reference.startswith("JD-") or not (number.isascii() and number.isdigit()):
                return None
            return reverse("ledger:journal_detail", args=[int(number)])

        register_source_documents("ledger", journal_draft_url)

        # Manual journal entries: the technician prepares, a lead who did not approves.
        register_work_queue(
            WorkQueue(
                key="ledger-journal-approvals",
                title="Journal entries to approve",
                roles=frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR}),
                items=journal_approval_work,
                list_url_name="ledger:journal_list",
            )
        )
        register_work_queue(
            WorkQueue(
                key="ledger-journal-drafts",
                title="Your draft journal entries",
                roles=FINANCE_STAFF,
                items=open_draft_work,
                list_url_name="ledger:journal_list",
            )
        )
