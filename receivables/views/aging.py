"""Aging, customer statements and dunning notices."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []


def register() -> None:
    """Navigation links and registries of aging, statements and notices."""
