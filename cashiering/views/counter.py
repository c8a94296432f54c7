"""The counter screen: one search box (results as you type), a cart kept in the Django
session, the tenders, and Post. Works as plain forms without JavaScript; HTMX swaps the
search results and the totals as they change."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cashiering.forms.counter import ReceiptForm
from cashiering.queries.sessions import open_session_of
from cashiering.services.receipts import check_items, check_tenders, post_receipt
from cashiering.services.sessions import CASHIERS
from millbrae_finance.payment_targets import find_payment_targets, payment_target_type
from millbrae_finance.roles import role_required
from millbrae_finance.view_helpers import fragment_wanted

CART = "cashiering_cart"
SEARCH_LIMIT = 15
MAX_ITEMS = 30


def _cart(request: HttpRequest) -> list[dict]:
    return list(request.session.get(CART, []))


def _save_cart(request: HttpRequest, cart: list[dict]) -> None:
    request.session[CART] = cart


@role_required(CASHIERS)
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    session = open_session_of(request.user)
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    results = find_payment_targets(query, limit=SEARCH_LIMIT) if session and query else []
    if request.method == "GET" and fragment_wanted(request):
        return render(request, "cashiering/counter.html#results", {"results": results, "q": query})
    cart = _cart(request)
    form = ReceiptForm(request.POST or None, cart=cart)
    totals = None
    if request.method == "POST" and session is not None:
        action = request.POST.get("action", "update")
        # The totals HTMX asks for as fields change write nothing: one still running when
        # Post's request empties the cart would save the cart it read back over the empty
        # one, and the next customer would find the last one's items.
        if not request.htmx:
            _keep_amounts(request, request.POST, cart)
        if action == "post" and form.is_valid():
            try:
                receipt = post_receipt(
                    session,
                    items=form.items(),
                    tenders=form.tenders(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    actor=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                _save_cart(request, [])
                messages.success(request, f"Receipt {receipt.display_number} posted.")
                return redirect("cashiering:receipt_detail", pk=receipt.pk)
        totals = _totals(form)
    context = {"session": session, "form": form, "results": results, "q": query, "totals": totals}
    return render(request, "cashiering/counter.html", context)


def _keep_amounts(request: HttpRequest, data, cart: list[dict]) -> None:
    """The amounts typed are kept in the cart, so a search or an added item keeps them."""
    for index, item in enumerate(cart):
        if f"amount_{index}" not in data:
            continue
        raw = data.get(f"amount_{index}", "").strip()
        try:
            item["amount"] = str(Decimal(raw).quantize(Decimal("0.01"))) if raw else ""
        except InvalidOperation:
            continue
    _save_cart(request, cart)


def _totals(form: ReceiptForm) -> dict | None:
    """The total, what was tendered and the change due (or what is short), once the
    amounts read; None while they do not."""
    if not form.is_valid() or not form.cart:
        return None
    try:
        total = check_items(form.items())
        check = check_tenders(form.tenders(), total) if form.tenders() else None
    except ValidationError as error:
        _add_errors(form, error)
        return None
    return {"total": total, "check": check}


def _add_errors(form: ReceiptForm, error: ValidationError) -> None:
    """A service's errors beside the row at fault: an item's amount, a tender's."""
    for name, texts in error.message_dict.items():
        kind, _, row = name.partition("-")
        if kind == "item" and row.isdigit() and f"amount_{int(row) - 1}" in form.fields:
            target = f"amount_{int(row) - 1}"
        elif kind == "tender" and row.isdigit():
            target = form.tender_field(int(row))
        elif name == "tenders":
            target = "cash"
        else:
            target = None
        if target is not None and target in form.errors:
            target = None
        form.add_error(target, texts)


@role_required(CASHIERS)
@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add a target the search found to the cart, with what is due as its amount. The
    result's button submits the receipt form here ("add" is "<kind>|<reference>"), so
    the amounts already typed in the cart come along and are kept."""
    if open_session_of(request.user) is None:
        raise PermissionDenied("Open a session first.")
    kind, _, reference = request.POST.get("add", "").partition("|")
    if not reference:  # the older shape: two fields
        kind = request.POST.get("kind", "")
        reference = request.POST.get("reference", "")
    reference = reference.replace("\x00", "").strip()
    cart = _cart(request)
    _keep_amounts(request, request.POST, cart)
    try:
        matches = payment_target_type(kind).find(reference, limit=SEARCH_LIMIT)
    except LookupError:
        matches = []
    match = next((m for m in matches if m.reference == reference), None)
    if match is None:
        messages.error(request, f"Nothing payable found for {reference or 'that'}.")
    elif any(i["kind"] == kind and i["reference"] == reference for i in cart):
        messages.info(request, f"{match.label} is already in the cart.")
    elif len(cart) >= MAX_ITEMS:
        messages.error(request, f"A receipt takes at most {MAX_ITEMS} items: post this one first.")
    else:
        cart.append(
            {
                "kind": kind,
                "reference": reference,
                "label": match.label,
                "customer": match.customer,
                "amount_due": str(match.amount_due),
                "amount": str(match.amount_due) if match.amount_due > 0 else "",
                "warnings": list(match.warnings),
            }
        )
        _save_cart(request, cart)
    return redirect("cashiering:counter")


@role_required(CASHIERS)
@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    """Take an item out of the cart (by its place), or empty the cart."""
    cart = _cart(request)
    index = request.POST.get("index", "")
    if index == "all":
        cart = []
    elif index.isdigit() and int(index) < len(cart):
        cart.pop(int(index))
    _save_cart(request, cart)
    return redirect("cashiering:counter")
