"""Small helpers every module's views share."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def fragment_wanted(request: HttpRequest) -> bool:
    """An HTMX request wants a partial; a history restore (Back after a search) needs the
    whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def add_service_errors(
    form: forms.Form, error: ValidationError, *, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's errors beside the fields they name (a service field name may map
    to the form field that shows it through `aliases`); the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    aliases = aliases or {}
    for name, texts in error.message_dict.items():
        target = aliases.get(name, name)
        form.add_error(target if target in form.fields else None, texts)
