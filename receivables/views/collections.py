"""Aging, customer statements, dunning notices, collection referrals and write-offs."""

from django.urls import URLPattern

from receivables.views import aging

urlpatterns: list[URLPattern] = []
urlpatterns += aging.urlpatterns


def register() -> None:
    """Navigation links, work queues and registries of this area (AppConfig.ready)."""
    aging.register()
