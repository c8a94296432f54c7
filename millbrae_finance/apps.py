from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MillbraeAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "millbrae_finance.admin_site.MillbraeAdminSite"


class MillbraeFinanceConfig(AppConfig):
    default = True
    name = "millbrae_finance"
    verbose_name = "Millbrae Finance"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from millbrae_finance.benchmarks import register_workload
        from millbrae_finance.bulk_tables import immediate_after_migrate
        from millbrae_finance.db_roles import grant_after_migrate
        from millbrae_finance.navigation import register_nav_item
        from millbrae_finance.services import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="millbrae_sync_roles")
        post_migrate.connect(grant_after_migrate, dispatch_uid="millbrae_grant_app_role")
        post_migrate.connect(
            immediate_after_migrate, dispatch_uid="millbrae_bulk_foreign_keys_immediate"
        )
        register_nav_item(label="Audit trail", url_name="audit_log", section="Books")
        register_nav_item(label="Role changes", url_name="role_change_list", section="Books")
        # By dotted path: the benchmark modules are imported only when the benchmark runs.
        register_workload("pages", "millbrae_finance.benchmarks.pages:pages_workload")
