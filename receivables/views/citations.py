"""Citations and fines: list, enter, detail, hearing status, dismissal and reduction,
attaching the registered owner, and the notice PDF.

Everyone who takes payments or keeps the books reads citations; finance staff enter them,
record hearing status and attach the owner; a Finance Supervisor who did not enter one
dismisses or reduces it."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.csv_export import csv_response
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required, user_roles
from millbrae_finance.view_helpers import add_service_errors, form_view, fragment_wanted
from receivables import documents
from receivables.forms.citations import (
    AssignCustomerForm,
    CitationFilterForm,
    CitationForm,
    DismissForm,
    HearingForm,
    ReduceForm,
)
from receivables.models import Citation
from receivables.queries.citations import (
    CITATION_EXPORT_HEADER,
    citation_export_rows,
    citation_movements,
    citation_parts,
    citation_permissions,
    escalation_schedule,
    fine_on,
    violation_choices,
)
from receivables.queries.citations import citation_detail as load_citation
from receivables.queries.citations import citation_list as list_citations
from receivables.services.citations import (
    CITATION_DECIDERS,
    assign_citation_customer,
    dismiss_citation,
    issue_citation,
    reduce_citation,
    set_hearing_status,
)

CITATION_READERS = FINANCE_STAFF | {Role.COUNTER_CLERK, Role.AUDITOR, Role.ADMINISTRATOR}
CITATIONS_PER_PAGE = 50
CITATION_FIELDS = (
    "number",
    "kind",
    "issue_date",
    "violation_code",
    "customer",
    "respondent_name",
    "plate",
    "plate_state",
    "location",
    "officer",
    "notes",
)


def _citation_or_404(pk: int) -> Citation:
    try:
        return load_citation(pk)
    except Citation.DoesNotExist:
        raise Http404("No such citation.") from None


@role_required(CITATION_READERS)
@require_GET
def citation_list(request: HttpRequest) -> HttpResponse:
    form = CitationFilterForm(request.GET)
    citations = list_citations(**form.cleaned_data) if form.is_valid() else Citation.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"citations-{timezone.localdate():%Y%m%d}.csv"
        return csv_response(filename, CITATION_EXPORT_HEADER, citation_export_rows(citations))
    page = Paginator(citations, CITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_create": has_role(request.user, *FINANCE_STAFF)}
    template = "receivables/citation_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def citation_create(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = CitationForm(
        request.POST or None, violations=violation_choices(today), initial={"issue_date": today}
    )
    lookup = None
    if form.is_bound:
        valid = form.is_valid()
        data = form.cleaned_data  # the fields that parsed, even when others did not
        lookup = fine_on(
            data.get("violation_code", ""), data.get("issue_date"), data.get("kind", "")
        )
        if valid and "preview" not in request.POST:  # "Show fine" re-renders, unsaved
            values = {name: form.cleaned_data[name] for name in CITATION_FIELDS}
            try:
                citation = issue_citation(**values, actor=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                owed = f"${citation.fine_amount:,.2f}"
                messages.success(request, f"Citation {citation.number} entered: {owed} owed.")
                return redirect("receivables:citation_detail", pk=citation.pk)
    context = {"form": form, "lookup": lookup}
    return render(request, "receivables/citation_form.html", context)


@role_required(FINANCE_STAFF)
@require_GET
def citation_fine(request: HttpRequest) -> HttpResponse:
    """The fine a violation carries on an issue date (the entry form asks as it changes)."""
    form = CitationForm(request.GET, violations=[])
    form.is_valid()  # only the two fields below are read
    data = form.cleaned_data
    lookup = fine_on(data.get("violation_code", ""), data.get("issue_date"), data.get("kind", ""))
    return render(request, "receivables/partials/_citation_fine.html", {"lookup": lookup})


@role_required(CITATION_READERS)
@require_GET
def citation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    citation = _citation_or_404(pk)
    movements = citation_movements(citation)
    today = timezone.localdate()
    context = {
        "citation": citation,
        "movements": movements,
        "parts": citation_parts(citation),
        "schedule": escalation_schedule(citation, today=today, movements=movements),
        "can": citation_permissions(citation, user_roles(request.user), request.user.pk),
    }
    return render(request, "receivables/citation_detail.html", context)


@role_required(CITATION_READERS)
@require_GET
def citation_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    citation = _citation_or_404(pk)
    notice = documents.citation_notice_pdf(citation, printed_by=request.user.get_username())
    return notice.response(request)


def _action_page(request, citation, form, *, action: str, title: str, intro: str, submit: str):
    context = {
        "citation": citation,
        "form": form,
        "action": action,
        "title": title,
        "intro": intro,
        "submit": submit,
    }
    return render(request, "receivables/citation_action.html", context)


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def citation_hearing(request: HttpRequest, pk: int) -> HttpResponse:
    citation = _citation_or_404(pk)
    choices = citation_permissions(citation, user_roles(request.user), request.user.pk)
    if choices.hearing_choices:  # none once decided, dismissed or void
        intro = (
            "A review requested or a hearing scheduled holds the late penalties until it is "
            "decided. A decision to reduce or dismiss is recorded by a Finance Supervisor."
        )
    else:
        hearing = citation.get_hearing_status_display().lower()
        status = citation.get_status_display().lower()
        intro = f"Hearing status {hearing}, citation {status}: nothing more to record."
    page = partial(
        _action_page,
        request,
        citation,
        action="hearing",
        title="Hearing or appeal",
        intro=intro,
        submit="Record",
    )
    if not choices.hearing_choices:
        return page(None)
    return form_view(
        request,
        HearingForm,
        form_kwargs={"choices": choices.hearing_choices},
        perform=lambda data: set_hearing_status(citation, **data, actor=request.user),
        success=lambda _: (
            f"Citation {citation.number}: hearing status recorded.",
            redirect("receivables:citation_detail", pk=citation.pk),
        ),
        page=page,
    )


@role_required(CITATION_DECIDERS)
@require_http_methods(["GET", "POST"])
def citation_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    citation = _citation_or_404(pk)
    intro = (
        f"The whole balance of ${citation.balance:,.2f}, fine and any penalties, comes off "
        "fines AR and out of the revenue accounts it was credited to."
    )
    return form_view(
        request,
        DismissForm,
        perform=lambda data: dismiss_citation(citation, **data, actor=request.user),
        success=lambda done: (
            f"Citation {done.number} dismissed.",
            redirect("receivables:citation_detail", pk=done.pk),
        ),
        page=partial(
            _action_page,
            request,
            citation,
            action="dismiss",
            title="Dismiss",
            intro=intro,
            submit="Dismiss citation",
        ),
    )


@role_required(CITATION_DECIDERS)
@require_http_methods(["GET", "POST"])
def citation_reduce(request: HttpRequest, pk: int) -> HttpResponse:
    citation = _citation_or_404(pk)
    intro = (
        f"The fine is ${citation.fine_amount:,.2f}. Enter the new fine or the amount to take "
        "off; it comes out of the violation's revenue account. Once only."
    )
    return form_view(
        request,
        ReduceForm,
        perform=lambda data: reduce_citation(citation, **data, actor=request.user),
        success=lambda done: (
            f"Citation {done.number} reduced: ${done.balance:,.2f} owed.",
            redirect("receivables:citation_detail", pk=done.pk),
        ),
        page=partial(
            _action_page,
            request,
            citation,
            action="reduce",
            title="Reduce the fine",
            intro=intro,
            submit="Reduce fine",
        ),
    )


@role_required(FINANCE_STAFF)
@require_http_methods(["GET", "POST"])
def citation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    citation = _citation_or_404(pk)
    intro = (
        "The citation and its movements go to the customer: it shows on their aging, "
        "statement and balance at the counter."
    )
    return form_view(
        request,
        AssignCustomerForm,
        perform=lambda data: assign_citation_customer(citation, **data, actor=request.user),
        success=lambda done: (
            f"Citation {done.number} now belongs to {done.customer}.",
            redirect("receivables:citation_detail", pk=done.pk),
        ),
        page=partial(
            _action_page,
            request,
            citation,
            action="assign",
            title="Registered owner or respondent",
            intro=intro,
            submit="Attach customer",
        ),
    )
