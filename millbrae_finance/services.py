"""State changes that belong to no one module: roles and their permissions."""

import fnmatch
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from millbrae_finance.roles import ROLE_PERMISSIONS, Role


def sync_role_permissions(**kwargs: Any) -> None:
    """Give each role's group exactly the permissions ROLE_PERMISSIONS names.

    Runs after every migrate, because permissions of models added later exist only once
    their migrations have run; the groups themselves come from a data migration.
    """
    permissions = list(Permission.objects.select_related("content_type"))
    with transaction.atomic():
        for role in Role:
            group, _ = Group.objects.get_or_create(name=role.value)
            patterns = ROLE_PERMISSIONS[role]
            wanted = [
                permission
                for permission in permissions
                if any(_matches(permission, pattern) for pattern in patterns)
            ]
            group.permissions.set(wanted)


def _matches(permission: Permission, pattern: str) -> bool:
    full = f"{permission.content_type.app_label}.{permission.codename}"
    if "." in pattern:
        return fnmatch.fnmatchcase(full, pattern)
    return fnmatch.fnmatchcase(permission.codename, pattern)
