"""FullPagePaginator: the page query always asks for a whole page, so a search that found
one row is planned like one that found many (see millbrae_finance/pagination.py)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from millbrae_finance.pagination import FullPagePaginator


@pytest.mark.django_db
def test_the_page_query_has_limit_per_page_however_few_rows_match():
    for name in ("pg-a", "pg-b", "pg-c"):
        Group.objects.create(name=name)
    groups = Group.objects.filter(name__startswith="pg-").order_by("name")
    with CaptureQueriesContext(connection) as queries:
        page = FullPagePaginator(groups.filter(name="pg-b"), 25).get_page(1)
        rows = list(page)
    assert [group.name for group in rows] == ["pg-b"]
    assert page.paginator.count == 1
    assert "LIMIT 25" in queries.captured_queries[-1]["sql"]


@pytest.mark.django_db
def test_pages_hold_the_same_rows_as_django_paginator():
    for n in range(7):
        Group.objects.create(name=f"pg-{n}")
    groups = Group.objects.filter(name__startswith="pg-").order_by("name")
    paginator = FullPagePaginator(groups, 3)
    assert paginator.num_pages == 3
    assert [[g.name for g in paginator.get_page(n)] for n in (1, 2, 3)] == [
        ["pg-0", "pg-1", "pg-2"],
        ["pg-3", "pg-4", "pg-5"],
        ["pg-6"],
    ]
    # Out of range and nonsense page numbers behave as Django's: last page, first page.
    assert [g.name for g in paginator.get_page(99)] == ["pg-6"]
    assert [g.name for g in paginator.get_page("x")] == ["pg-0", "pg-1", "pg-2"]
    assert paginator.get_page(3).has_next() is False
