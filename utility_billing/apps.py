from django.apps import AppConfig


class UtilityBillingConfig(AppConfig):
    name = "utility_billing"
    verbose_name = "Utility Billing"
