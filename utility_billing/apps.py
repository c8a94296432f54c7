from django.apps import AppConfig


class UtilityBillingConfig(AppConfig):
    name = "utility_billing"
    verbose_name = "Utility Billing"

    def ready(self) -> None:
        from ledger.models import Subledger
        from ledger.reconciliation import register_subledger
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.work_queues import WorkQueue, register_work_queue
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
            label="Utility accounts",
            url_name="utility_billing:account_list",
            section="Utility billing",
        )
        register_nav_item(
            label="Service locations",
            url_name="utility_billing:location_list",
            section="Utility billing",
        )
        register_nav_item(
            label="Service orders",
            url_name="utility_billing:service_order_list",
            section="Utility billing",
        )
        register_nav_item(
            label="Rates", url_name="utility_billing:rate_schedule_list", section="Utility billing"
        )
        register_nav_item(
            label="Bill runs", url_name="utility_billing:bill_run_list", section="Utility billing"
        )
        register_nav_item(
            label="Bill calculator",
            url_name="utility_billing:bill_calculator",
            section="Utility billing",
        )
        # Demo data by dotted path: imported only when seed_demo runs.
        for name, seeder, order in [
            ("utility_billing_rates", "utility_billing.demo.accounts:seed_rates", 40),
            ("utility_billing_accounts", "utility_billing.demo.accounts:seed_accounts", 41),
            (
                "utility_billing_deposit_rules",
                "utility_billing.demo.accounts:seed_deposit_rules",
                42,
            ),
            ("utility_billing_reads", "utility_billing.demo.reads:seed_reads", 43),
            ("utility_billing_bills", "utility_billing.demo.bills:seed_bills", 44),
        ]:
            register_demo_seeder(name, seeder, order=order)
        # Benchmarks by dotted path too: imported only when manage.py benchmark runs.
        for name, workload in [
            (
                "utility_account_search",
                "utility_billing.benchmarks.accounts:account_search_workload",
            ),
            ("utility_account_page", "utility_billing.benchmarks.accounts:account_page_workload"),
            ("bill_run", "utility_billing.benchmarks.bill_runs:bill_run_workload"),
            ("bill_pdf", "utility_billing.benchmarks.bill_pdfs:bill_pdf_workload"),
        ]:
            register_workload(name, workload)
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

        # Payments at the counter, by mail and lockbox: an account, oldest bill first.
        from millbrae_finance.payment_targets import register_payment_target
        from utility_billing.services.payments import UtilityAccountTarget

        register_payment_target(UtilityAccountTarget())
        from utility_billing.queries.settlements import deposits_held_total
        from utility_billing.services.settlements import UtilityDepositTarget

        register_payment_target(UtilityDepositTarget())
        # Owners told of a tenant's bill past due: a list of notices to send.
        from utility_billing.queries.settlements import owner_notice_work
        from utility_billing.services.accounts import ACCOUNT_EDITORS

        register_nav_item(
            label="Owner notices",
            url_name="utility_billing:owner_notice_list",
            section="Utility billing",
        )
        register_work_queue(
            WorkQueue(
                key="utility-owner-notices",
                title="Owner notices to send",
                roles=ACCOUNT_EDITORS,
                items=owner_notice_work,
                list_url_name="utility_billing:owner_notice_list",
            )
        )
        # Customer deposits held: the deposits control account equals the deposits held.
        register_subledger(
            Subledger.DEPOSITS, module="utility_billing", total_at=deposits_held_total
        )
        # Utility AR in the aging report, beside receivables' own.
        from millbrae_finance.aging_sections import register_aging_section
        from utility_billing.queries.aging import SECTION_KEY, utility_aging

        register_aging_section(SECTION_KEY, utility_aging)

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

        # Adjustments: a lead sees the ones others prepared; never their own.
        from utility_billing.queries.adjustments import adjustment_approval_work
        from utility_billing.services.adjustments import ADJUSTMENT_APPROVERS

        register_nav_item(
            label="Adjustments",
            url_name="utility_billing:adjustment_list",
            section="Utility billing",
        )
        register_demo_seeder(
            "utility_billing_leak_policy",
            "utility_billing.demo.adjustments:seed_leak_policy",
            order=43,
        )
        register_work_queue(
            WorkQueue(
                key="utility-adjustment-approvals",
                title="Utility adjustments to approve",
                roles=ADJUSTMENT_APPROVERS,
                items=adjustment_approval_work,
                list_url_name="utility_billing:adjustment_list",
            )
        )
