from typing import Any

from django.http import HttpRequest

from millbrae_finance.navigation import nav_items_for
from millbrae_finance.roles import Role, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The links and role names the layout shows; computed here, not in the template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_role_names": [], "show_admin_link": False}
    roles = user_roles(user)
    # A section is current on its own page and on the pages under it (a record's history
    # under the audit trail); the longest matching link wins.
    items = nav_items_for(roles)
    matches = [url for _, url in items if request.path.startswith(url)]
    current = max(matches, key=len, default=None)
    return {
        "nav_items": [(label, url, url == current) for label, url in items],
        "user_role_names": sorted(role.label for role in roles),
        # Django's admin (users, roles, reference data) sits in the top bar, for its role.
        "show_admin_link": Role.ADMINISTRATOR in roles,
    }
