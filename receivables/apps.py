from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = "Receivables"

    def ready(self) -> None:
        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from receivables.benchmarks import customer_search_workload
        from receivables.demo import seed_customers, seed_fees

        register_nav_item(
            label="Customers", url_name="receivables:customer_list", section="Receivables"
        )
        register_nav_item(label="Fees", url_name="receivables:fee_list", section="Receivables")
        register_demo_seeder("receivables", seed_customers, order=20)
        register_demo_seeder("receivables_fees", seed_fees, order=21)
        register_workload("customer_search", customer_search_workload)
