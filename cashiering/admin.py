from django.contrib import admin
from django.http import HttpRequest

from cashiering.models import CashieringPolicy


@admin.register(CashieringPolicy)
class CashieringPolicyAdmin(admin.ModelAdmin):
    """The one policy row (made by migration 0003): changed, never added or removed."""

    list_display = ["__str__", "no_checks_days", "nsf_fee_code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
