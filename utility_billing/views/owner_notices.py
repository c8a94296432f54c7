"""Owner notices: the list of notices to owners of tenants' past-due bills (to send, or
sent), recording the day's notices, and marking notices sent. Technicians record and
send them; the supervisor, the auditor and the counter read them."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from millbrae_finance.forms import BookDateField
from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors
from utility_billing.models import OwnerNoticeStatus, UtilityAccount
from utility_billing.queries.settlements import owner_notices
from utility_billing.services.accounts import ACCOUNT_EDITORS
from utility_billing.services.owner_notices import (
    OWNER_NOTICE_DAYS,
    mark_owner_notices_sent,
    record_owner_notices,
)
from utility_billing.views.locations import ACCOUNT_READERS, PER_PAGE


class RecordForm(forms.Form):
    as_of = BookDateField(
        label="Past due at the close of", widget=forms.DateInput({"type": "date"})
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), *OwnerNoticeStatus.choices], required=False)
    account = forms.CharField(label="Owner account number", max_length=20, required=False)


@role_required(ACCOUNT_READERS)
@require_http_methods(["GET", "POST"])
def owner_notice_list(request: HttpRequest) -> HttpResponse:
    can_act = has_role(request.user, *ACCOUNT_EDITORS)
    record_form = RecordForm(initial={"as_of": timezone.localdate()})
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Only a technician records or sends owner notices.")
        if "sent" in request.POST:
            ids = [int(pk) for pk in request.POST.getlist("notice") if pk.isdigit()]
            count = mark_owner_notices_sent(ids, actor=request.user)
            messages.success(request, f"{count} notice{'s' if count != 1 else ''} marked sent.")
            return redirect("utility_billing:owner_notice_list")
        record_form = RecordForm(request.POST)
        if record_form.is_valid():
            try:
                count = record_owner_notices(record_form.cleaned_data["as_of"], actor=request.user)
            except ValidationError as error:
                add_service_errors(record_form, error)
            else:
                messages.success(request, f"{count} new owner notice{'s' if count != 1 else ''}.")
                return redirect("utility_billing:owner_notice_list")
    filters = FilterForm(request.GET)
    notices = owner_notices()
    if filters.is_valid():
        data = filters.cleaned_data
        notices = owner_notices(status=data["status"])
        if data["account"]:
            owner = UtilityAccount.objects.filter(number=data["account"].strip()).first()
            notices = notices.filter(owner_account=owner) if owner else notices.none()
    context = {
        "page": Paginator(notices, PER_PAGE).get_page(request.GET.get("page")),
        "filters": filters,
        "record_form": record_form,
        "can_act": can_act,
        "days": OWNER_NOTICE_DAYS,
    }
    return render(request, "utility_billing/owner_notice_list.html", context)
