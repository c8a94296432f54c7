"""Citations and fines: list, enter, detail, hearing status, dismissal and reduction."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []


def register() -> None:
    """Navigation links, work queues and registries of this area (AppConfig.ready)."""
