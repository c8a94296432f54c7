from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from ledger.demo import seed_ledger
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item

        register_demo_seeder("ledger", seed_ledger, order=10)
        register_nav_item(label="Trial balance", url_name="ledger:trial_balance", section="Books")
