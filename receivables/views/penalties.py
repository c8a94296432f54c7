"""Penalty and escalation rules, and the penalty batch with its preview.

Finance staff, the Auditor and the Administrator read the rules and preview a batch; the
Finance Supervisor keeps the rules; a lead (Senior Accounting Technician or Finance
Supervisor) posts a batch.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.csv_export import csv_response, queryset_csv_response
from millbrae_finance.jobs import Job
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, form_view, fragment_wanted
from receivables.forms.penalties import (
    PenaltyBatchForm,
    PenaltyPostForm,
    PenaltyRuleFilterForm,
    PenaltyRuleForm,
    new_batch_key,
)
from receivables.models import PenaltyBatch, PenaltyRule
from receivables.queries import penalties as queries
from receivables.queries.penalties import describe_rule, preview_penalty_batch
from receivables.services.penalties import (
    BATCH_RUNNERS,
    RULE_FIELDS,
    batch_reference,
    create_penalty_rule,
    update_penalty_rule,
)
from receivables.tasks import start_penalty_batch

PENALTY_READERS = FINANCE_STAFF | {Role.AUDITOR, Role.ADMINISTRATOR}
RULE_KEEPERS = frozenset({Role.FINANCE_SUPERVISOR})
ROWS_PER_PAGE = 50
PREVIEW_HEADER = [
    "Document",
    "Customer or plate",
    "Rule",
    "Rule name",
    "Occurrence",
    "Basis date",
    "Days past",
    "Amount",
    "Why",
    "How",
]


# ---------------------------------------------------------------- rules


@role_required(PENALTY_READERS)
@require_GET
def penalty_rule_list(request: HttpRequest) -> HttpResponse:
    form = PenaltyRuleFilterForm(request.GET)
    rules = queries.penalty_rule_list(**form.cleaned_data) if form.is_valid() else None
    rules = rules if rules is not None else PenaltyRule.objects.none()
    if request.GET.get("format") == "csv":
        filename = f"penalty-rules-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, rules, queries.RULE_EXPORT_FIELDS)
    page = Paginator(rules, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "terms": {rule.pk: describe_rule(rule) for rule in page},
        "can_edit": has_role(request.user, *RULE_KEEPERS),
    }
    template = "receivables/penalty_rule_list.html"
    if fragment_wanted(request):
        template += "#results"
    return render(request, template, context)


@role_required(RULE_KEEPERS)
@require_http_methods(["GET", "POST"])
def penalty_rule_create(request: HttpRequest) -> HttpResponse:
    return form_view(
        request,
        PenaltyRuleForm,
        perform=lambda data: create_penalty_rule(
            **{name: data[name] for name in RULE_FIELDS}, actor=request.user
        ),
        success=lambda rule: (
            f"Penalty rule {rule.code} added: the next batch applies it.",
            redirect("receivables:penalty_rule_list"),
        ),
        template="receivables/penalty_rule_form.html",
        context=lambda form: {"rule": None},
    )


@role_required(RULE_KEEPERS)
@require_http_methods(["GET", "POST"])
def penalty_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        rule = queries.penalty_rule_detail(pk)
    except PenaltyRule.DoesNotExist:
        raise Http404("No such penalty rule.") from None
    return form_view(
        request,
        PenaltyRuleForm,
        initial=PenaltyRuleForm.initial_for(rule),
        form_kwargs={"editing": True},
        perform=lambda data: update_penalty_rule(
            rule,
            **{name: data[name] for name in RULE_FIELDS},
            is_active=data["is_active"],
            actor=request.user,
        ),
        success=lambda saved: (
            f"Penalty rule {saved.code} {'saved' if saved.is_active else 'deactivated'}.",
            redirect("receivables:penalty_rule_list"),
        ),
        template="receivables/penalty_rule_form.html",
        context=lambda form: {"rule": rule},
    )


# ---------------------------------------------------------------- the batch


@role_required(PENALTY_READERS)
@require_http_methods(["GET", "POST"])
def penalty_batch(request: HttpRequest) -> HttpResponse:
    can_post = has_role(request.user, *BATCH_RUNNERS)
    if request.method == "POST":
        if not can_post:
            raise PermissionDenied("A lead (senior technician or supervisor) posts penalties.")
        form = PenaltyPostForm(request.POST)
        if form.is_valid() and (job := _start_batch(request, form)) is not None:
            return redirect("job_detail", pk=job.pk)
    elif "batch_date" in request.GET:
        form = PenaltyBatchForm(request.GET)
        form.is_valid()
    else:
        form = PenaltyBatchForm(initial={"batch_date": timezone.localdate()})
    preview = page = None
    not_yet = None
    if form.is_bound and "batch_date" in form.cleaned_data:
        not_yet = form.cleaned_data["batch_date"] > timezone.localdate()
        preview = preview_penalty_batch(form.cleaned_data["batch_date"])
        if request.GET.get("format") == "csv":
            day = f"{preview.batch_date:%Y%m%d}"
            return csv_response(f"penalty-preview-{day}.csv", PREVIEW_HEADER, _preview_csv(preview))
        page = Paginator(preview.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "preview": preview,
        "page": page,
        "can_post": can_post and preview is not None and preview.items > 0 and not_yet is False,
        # A preview of a day to come is a forecast: it cannot be posted until that day.
        "not_yet": not_yet,
        "batch_key": new_batch_key(),
    }
    template = "receivables/penalty_batch.html"
    if fragment_wanted(request) and request.method == "GET":
        template += "#preview"
    return render(request, template, context)


def _start_batch(request: HttpRequest, form: PenaltyPostForm) -> Job | None:
    """Start the batch as a background job; what is refused at once (a closed period)
    goes beside the date."""
    try:
        return start_penalty_batch(
            form.cleaned_data["batch_date"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            actor=request.user,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _preview_csv(preview):
    for row in preview.rows:
        yield [
            row.document_number,
            row.who,
            row.rule_code,
            row.rule_name,
            row.occurrence,
            row.basis_date,
            row.days_past,
            row.amount,
            row.why,
            row.how,
        ]


@role_required(PENALTY_READERS)
@require_GET
def penalty_batch_list(request: HttpRequest) -> HttpResponse:
    batches = queries.penalty_batch_list()
    if request.GET.get("format") == "csv":
        filename = f"penalty-batches-{timezone.localdate():%Y%m%d}.csv"
        return queryset_csv_response(filename, batches, queries.BATCH_EXPORT_FIELDS)
    page = Paginator(batches, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    references = {batch.pk: batch_reference(batch) for batch in page}
    context = {"page": page, "references": references}
    return render(request, "receivables/penalty_batch_list.html", context)


@role_required(PENALTY_READERS)
@require_GET
def penalty_batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        batch = queries.penalty_batch_detail(pk)
    except PenaltyBatch.DoesNotExist:
        raise Http404("No such penalty batch.") from None
    charges = queries.penalty_batch_charges(batch)
    reference = batch_reference(batch)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"penalty-batch-{reference}.csv",
            queries.CHARGE_EXPORT_HEADER,
            queries.charge_rows(charges),
        )
    page = Paginator(charges, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "reference": reference,
        "page": page,
        "who": {charge.pk: queries.charge_who(charge) for charge in page},
    }
    return render(request, "receivables/penalty_batch_detail.html", context)
