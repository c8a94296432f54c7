from django.contrib import admin
from django.http import HttpRequest

from millbrae_finance.models import CityClosure
from millbrae_finance.roles import Role, has_role


class MillbraeAdminSite(admin.AdminSite):
    """Django's admin, for the Administrator role only: users, roles, reference data."""

    site_header = "Millbrae Finance administration"
    site_title = "Millbrae Finance"
    index_title = "Users, roles and reference data"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and has_role(request.user, Role.ADMINISTRATOR)


@admin.register(CityClosure)
class CityClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]
