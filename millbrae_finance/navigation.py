"""The main navigation. A link shows to a user only when the view behind it would let
that user in: visibility is read from the view's own role check, never kept twice."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, resolve, reverse

from millbrae_finance.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    section: str


_items: list[NavItem] = []
# The links each set of roles sees, worked out once: reversing and resolving every link on
# every page was a tenth of a list page's time. Keyed by what a link's URL depends on.
_visible_cache: dict[tuple, list[tuple[NavItem, str]]] = {}


def register_nav_item(*, label: str, url_name: str, section: str) -> None:
    """Add a link to the main navigation; apps call this from AppConfig.ready()."""
    item = NavItem(label=label, url_name=url_name, section=section)
    if item not in _items:
        _items.append(item)
        _visible_cache.clear()


def _visible(roles: frozenset[Role]) -> list[tuple[NavItem, str]]:
    key = (roles, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    found = _visible_cache.get(key)
    if found is None:
        found = _visible_cache[key] = _work_out_visible(roles)
    return found


def _work_out_visible(roles: frozenset[Role]) -> list[tuple[NavItem, str]]:
    visible = []
    for item in _items:
        url = reverse(item.url_name)
        allowed = getattr(resolve(url).func, "allowed_roles", frozenset())
        if roles & allowed:
            visible.append((item, url))
    return visible


def nav_items_for(roles: frozenset[Role]) -> list[tuple[str, str]]:
    """(label, url) pairs this set of roles may open, in registration order."""
    return [(item.label, url) for item, url in _visible(roles)]


def section_of_namespace(namespace: str) -> str | None:
    """The section whose links belong to a URL namespace ("receivables" -> Receivables), so
    a page with no link of its own (a credit memo, a write-off) still shows its section."""
    for item in _items:
        if namespace and item.url_name.startswith(f"{namespace}:"):
            return item.section
    return None


def nav_sections_for(roles: frozenset[Role]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The links this set of roles may open, grouped by section: (section, [(label, url)]),
    sections in the order their first link was registered."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for item, url in _visible(roles):
        sections.setdefault(item.section, []).append((item.label, url))
    return list(sections.items())
