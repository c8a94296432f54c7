"""Template filters built into every template: |money for amounts, |get_item for dicts."""

from decimal import Decimal, InvalidOperation

from django import template

from millbrae_finance.money import to_money

register = template.Library()


@register.filter
def money(value: Decimal | int | str | None, blank: str = "") -> str:
    """1234.5 -> "$1,234.50"; -12 -> "($12.00)", as accountants print a negative."""
    if value is None or value == "":
        return blank
    try:
        amount = to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"${abs(amount):,.2f}"
    return f"({text})" if amount < 0 else text


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """Look a key up in a dict the view prepared (a template cannot subscript)."""
    return mapping.get(key) if mapping else None
