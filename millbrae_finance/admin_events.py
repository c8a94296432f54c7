"""django-pghistory's "all events" admin, made to work with Django's facets (settings'
PGHISTORY_ADMIN_CLASS). Its change list predates Django 5's `exclude_parameters`, so
`?_facets=True` answered 500."""

from pghistory.admin import EventsAdmin as PghistoryEventsAdmin
from pghistory.admin.core import EventsChangeList
from pghistory.models import EventsQuerySet


class FacetSafeEventsChangeList(EventsChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # The facet counts are taken over the filtered events, which is what they show.
        queryset = super().get_queryset(request)
        if not isinstance(queryset, EventsQuerySet):
            # No filter chosen (settings.PGHISTORY_ADMIN_ALL_EVENTS is off): pghistory
            # answers a plain empty QuerySet, on which the facets' event-model filter
            # cannot call .across(). The same emptiness, as events.
            return self.root_queryset.none()
        return queryset


class EventsAdmin(PghistoryEventsAdmin):
    # "N results (M total)" would count every event of every table.
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return FacetSafeEventsChangeList
