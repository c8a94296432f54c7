from typing import Any

from django.http import HttpRequest

from millbrae_finance.navigation import nav_items_for
from millbrae_finance.roles import user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The links and role names the layout shows; computed here, not in the template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_role_names": []}
    roles = user_roles(user)
    return {
        "nav_items": nav_items_for(roles),
        "user_role_names": sorted(role.label for role in roles),
    }
