"""Miscellaneous invoices and credit memos: list, create, edit, issue, PDF, credits."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []


def register() -> None:
    """Navigation links, work queues and registries of this area (AppConfig.ready)."""
