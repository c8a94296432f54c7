import json

from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from millbrae_finance.audit import (
    AuditTrail,
    audit_events,
    describe_events,
    model_from_label,
    record_name,
    usernames_by_id,
)
from millbrae_finance.csv_export import csv_response
from millbrae_finance.forms import AuditFilterForm
from millbrae_finance.pdf import pdf_response
from millbrae_finance.roles import ALL_ROLES, AUDIT_READERS, role_required, user_roles
from millbrae_finance.work_queues import queues_for

AUDIT_PAGE_SIZE = 50


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
    events: AuditTrail | list = AuditTrail()
    if form.is_valid():
        data = form.cleaned_data
        events = AuditTrail(
            model=model_from_label(data["model"]) if data["model"] else None,
            object_id=data["object_id"] or None,
            user=data["user"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    elif form.is_bound:
        events = []
    if request.GET.get("format") == "csv":
        return _audit_csv(events)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = describe_events(list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "usernames": usernames_by_id(page.object_list),
    }
    # HTMX swaps the results, and fills or clears each field's error slot out of band, so
    # the inputs a user is typing in are never replaced.
    template = "millbrae_finance/audit_log.html" + ("#results" if request.htmx else "")
    return render(request, template, context)


@role_required(AUDIT_READERS)
@require_GET
def audit_history(request: HttpRequest, label: str, object_id: str) -> HttpResponse:
    model = model_from_label(label)
    if model is None:
        raise Http404("No such record type.")
    events = describe_events(list(audit_events(model=model, object_id=object_id).reverse()))
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


def _audit_csv(events) -> HttpResponse:
    rows = list(events[:100_000])
    usernames = usernames_by_id(rows)
    models_by_label = {label: model_from_label(label) for label in {e.pgh_obj_model for e in rows}}
    return csv_response(
        "audit-trail.csv",
        ["when", "event", "record type", "record id", "record", "user", "url", "changes"],
        (
            [
                timezone.localtime(event.pgh_created_at).isoformat(),
                event.pgh_label,
                event.pgh_obj_model,
                event.pgh_obj_id,
                # As the page names it: "Citation P2600479", not only its database id.
                record_name(models_by_label[event.pgh_obj_model], event.pgh_obj_id, event.pgh_data),
                usernames.get(event.user_id, ""),
                event.url or "",
                json.dumps(event.pgh_diff or event.pgh_data, sort_keys=True, default=str),
            ]
            for event in rows
        ),
    )


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
