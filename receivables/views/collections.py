"""Aging, customer statements, dunning notices, collection referrals and write-offs."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []


def register() -> None:
    """Navigation links, work queues and registries of this area (AppConfig.ready)."""
