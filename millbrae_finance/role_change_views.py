"""The role-change report: the finance supervisor's and the auditor's check on the
Administrator (who gave or took which role from whom, and when)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from millbrae_finance.csv_export import csv_response
from millbrae_finance.forms import RoleChangeFilterForm
from millbrae_finance.role_changes import describe_role_changes, role_changes
from millbrae_finance.roles import AUDIT_READERS, role_required

PAGE_SIZE = 50
CSV_LIMIT = 100_000


@role_required(AUDIT_READERS)
@require_GET
def role_change_list(request: HttpRequest) -> HttpResponse:
    form = RoleChangeFilterForm(request.GET or None)
    changes = role_changes()
    if form.is_valid():
        changes = role_changes(**form.cleaned_data)
    elif form.is_bound:
        changes = changes.none()
    if request.GET.get("format") == "csv":
        return _role_changes_csv(changes)
    page = Paginator(changes, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = describe_role_changes(list(page.object_list))
    template = "millbrae_finance/role_change_list.html" + ("#results" if request.htmx else "")
    return render(request, template, {"form": form, "page": page})


def _role_changes_csv(changes) -> HttpResponse:
    rows = describe_role_changes(list(changes[:CSV_LIMIT]))
    return csv_response(
        "role-changes.csv",
        ["when", "user", "change", "role", "changed by", "page"],
        (
            [
                timezone.localtime(row.when).isoformat(),
                row.user,
                row.change,
                row.role,
                row.changed_by,
                row.url,
            ]
            for row in rows
        ),
    )
