from typing import Any

from django.http import HttpRequest

from millbrae_finance.navigation import nav_sections_for, section_of_namespace
from millbrae_finance.roles import Role, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The links and role names the layout shows; computed here, not in the template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_sections": [],
            "nav_subitems": [],
            "user_role_names": [],
            "show_admin_link": False,
        }
    roles = user_roles(user)
    # A link is current on its own page and on the pages under it (a record's history
    # under the audit trail); the longest matching link wins, and its section is current.
    sections = nav_sections_for(roles)
    matches = [url for _, items in sections for _, url in items if request.path.startswith(url)]
    current = max(matches, key=len, default=None)
    match = getattr(request, "resolver_match", None)
    namespace_section = section_of_namespace(match.namespace if match else "")
    nav_sections = []
    subitems: list[tuple[str, str, bool]] = []
    for section, items in sections:
        marked = [(label, url, url == current) for label, url in items]
        is_current = any(flag for _, _, flag in marked) or (
            current is None and section == namespace_section
        )
        nav_sections.append((section, items[0][1], is_current, marked))
        if is_current:
            subitems = marked
    return {
        # Sections in the top row, each opening a menu of its pages; the current
        # section's pages also show in a second row.
        "nav_sections": nav_sections,
        "nav_subitems": subitems,
        "user_role_names": sorted(role.label for role in roles),
        # Django's admin (users, roles, reference data) sits in the top bar, for its role.
        "show_admin_link": Role.ADMINISTRATOR in roles,
    }
