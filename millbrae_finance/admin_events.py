"""django-pghistory's "all events" admin, made to work with Django's facets (settings'
PGHISTORY_ADMIN_CLASS). Its change list predates Django 5's `exclude_parameters`, so
`?_facets=True` answered 500."""

from pghistory.admin import EventsAdmin as PghistoryEventsAdmin
from pghistory.admin.core import EventsChangeList


class FacetSafeEventsChangeList(EventsChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # The facet counts are taken over the filtered events, which is what they show.
        return super().get_queryset(request)


class EventsAdmin(PghistoryEventsAdmin):
    def get_changelist(self, request, **kwargs):
        return FacetSafeEventsChangeList
