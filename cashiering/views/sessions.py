"""The cashiering landing page (open a session on a drawer), sessions and receipts."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cashiering.documents import SIZES, receipt_pdf
from cashiering.forms.closing import CloseCountForm
from cashiering.forms.counter import OpenSessionForm, VoidForm
from cashiering.models import SessionCount
from cashiering.queries.deposits import deposit_of_session
from cashiering.queries.receipts import after_close_actions
from cashiering.queries.sessions import (
    OVERSEERS,
    drawers_with_sessions,
    expected_in_drawer,
    may_void,
    open_session_of,
    receipt_for,
    session_for,
    sessions_for,
)
from cashiering.services.closing import VERIFIERS, close_and_count, verify_session
from cashiering.services.receipts import record_receipt_print
from cashiering.services.sessions import CASHIERS, open_session
from cashiering.services.voids import void_receipt
from millbrae_finance.roles import has_role, role_required
from millbrae_finance.view_helpers import add_service_errors

READERS = CASHIERS | OVERSEERS


@role_required(READERS)
@require_http_methods(["GET", "POST"])
def cashiering_home(request: HttpRequest) -> HttpResponse:
    """A cashier opens a session here (or goes on to their open one); a lead sees which
    drawers are open."""
    current = open_session_of(request.user)
    may_open = has_role(request.user, *CASHIERS) and current is None
    form = OpenSessionForm(request.POST or None) if may_open else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            open_session(
                form.cleaned_data["drawer"],
                opening_float=form.cleaned_data["opening_float"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['drawer']} is open: take payments.")
            return redirect("cashiering:counter")
    context = {"form": form, "current": current, "drawers": drawers_with_sessions()}
    return render(request, "cashiering/home.html", context)


@role_required(READERS)
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = list(sessions_for(request.user)[:200])
    return render(request, "cashiering/session_list.html", {"sessions": sessions})


@role_required(READERS)
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_for(pk, request.user)
    count = SessionCount.objects.filter(session=session).select_related("journal_entry").first()
    context = {
        "expected": expected_in_drawer(session),
        "session": session,
        "count": count,
        "count_lines": list(count.lines.all()) if count else [],
        "deposit": deposit_of_session(session),
        "may_close": session.is_open and session.clerk_id == request.user.pk,
        "may_verify": (
            session.status == "closed"
            and count is not None
            and has_role(request.user, *VERIFIERS)
            and request.user.pk not in (session.clerk_id, count.counted_by_id)
        ),
    }
    return render(request, "cashiering/session_detail.html", context)


@role_required(CASHIERS)
@require_http_methods(["GET", "POST"])
def session_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Count the drawer and close the session: the cash by denomination, the checks, the
    card and money-order totals; the over/short posts in the same step."""
    session = session_for(pk, request.user)
    if session.clerk_id != request.user.pk:
        raise PermissionDenied("A clerk closes only their own session.")
    if not session.is_open:
        messages.info(request, f"Session {session.pk} is already closed.")
        return redirect("cashiering:session_detail", pk=session.pk)
    expected = expected_in_drawer(session)
    # A count left all blank is an empty drawer: the form is bound on any POST.
    data = request.POST if request.method == "POST" else None
    form = CloseCountForm(data, expected_checks=expected["checks"])
    if request.method == "POST" and form.is_valid():
        try:
            count = close_and_count(session, spec=form.spec(), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error, aliases=form.error_aliases())
        else:
            if count.over_short:
                word = "over" if count.over_short > 0 else "short"
                messages.warning(
                    request,
                    f"Session {session.pk} is closed, {word} {abs(count.over_short):,.2f}.",
                )
            else:
                messages.success(request, f"Session {session.pk} is closed and balances.")
            return redirect("cashiering:session_detail", pk=session.pk)
    context = {"session": session, "expected": expected, "form": form}
    return render(request, "cashiering/session_close.html", context)


@role_required(VERIFIERS)
@require_POST
def session_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead or the supervisor signs off a closed, counted session."""
    session = session_for(pk, request.user)
    try:
        verify_session(session, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Session {session.pk} on {session.drawer.code} is verified.")
    return redirect("cashiering:session_detail", pk=session.pk)


@role_required(READERS)
@require_GET
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = receipt_for(pk, request.user)
    context = {
        "receipt": receipt,
        "sizes": SIZES,
        "may_void": may_void(receipt, request.user),
        **after_close_actions(receipt, request.user),
    }
    return render(request, "cashiering/receipt_detail.html", context)


@role_required(READERS)
@require_GET
def receipt_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt's PDF (?size=letter or 80mm); every print after the first is a COPY."""
    size = request.GET.get("size", "letter")
    if size not in SIZES:
        raise Http404("No such receipt size.")
    receipt = receipt_for(pk, request.user)
    number = record_receipt_print(receipt)
    return receipt_pdf(receipt, size=size, print_number=number).response(request)


@role_required(CASHIERS)
@require_http_methods(["GET", "POST"])
def receipt_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void the clerk's receipt of today with a lead's approval given on this screen."""
    receipt = receipt_for(pk, request.user)
    form = VoidForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            void_receipt(
                receipt,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                approver=form.approver,
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"approver": "approver_username"})
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Receipt {receipt.display_number} is void.")
            return redirect("cashiering:receipt_detail", pk=receipt.pk)
    return render(request, "cashiering/receipt_void.html", {"receipt": receipt, "form": form})
