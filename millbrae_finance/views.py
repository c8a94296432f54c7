from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from millbrae_finance.audit import (
    AUDIT_CSV_HEADER,
    AuditPage,
    AuditTrail,
    Position,
    audit_csv_rows,
    describe_events,
    model_from_label,
    record_history,
    record_name,
    usernames_by_id,
)
from millbrae_finance.csv_export import csv_response
from millbrae_finance.forms import AuditFilterForm, user_suggestions
from millbrae_finance.pdf import pdf_response
from millbrae_finance.roles import ALL_ROLES, AUDIT_READERS, role_required, user_roles
from millbrae_finance.work_queues import queues_for

AUDIT_PAGE_SIZE = 50
# An export past this many events is narrowed by its filters (a date range) first.
AUDIT_CSV_LIMIT = 100_000


@role_required(ALL_ROLES)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    queues = [(queue, list(queue.items(request.user))) for queue in queues_for(roles)]
    return render(request, "millbrae_finance/home.html", {"queues": queues})


@role_required(AUDIT_READERS)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    trail = _audit_trail(form)
    if request.GET.get("format") == "csv":
        # Streamed as it is read, a thousand events at a time.
        rows = audit_csv_rows(trail, limit=AUDIT_CSV_LIMIT) if trail else []
        return csv_response("audit-trail.csv", AUDIT_CSV_HEADER, rows)
    # Pages follow each other by position (the event a page ends at), not by number: a
    # page costs the same however deep it is and however many events there are.
    page = AuditPage([], count=0)
    if trail is not None:
        page = trail.page(
            before=Position.from_token(request.GET.get("before")),
            after=Position.from_token(request.GET.get("after")),
            size=AUDIT_PAGE_SIZE,
        )
    page.object_list = describe_events(page.object_list)
    context = {"form": form, "page": page, "usernames": usernames_by_id(page.object_list)}
    # HTMX swaps the results, and fills or clears each field's error slot out of band, so
    # the inputs a user is typing in are never replaced.
    template = "millbrae_finance/audit_log.html" + ("#results" if request.htmx else "")
    return render(request, template, context)


def _audit_trail(form: AuditFilterForm) -> AuditTrail | None:
    """The trail the filters name: all of it unfiltered, None when a filter is wrong."""
    if not form.is_bound:
        return AuditTrail()
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return AuditTrail(
        model=model_from_label(data["model"]) if data["model"] else None,
        object_id=data["object_id"] or None,
        user=data["user"],
        date_from=data["date_from"],
        date_to=data["date_to"],
    )


@role_required(AUDIT_READERS)
@require_GET
def audit_changed_by(request: HttpRequest) -> HttpResponse:
    """A user box's suggestions, as <option>s for its <datalist> (at most twenty)."""
    params = request.GET
    text = params.get("q") or params.get("user") or params.get("changed_by") or ""
    users = user_suggestions(text[:150])
    return render(request, "millbrae_finance/partials/_user_options.html", {"users": users})


@role_required(AUDIT_READERS)
@require_GET
def audit_history(request: HttpRequest, label: str, object_id: str) -> HttpResponse:
    model = model_from_label(label)
    if model is None:
        raise Http404("No such record type.")
    events = describe_events(record_history(model, object_id))
    if not events:
        raise Http404("No history for this record.")
    context = {
        "model_name": str(model._meta.verbose_name).capitalize(),
        "record_name": record_name(model, object_id, events[-1].pgh_data),
        "label": label,
        "object_id": object_id,
        "events": events,
        "usernames": usernames_by_id(events),
    }
    if request.GET.get("format") == "pdf":
        context |= {"printed_at": timezone.now(), "printed_by": request.user.get_username()}
        filename = f"history-{label}-{object_id}.pdf"
        return pdf_response("millbrae_finance/pdf/audit_history.html", context, filename=filename)
    return render(request, "millbrae_finance/audit_history.html", context)


@login_not_required
def logout(request: HttpRequest) -> HttpResponse:
    """GET asks to confirm (a bookmark or a stale link must not sign anyone out); POST
    signs out and says so on the login page."""
    if request.method == "POST":
        auth.logout(request)
        messages.info(request, "You are logged out.")
        return redirect("login")
    return render(request, "registration/logout_confirm.html")


password_change = role_required(ALL_ROLES)(
    auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html")
)
password_change_done = role_required(ALL_ROLES)(
    auth_views.PasswordChangeDoneView.as_view(
        template_name="registration/password_change_done.html"
    )
)
