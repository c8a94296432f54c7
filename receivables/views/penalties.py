"""Penalty and escalation rules, and the penalty batch with its preview."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []


def register() -> None:
    """Navigation links, work queues and registries of this area (AppConfig.ready)."""
