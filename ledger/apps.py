from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from ledger.demo import seed_ledger
        from millbrae_finance.demo import register_demo_seeder

        register_demo_seeder("ledger", seed_ledger, order=10)
