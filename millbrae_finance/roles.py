"""Roles: the six Django groups of DESIGN.md, and the one way a view requires a role.

A view is decorated with `role_required(...)` naming every role that may use it (read-only
views too), or it is one of the few public pages that carry Django's
`login_not_required`. The role-matrix test walks every URL and fails when a view has
neither.
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse


class Role(models.TextChoices):
    COUNTER_CLERK = "Counter Clerk"
    ACCOUNTING_TECHNICIAN = "Accounting Technician"
    SENIOR_ACCOUNTING_TECHNICIAN = "Senior Accounting Technician"
    FINANCE_SUPERVISOR = "Finance Supervisor"
    AUDITOR = "Auditor"
    ADMINISTRATOR = "Administrator"


ALL_ROLES: frozenset[Role] = frozenset(Role)
# Staff who work the books; the Auditor reads, the Administrator keeps reference data.
FINANCE_STAFF = frozenset(
    {
        Role.ACCOUNTING_TECHNICIAN,
        Role.SENIOR_ACCOUNTING_TECHNICIAN,
        Role.FINANCE_SUPERVISOR,
    }
)
# Those who may read the audit trail of any record.
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR, Role.FINANCE_SUPERVISOR})

# What each role's group may do in Django's permission system, by "app_label.codename"
# pattern: "*" alone is every permission; "view_*" every view permission. Views check the
# role itself; these permissions serve the Django admin and any API later.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.COUNTER_CLERK: (),
    Role.ACCOUNTING_TECHNICIAN: (),
    Role.SENIOR_ACCOUNTING_TECHNICIAN: (),
    Role.FINANCE_SUPERVISOR: (),
    Role.AUDITOR: ("view_*",),
    Role.ADMINISTRATOR: (
        "auth.*",
        "millbrae_finance.*",
        "pghistory.view_*",
    ),
}


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles of a user, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_millbrae_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._millbrae_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(*roles: Role | Iterable[Role]) -> Callable:
    """Allow a view to the named roles only: anonymous users go to the login page,
    users without one of the roles get 403."""
    allowed: set[Role] = set()
    for role in roles:
        if isinstance(role, Role):
            allowed.add(role)
        else:
            allowed.update(role)
    if not allowed:
        raise ValueError("role_required needs at least one role")
    allowed_roles = frozenset(allowed)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_roles(request.user) & allowed_roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed_roles  # read by the role-matrix test and the nav
        return wrapper

    return decorator
