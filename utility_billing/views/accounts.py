"""The utility account screens: find an account, its page, move-in, move-out, transfer
of service, and the account holder's contact details."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from millbrae_finance.pagination import FullPagePaginator
from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors, fragment_wanted
from utility_billing.forms.accounts import (
    AccountFilterForm,
    ContactForm,
    MoveInForm,
    MoveOutForm,
    NewCustomerForm,
    TransferForm,
)
from utility_billing.forms.adjustments import AccountNoteForm
from utility_billing.models import AccountStatus, UtilityAccount
from utility_billing.models.locations import OPEN_ACCOUNT_STATUSES
from utility_billing.queries.account_tabs import ACCOUNT_TABS
from utility_billing.queries.account_tabs import account_for_page as load_account
from utility_billing.queries.accounts import account_list as list_accounts
from utility_billing.queries.accounts import default_schedules
from utility_billing.services.accounts import (
    ACCOUNT_EDITORS,
    MoveIn,
    MoveOut,
    close_account,
    open_account,
    transfer_service,
    update_contact_details,
)
from utility_billing.services.adjustments import ADJUSTMENT_PREPARERS
from utility_billing.services.notes import NOTE_WRITERS
from utility_billing.services.settlements import settle_account_now
from utility_billing.views.locations import ACCOUNT_READERS, PER_PAGE, _location_or_404


def _account_or_404(pk: int) -> UtilityAccount:
    try:
        return UtilityAccount.objects.select_related("customer", "location").get(pk=pk)
    except UtilityAccount.DoesNotExist:
        raise Http404("No such utility account.") from None


@role_required(ACCOUNT_READERS)
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET)
    accounts = (
        list_accounts(**form.cleaned_data) if form.is_valid() else UtilityAccount.objects.none()
    )
    context = {
        "form": form,
        "page": FullPagePaginator(accounts, PER_PAGE).get_page(request.GET.get("page")),
    }
    template = "utility_billing/account_list.html"
    return render(request, template + ("#results" if fragment_wanted(request) else ""), context)


TAB_LOADERS = {key: loader for key, _, loader in ACCOUNT_TABS}


@role_required(ACCOUNT_READERS)
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The account page with one tab open (?tab=bills); an HTMX request gets the tabs and
    the open tab's panel only. An unknown tab opens the summary."""
    tab = request.GET.get("tab", "summary")
    return render_account(request, pk, tab if tab in TAB_LOADERS else "summary")


def render_account(
    request: HttpRequest, pk: int, tab: str, *, note_form: AccountNoteForm | None = None
) -> HttpResponse:
    try:
        account = load_account(pk)
    except UtilityAccount.DoesNotExist:
        raise Http404("No such utility account.") from None
    is_open = account.status in OPEN_ACCOUNT_STATUSES
    can_edit = has_role(request.user, *ACCOUNT_EDITORS)
    can_write_notes = has_role(request.user, *NOTE_WRITERS)
    context = {
        "account": account,
        "tabs": [(key, label) for key, label, _ in ACCOUNT_TABS],
        "tab": tab,
        "panel": TAB_LOADERS[tab](account, request.GET.get("page")),
        "can_edit": can_edit,
        "can_close": is_open and can_edit,
        "can_settle": can_edit and account.status == AccountStatus.CLOSED,
        "can_adjust": has_role(request.user, *ADJUSTMENT_PREPARERS),
        "can_write_notes": can_write_notes,
        "note_form": note_form or (AccountNoteForm() if can_write_notes else None),
    }
    template = "utility_billing/account_detail.html"
    return render(request, template + ("#tabs" if fragment_wanted(request) else ""), context)


def _move_in(form, new_form) -> MoveIn:
    data = form.cleaned_data
    new_customer = None
    if data["who"] == "new":
        new_customer = {
            name: value for name, value in new_form.cleaned_data.items() if name != "is_active"
        }
    return MoveIn(
        role=data.get("role", ""),
        start_date=data.get("start_date"),
        services=data.get("services", []),
        customer=data["customer"] if data["who"] == "existing" else None,
        new_customer=new_customer,
        letter_of_credit=data["letter_of_credit"],
        waiver_reason=data["waiver_reason"],
        notes=data["notes"],
    )


def _bound(request: HttpRequest, form_class, initial: dict | None = None):
    """The form and the new-customer form beside it; both valid (the second only when a
    new customer is chosen)."""
    form = form_class(request.POST or None, initial=initial)
    new_form = NewCustomerForm(request.POST or None, prefix="new")
    valid = form.is_valid()
    if request.method == "POST" and form.data.get("who") == "new":
        valid = new_form.is_valid() and valid
    return form, new_form, valid and request.method == "POST"


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def account_open(request: HttpRequest, pk: int) -> HttpResponse:
    location = _location_or_404(pk)
    schedules = default_schedules(location.service_class)
    form, new_form, valid = _bound(request, MoveInForm, {"services": list(schedules)})
    if valid:
        try:
            account = open_account(location, _move_in(form, new_form), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Account {account.number} opened.")
            return redirect("utility_billing:account_detail", pk=account.pk)
    context = {"form": form, "new_form": new_form, "location": location, "schedules": schedules}
    return render(request, "utility_billing/account_open.html", context)


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def account_close(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(pk)
    form = MoveOutForm(request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        move_out = MoveOut(
            end_date=data["end_date"], forwarding=data["forwarding"], notes=data["notes"]
        )
        try:
            close_account(account, move_out, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Account {account.number} closed: its final bill is due.")
            return redirect("utility_billing:account_detail", pk=account.pk)
    return render(request, "utility_billing/account_close.html", {"form": form, "account": account})


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def account_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(pk)
    form, new_form, valid = _bound(request, TransferForm)
    if valid:
        move_in = _move_in(form, new_form)
        try:
            new = transfer_service(
                account,
                last_day=form.cleaned_data["last_day"],
                move_in=move_in,
                forwarding=form.cleaned_data["forwarding"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Service transferred from {account.number} to {new.number}.")
            return redirect("utility_billing:account_detail", pk=new.pk)
    context = {"form": form, "new_form": new_form, "account": account}
    return render(request, "utility_billing/account_transfer.html", context)


@role_required(ACCOUNT_EDITORS)
@require_http_methods(["GET", "POST"])
def account_contact(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(pk)
    form = ContactForm(request.POST or None, instance=account.customer)
    if form.is_valid():
        try:
            update_contact_details(account, values=form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Contact details of {account.customer.name} saved.")
            return redirect("utility_billing:account_detail", pk=account.pk)
    return render(
        request, "utility_billing/account_contact.html", {"form": form, "account": account}
    )


@role_required(ACCOUNT_EDITORS)
@require_POST
def account_settle(request: HttpRequest, pk: int) -> HttpResponse:
    """Settle a closed account whose final bill has posted (the Deposits tab's card)."""
    account = _account_or_404(pk)
    was_settled = account.status == AccountStatus.FINAL_BILLED
    try:
        account = settle_account_now(account, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Account {account.number} was settled already."
            if was_settled
            else f"Account {account.number} settled: final billed.",
        )
    url = reverse("utility_billing:account_detail", args=[account.pk])
    return redirect(f"{url}?tab=deposits")
