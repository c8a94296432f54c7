from django.apps import AppConfig


class UtilityBillingConfig(AppConfig):
    name = "utility_billing"
    verbose_name = "Utility Billing"

    def ready(self) -> None:
        from millbrae_finance.bulk_tables import register_bulk_tables
        from millbrae_finance.demo import register_demo_seeder
        from millbrae_finance.navigation import register_nav_item
        from utility_billing.demo import seed_accounts, seed_deposit_rules, seed_rates
        from utility_billing.models import (
            AccountService,
            Meter,
            MeterRead,
            ServiceLocation,
            UtilityAccount,
        )

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
            label="Bill calculator",
            url_name="utility_billing:bill_calculator",
            section="Utility billing",
        )
        register_demo_seeder("utility_billing_rates", seed_rates, order=40)
        register_demo_seeder("utility_billing_accounts", seed_accounts, order=41)
        register_demo_seeder("utility_billing_deposit_rules", seed_deposit_rules, order=42)
        # Written in bulk (read imports, demo and benchmark loads): foreign keys checked
        # per statement.
        register_bulk_tables(ServiceLocation, UtilityAccount, AccountService, Meter, MeterRead)
