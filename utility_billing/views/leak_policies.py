"""The leak adjustment policy: everyone on the utility desk reads it; the administrator or
the finance supervisor adds the next one."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from millbrae_finance.roles import Role, has_role, role_required
from millbrae_finance.view_helpers import add_service_errors
from utility_billing.forms.adjustments import LeakPolicyForm
from utility_billing.models import LeakAdjustmentPolicy
from utility_billing.services.leak_policies import POLICY_KEEPERS, PolicyValues, create_leak_policy
from utility_billing.views.locations import ACCOUNT_READERS

POLICY_READERS = ACCOUNT_READERS | POLICY_KEEPERS | {Role.AUDITOR}


@role_required(POLICY_READERS)
@require_GET
def leak_policy_list(request: HttpRequest) -> HttpResponse:
    context = {
        "policies": list(LeakAdjustmentPolicy.objects.select_related("created_by")[:100]),
        "can_add": has_role(request.user, *POLICY_KEEPERS),
    }
    return render(request, "utility_billing/leak_policy_list.html", context)


@role_required(POLICY_KEEPERS)
@require_http_methods(["GET", "POST"])
def leak_policy_create(request: HttpRequest) -> HttpResponse:
    form = LeakPolicyForm(request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        values = PolicyValues(
            name=data["name"],
            effective_from=data["effective_from"],
            credit_share=data["credit_percent"] / Decimal(100),
            once_in_months=data["once_in_months"],
            average_months=data["average_months"],
            repair_proof_required=data["repair_proof_required"],
        )
        try:
            policy = create_leak_policy(values, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error, aliases={"credit_share": "credit_percent"})
        else:
            messages.success(request, f"{policy} added.")
            return redirect("utility_billing:leak_policy_list")
    return render(request, "utility_billing/leak_policy_form.html", {"form": form})
