"""Small helpers every module's views share."""

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def fragment_wanted(request: HttpRequest) -> bool:
    """An HTMX request wants a partial; a history restore (Back after a search) needs the
    whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, *, aliases: Mapping[str, str] | None = None
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


def form_view[F: forms.BaseForm, T](
    request: HttpRequest,
    form_class: Callable[..., F],
    *,
    perform: Callable[[dict[str, Any]], T],
    success: Callable[[T], tuple[str, HttpResponse] | HttpResponse],
    template: str | None = None,
    context: Callable[[F], Mapping[str, Any]] | None = None,
    page: Callable[[F], HttpResponse] | None = None,
    initial: Mapping[str, Any] | None = None,
    form_kwargs: Mapping[str, Any] | None = None,
    aliases: Mapping[str, str] | None = None,
    fragment: str | None = None,
    htmx_get_binds: bool = False,
) -> HttpResponse:
    """The one shape of a form page: GET shows the form, POST calls the service, errors
    re-render it (200, so an HTMX swap shows them).

    A POST binds its data and files; a GET shows the form with `initial` (and an HTMX GET
    binds the query string when `htmx_get_binds`, for a form that redraws part of itself
    as its fields change: it is never performed). `form_kwargs` go to the form as well.
    Only a valid POST calls `perform(form.cleaned_data)`, once; a `ValidationError` it
    raises goes beside the fields it names (`aliases`: see `add_service_errors`). On
    success `success(result)` gives the message and the response (a redirect), or just the
    response. Otherwise the form is shown: `template` with `{"form": form}` and whatever
    `context(form)` adds (`#fragment` of it for an HTMX GET), or `page(form)` where the
    form is one part of a page other views draw too (a detail page's reject form).
    """
    if (template is None) == (page is None):
        raise TypeError("form_view takes a template or a page, not both.")
    kwargs = dict(form_kwargs or {})
    if initial is not None:  # a form may build its own initial when given none
        kwargs["initial"] = initial
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **kwargs)
    elif htmx_get_binds and request.htmx:
        form = form_class(request.GET, **kwargs)
    else:
        form = form_class(**kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error, aliases=aliases)
        else:
            answer = success(result)
            if isinstance(answer, HttpResponse):
                return answer
            message, response = answer
            messages.success(request, message)
            return response
    if page is not None:
        return page(form)
    name = template
    if fragment and request.method == "GET" and fragment_wanted(request):
        name = f"{template}#{fragment}"
    return render(request, name, {"form": form, **(context(form) if context else {})})
