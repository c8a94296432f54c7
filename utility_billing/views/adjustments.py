"""Utility adjustments: prepared from the account page by finance staff, decided by a
lead who did not prepare them (the list is the leads' queue); notes on an account."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.roles import AUDIT_READERS, FINANCE_STAFF, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.adjustments import (
    ADJUSTMENT_FORMS,
    AccountNoteForm,
    AdjustmentFilterForm,
    RejectAdjustmentForm,
)
from utility_billing.models import AdjustmentKind, AdjustmentStatus, UtilityAdjustment
from utility_billing.queries.adjustments import adjustment_detail as load_adjustment
from utility_billing.queries.adjustments import adjustment_list as list_adjustments
from utility_billing.queries.adjustments import policy_in_force
from utility_billing.services import adjustments as services
from utility_billing.services.adjustments import (
    ADJUSTMENT_APPROVERS,
    ADJUSTMENT_PREPARERS,
    approve_adjustment,
    reject_adjustment,
)
from utility_billing.services.notes import NOTE_WRITERS, add_account_note
from utility_billing.views.accounts import _account_or_404, render_account
from utility_billing.views.locations import ACCOUNT_READERS, PER_PAGE

# The utility desk and the auditor read adjustments (not the administrator: no money).
ADJUSTMENT_READERS = ACCOUNT_READERS | ADJUSTMENT_PREPARERS | ADJUSTMENT_APPROVERS
ENTRY_READERS = FINANCE_STAFF | AUDIT_READERS


def _adjustment_or_404(pk: int) -> UtilityAdjustment:
    try:
        return load_adjustment(pk)
    except UtilityAdjustment.DoesNotExist:
        raise Http404("No such adjustment.") from None


def _perform(kind: str, account, form, actor):
    data = dict(form.cleaned_data)
    common = {
        "reason": data["reason"],
        "adjustment_date": data["adjustment_date"],
        "idempotency_key": data["idempotency_key"],
        "actor": actor,
    }
    if kind == AdjustmentKind.LEAK:
        return services.prepare_leak_adjustment(
            account,
            bill=data["bill"],
            repair_date=data["repair_date"],
            repair_proof=data["repair_proof"],
            **common,
        )
    if kind == AdjustmentKind.FIXED:
        return services.prepare_fixed_adjustment(
            account,
            amount=form.signed_amount(),
            revenue_account=data["revenue_account"],
            **common,
        )
    if kind == AdjustmentKind.REVERSAL:
        return services.prepare_reversal(account, **form.targets(), **common)
    return services.prepare_transfer(account, to_account=data["to_account"], **common)


@role_required(ADJUSTMENT_PREPARERS)
@require_http_methods(["GET", "POST"])
def adjustment_create(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in ADJUSTMENT_FORMS:
        raise Http404("No such kind of adjustment.")
    account = _account_or_404(pk)
    form = ADJUSTMENT_FORMS[kind](request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = _perform(kind, account, form, request.user)
        except ValidationError as error:
            add_service_errors(form, error, aliases={"bill_line": "target", "reverses": "target"})
        else:
            messages.success(
                request, f"{adjustment.number} prepared: a lead or the supervisor approves it."
            )
            return redirect("utility_billing:adjustment_detail", pk=adjustment.pk)
    context = {
        "form": form,
        "account": account,
        "kind": AdjustmentKind(kind),
        "policy": policy_in_force(form.initial.get("adjustment_date") or account.start_date)
        if kind == AdjustmentKind.LEAK
        else None,
    }
    return render(request, "utility_billing/adjustment_form.html", context)


@role_required(ADJUSTMENT_READERS)
@require_GET
def adjustment_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("status", AdjustmentStatus.PENDING)
    form = AdjustmentFilterForm(data)
    adjustments = UtilityAdjustment.objects.none()
    if form.is_valid():
        status = form.cleaned_data["status"]
        adjustments = list_adjustments(status="" if status == "all" else status)
    context = {"form": form, "page": Paginator(adjustments, PER_PAGE).get_page(data.get("page"))}
    template = "utility_billing/adjustment_list.html"
    return render(request, template + ("#results" if fragment_wanted(request) else ""), context)


def _render_adjustment(
    request: HttpRequest,
    adjustment: UtilityAdjustment,
    *,
    action_errors: list[str] | None = None,
    reject_form: RejectAdjustmentForm | None = None,
) -> HttpResponse:
    pending = adjustment.status == AdjustmentStatus.PENDING
    own = adjustment.prepared_by_id == request.user.pk
    context = {
        "adjustment": adjustment,
        # Segregation of duties: the preparer never sees Approve or Reject.
        "can_decide": pending and not own and has_role(request.user, *ADJUSTMENT_APPROVERS),
        "awaiting_other": pending and own,
        "can_see_entries": has_role(request.user, *ENTRY_READERS),
        "action_errors": action_errors or [],
        "reject_form": reject_form or RejectAdjustmentForm(),
    }
    return render(request, "utility_billing/adjustment_detail.html", context)


@role_required(ADJUSTMENT_READERS)
@require_GET
def adjustment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_adjustment(request, _adjustment_or_404(pk))


@role_required(ADJUSTMENT_APPROVERS)
@require_POST
def adjustment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _adjustment_or_404(pk)
    if adjustment.prepared_by_id == request.user.pk:
        raise PermissionDenied("You prepared this adjustment: another lead must approve it.")
    try:
        adjustment = approve_adjustment(adjustment, actor=request.user)
    except ValidationError as error:
        return _render_adjustment(request, adjustment, action_errors=error.messages)
    messages.success(request, f"{adjustment.number} approved and posted.")
    return redirect("utility_billing:adjustment_detail", pk=adjustment.pk)


@role_required(ADJUSTMENT_APPROVERS)
@require_POST
def adjustment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _adjustment_or_404(pk)
    if adjustment.prepared_by_id == request.user.pk:
        raise PermissionDenied("You prepared this adjustment: another lead must decide it.")
    form = RejectAdjustmentForm(request.POST)
    if form.is_valid():
        try:
            rejected = reject_adjustment(
                adjustment, note=form.cleaned_data["note"], actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{rejected.number} rejected.")
            return redirect("utility_billing:adjustment_detail", pk=rejected.pk)
    return _render_adjustment(request, adjustment, reject_form=form)


@role_required(NOTE_WRITERS)
@require_POST
def account_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(pk)
    form = AccountNoteForm(request.POST)
    if form.is_valid():
        try:
            add_account_note(account, text=form.cleaned_data["text"], actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Note added.")
            return redirect(
                reverse("utility_billing:account_detail", args=[account.pk]) + "?tab=notes"
            )
    return render_account(request, account.pk, "notes", note_form=form)
