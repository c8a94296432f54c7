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
# The roles that take, prepare or approve money.
MONEY_ROLES = frozenset(
    {
        Role.COUNTER_CLERK,
        Role.ACCOUNTING_TECHNICIAN,
        Role.SENIOR_ACCOUNTING_TECHNICIAN,
        Role.FINANCE_SUPERVISOR,
    }
)
# Segregation of duties: whoever grants access may not use it on the money, nor audit
# the grants. The Auditor is left out of the money roles (it reads, changes nothing), but
# not out of this set: the role-change report is the auditor's check on the
# Administrator, and nobody checks themselves. The database holds the same rule
# (millbrae_finance/migrations/sql/0004_role_segregation.sql).
NOT_WITH_ADMINISTRATOR = MONEY_ROLES | {Role.AUDITOR}

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
    """The roles of a user, read once per request and kept on the user object.

    An Administrator is never also treated as holding a role the Administrator may not
    combine with, even if the groups said so: the database refuses that combination, and
    this keeps every role check (views, services, navigation) safe if it ever slipped in.
    """
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_millbrae_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        if Role.ADMINISTRATOR in cached:
            cached = cached - NOT_WITH_ADMINISTRATOR
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


def role_combination_error(roles: Iterable[Role]) -> str | None:
    """Why this set of roles may not be held by one person, or None if it may."""
    held = frozenset(roles)
    conflicting = held & NOT_WITH_ADMINISTRATOR
    if Role.ADMINISTRATOR not in held or not conflicting:
        return None
    names = _joined(sorted(role.label for role in conflicting))
    return (
        f"The Administrator role cannot be combined with {names}. Whoever grants roles "
        "may not also take, prepare, approve or audit money (segregation of duties): "
        "give these roles to different people."
    )


def role_change_error(
    *, actor: AbstractBaseUser, user: AbstractBaseUser, before: Iterable[str], after: Iterable[str]
) -> str | None:
    """Why `actor` may not change `user`'s groups from `before` to `after` (group names),
    or None if they may. Every form that changes roles asks this one question."""
    if set(before) == set(after):
        return None
    if user.pk is not None and user.pk == actor.pk:
        return (
            "You cannot change your own roles. Another administrator must make the change, "
            "so that no one grants themselves access."
        )
    return role_combination_error(role for role in Role if role.value in set(after))


def _joined(names: list[str]) -> str:
    if len(names) <= 2:
        return " or ".join(names)
    return ", ".join(names[:-1]) + f" or {names[-1]}"
