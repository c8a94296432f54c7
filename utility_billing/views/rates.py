"""The rate screens: every staff role reads the schedules; finance staff add schedules
and prepare versions; a senior technician or the supervisor who did not prepare a version
approves it, and retires an approved one."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.roles import ALL_ROLES, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors
from utility_billing.forms.rates import (
    BLANK_ROWS_NEW,
    RateScheduleForm,
    RateVersionForm,
    charge_formset,
    charge_rows,
    rows_of_charges,
)
from utility_billing.models import RateSchedule, RateVersion, RateVersionStatus
from utility_billing.queries.rates import (
    account_names,
    latest_version,
    revenue_account_matches,
    schedule_versions,
    version_detail,
)
from utility_billing.queries.rates import (
    rate_schedule_list as list_schedules,
)
from utility_billing.services.rates import (
    MAX_CHARGE_LINES,
    RATE_APPROVERS,
    RATE_PREPARERS,
    approve_rate_version,
    create_rate_schedule,
    create_rate_version,
    retire_rate_version,
    update_rate_version,
)

# Every staff role reads the rates (the counter explains a bill with them).
RATE_READERS = ALL_ROLES
VERSION_FORM = "utility_billing/rate_version_form.html"


def _schedule_or_404(pk: int) -> RateSchedule:
    try:
        return RateSchedule.objects.get(pk=pk)
    except RateSchedule.DoesNotExist:
        raise Http404("No such rate schedule.") from None


def _version_or_404(pk: int) -> RateVersion:
    try:
        return version_detail(pk)
    except RateVersion.DoesNotExist:
        raise Http404("No such rate version.") from None


@role_required(RATE_READERS)
@require_GET
def rate_schedule_list(request: HttpRequest) -> HttpResponse:
    context = {
        "schedules": list_schedules(),
        "can_create": has_role(request.user, *RATE_PREPARERS),
    }
    return render(request, "utility_billing/rate_schedule_list.html", context)


@role_required(RATE_PREPARERS)
@require_http_methods(["GET", "POST"])
def rate_schedule_create(request: HttpRequest) -> HttpResponse:
    form = RateScheduleForm(request.POST or None)
    if form.is_valid():
        try:
            schedule = create_rate_schedule(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Schedule {schedule.code} added: prepare its rates.")
            return redirect("utility_billing:rate_schedule_detail", pk=schedule.pk)
    return render(request, "utility_billing/rate_schedule_form.html", {"form": form})


@role_required(RATE_READERS)
@require_GET
def rate_schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule_or_404(pk)
    context = {
        "schedule": schedule,
        "versions": schedule_versions(schedule),
        "can_prepare": has_role(request.user, *RATE_PREPARERS),
    }
    return render(request, "utility_billing/rate_schedule_detail.html", context)


@role_required(RATE_PREPARERS)
@require_http_methods(["GET", "POST"])
def rate_version_create(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule_or_404(pk)
    if request.method == "POST":
        return _version_form_post(request, schedule, None)
    start_from = latest_version(schedule)
    rows = rows_of_charges(start_from.charges.all()) if start_from else []
    lines = charge_formset(
        rows=rows + [{}] * max(1, BLANK_ROWS_NEW - len(rows)), service_kind=schedule.service_kind
    )
    return _render_form(request, schedule, None, RateVersionForm(), lines, start_from)


@role_required(RATE_PREPARERS)
@require_http_methods(["GET", "POST"])
def rate_version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    if version.status != RateVersionStatus.DRAFT:
        messages.error(request, "Only a draft can be edited: a new rate is a new version.")
        return redirect("utility_billing:rate_version_detail", pk=version.pk)
    if request.method == "POST":
        return _version_form_post(request, version.schedule, version)
    form = RateVersionForm(
        initial={
            "effective_from": version.effective_from,
            "effective_to": version.effective_to,
            "authority": version.authority,
            "notes": version.notes,
        }
    )
    rows = [*rows_of_charges(version.charges.all()), {}]
    lines = charge_formset(rows=rows, service_kind=version.schedule.service_kind)
    return _render_form(request, version.schedule, version, form, lines, None)


def _version_form_post(
    request: HttpRequest, schedule: RateSchedule, version: RateVersion | None
) -> HttpResponse:
    """The version form posts here for every button: save, or (without saving) add or
    remove a line."""
    action = request.POST.get("action", "save")
    if action != "save":
        return _redraw_form(request, schedule, version, action)
    form = RateVersionForm(request.POST)
    lines = charge_formset(data=request.POST, service_kind=schedule.service_kind)
    if form.is_valid() and lines.is_valid():
        values = {**form.cleaned_data, "charges": lines.specs, "actor": request.user}
        try:
            if version is None:
                version = create_rate_version(schedule, **values)
            else:
                version = update_rate_version(version, **values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Draft rates saved: a senior technician or the supervisor approves them."
            )
            return redirect("utility_billing:rate_version_detail", pk=version.pk)
    return _render_form(request, schedule, version, form, lines, None)


def _redraw_form(
    request: HttpRequest, schedule: RateSchedule, version: RateVersion | None, action: str
) -> HttpResponse:
    rows = charge_rows(request.POST)
    if action == "add" and len(rows) < MAX_CHARGE_LINES:
        rows.append({})
    elif action.startswith("remove-"):
        index = action.removeprefix("remove-")
        if index.isascii() and index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
    lines = charge_formset(rows=rows or [{}], service_kind=schedule.service_kind)
    if request.htmx:
        context = {"lines": lines, "account_names": _names_in(lines)}
        return render(request, f"{VERSION_FORM}#lines", context)
    fields = ("effective_from", "effective_to", "authority", "notes")
    form = RateVersionForm(initial={name: request.POST.get(name, "") for name in fields})
    return _render_form(request, schedule, version, form, lines, None)


def _render_form(request, schedule, version, form, lines, start_from) -> HttpResponse:
    context = {
        "schedule": schedule,
        "version": version,
        "form": form,
        "lines": lines,
        "start_from": start_from,
        "account_names": _names_in(lines),
    }
    return render(request, VERSION_FORM, context)


def _names_in(lines) -> dict[str, str]:
    return account_names(line["revenue_account"].value() for line in lines)


@dataclass(frozen=True)
class VersionActions:
    """What the viewing user may do with a version, decided here, shown by the template."""

    can_edit: bool
    can_approve: bool
    can_retire: bool
    # The preparer of a draft: told why there is no Approve button for them.
    awaiting_other: bool


def _actions(version: RateVersion, user: AbstractBaseUser) -> VersionActions:
    draft = version.status == RateVersionStatus.DRAFT
    own = version.prepared_by_id == user.pk
    return VersionActions(
        can_edit=draft and has_role(user, *RATE_PREPARERS),
        can_approve=draft and not own and has_role(user, *RATE_APPROVERS),
        can_retire=version.status == RateVersionStatus.APPROVED and has_role(user, *RATE_APPROVERS),
        awaiting_other=draft and own,
    )


@role_required(RATE_READERS)
@require_GET
def rate_version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    context = {
        "version": version,
        "schedule": version.schedule,
        "charges": version.charges.all(),
        "actions": _actions(version, request.user),
    }
    return render(request, "utility_billing/rate_version_detail.html", context)


@role_required(RATE_APPROVERS)
@require_POST
def rate_version_approve(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    try:
        version = approve_rate_version(version, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Rates approved: they bill from {version.dates}.")
    return redirect("utility_billing:rate_version_detail", pk=version.pk)


@role_required(RATE_APPROVERS)
@require_POST
def rate_version_retire(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    try:
        version = retire_rate_version(version, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Rates retired: they bill nothing from now on.")
    return redirect("utility_billing:rate_version_detail", pk=version.pk)


@role_required(RATE_PREPARERS)
@require_GET
def revenue_account_search(request: HttpRequest) -> HttpResponse:
    # The search box is any line's account field: its value arrives under its own name.
    text = request.GET.get("q") or next(
        (value for key, value in request.GET.items() if key.endswith("-revenue_account")), ""
    )
    accounts = revenue_account_matches(text.strip()[:100])
    return render(request, "ledger/journals/_account_options.html", {"accounts": accounts})
