from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from millbrae_finance.roles import Role, has_role


class MillbraeAdminSite(admin.AdminSite):
    """Django's admin, for the Administrator role only: users, roles, reference data."""

    site_header = "Millbrae Finance administration"
    site_title = "Millbrae Finance"
    index_title = "Users, roles and reference data"
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and has_role(request.user, Role.ADMINISTRATOR)

    def admin_view(self, view: Callable, cacheable: bool = False) -> Callable:
        inner = super().admin_view(view, cacheable)

        # A signed-in user of another role gets 403, as everywhere else in the app, not
        # the admin's own second login form.
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied
        return super().login(request, extra_context)
