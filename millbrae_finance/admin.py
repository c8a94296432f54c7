from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest

from millbrae_finance.models import CityClosure
from millbrae_finance.roles import Role, role_change_error

ROLE_NAMES = frozenset(Role.values)


@admin.register(CityClosure)
class CityClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]


class RoleCheckedForm:
    """Mixed into a user form that asks `role_change_error` before saving new groups. `actor` (the
    signed-in administrator) is set by the admin on the class it builds per request."""

    actor: User | None = None

    def clean(self) -> dict:
        cleaned = super().clean()  # type: ignore[misc]
        if "groups" in self.fields and "groups" in cleaned and self.actor is not None:
            before = (
                set(self.instance.groups.values_list("name", flat=True))
                if self.instance.pk
                else set()
            )
            after = {group.name for group in cleaned["groups"]}
            error = role_change_error(
                actor=self.actor, user=self.instance, before=before, after=after
            )
            if error:
                self.add_error("groups", ValidationError(error, code="role_change"))
        return cleaned


admin.site.unregister(User)


@admin.register(User)
class MillbraeUserAdmin(UserAdmin):
    # Shown, not edited: the admin's split date/time widget would drop the microseconds on
    # every save, and the audit trail would record a change nobody made.
    # Access comes from roles (groups) only: is_superuser and per-user permissions would
    # grant what no role does, and is_staff opens nothing here (the admin asks for the
    # Administrator role). A superuser is made from the server's command line, by whoever
    # runs it, never from a screen an administrator can reach for themselves.
    readonly_fields = ["last_login", "date_joined", "is_staff", "is_superuser", "role_names"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Roles",
            {
                "fields": ("is_active", "groups", "is_staff", "is_superuser"),
                "description": (
                    "Nobody changes their own roles, and the Administrator role is never "
                    "combined with a role that takes, prepares, approves or audits money. "
                    "Every change is on the role-change report the finance supervisor "
                    "and the auditor read."
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    filter_horizontal = ["groups"]
    list_display = ["username", "first_name", "last_name", "is_active", "role_names"]
    list_filter = ["is_active", "groups"]

    @admin.display(description="Roles")
    def role_names(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (RoleCheckedForm, form), {"actor": request.user})

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # Deactivating yourself is a change to your own access as well.
        if obj is not None and obj.pk == request.user.pk:
            fields.append("is_active")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting your own user would remove your own roles.
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class MillbraeGroupAdmin(GroupAdmin):
    """The six roles are fixed: their names are what every role check reads and their
    permissions are synced from `ROLE_PERMISSIONS` after every migrate. Renaming or
    deleting one would move every member into or out of a role at once, so a role's group
    is shown, never changed (the database refuses it too). Members are added on the user's
    own page, where the role rules are checked."""

    list_display = ["name", "member_count"]
    readonly_fields = ["members"]
    # No bulk delete: it would bypass has_delete_permission for a role in the selection.
    actions = None

    @admin.display(description="Members")
    def members(self, group: Group) -> str:
        return ", ".join(group.user_set.order_by("username").values_list("username", flat=True))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, group: Group) -> int:
        return group.member_count

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(member_count=Count("user"))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.name in ROLE_NAMES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.name in ROLE_NAMES:
            return False
        return super().has_delete_permission(request, obj)
