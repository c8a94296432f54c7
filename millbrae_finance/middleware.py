from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from pghistory.middleware import HistoryMiddleware


class HtmxVaryMiddleware:
    """One URL answers a full page or, for HTMX, a fragment: caches must key on the header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


class AuditContextMiddleware(HistoryMiddleware):
    """Attach who, from where and through which URL to every audit event of a request."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().get_context(request)
        context["method"] = request.method
        context["remote_addr"] = request.META.get("REMOTE_ADDR")
        return context
