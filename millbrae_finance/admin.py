from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from millbrae_finance.models import CityClosure


@admin.register(CityClosure)
class CityClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]


admin.site.unregister(User)


@admin.register(User)
class MillbraeUserAdmin(UserAdmin):
    # Shown, not edited: the admin's split date/time widget would drop the microseconds on
    # every save, and the audit trail would record a change nobody made.
    readonly_fields = ["last_login", "date_joined"]
    list_display = ["username", "first_name", "last_name", "is_active", "role_names"]
    list_filter = ["is_active", "groups"]

    @admin.display(description="Roles")
    def role_names(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")
