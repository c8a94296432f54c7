"""After the close: the supervisor finds a receipt, reverses it, or records a check the
bank returned."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cashiering.forms.reversals import ReceiptSearchForm, ReturnedCheckForm, ReverseForm
from cashiering.queries.receipts import receipts_matching
from cashiering.queries.sessions import OVERSEERS, receipt_for
from cashiering.services.reversals import (
    CHECK_RETURNERS,
    REVERSERS,
    record_returned_check,
    reverse_receipt,
)
from millbrae_finance.roles import role_required
from millbrae_finance.view_helpers import form_view, fragment_wanted

LIST_LIMIT = 200


@role_required(OVERSEERS)
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    """Receipts by number, day and clerk, newest first (the first 200)."""
    form = ReceiptSearchForm(request.GET or None)
    rows = receipts_matching(**form.cleaned_data) if form.is_valid() else receipts_matching()
    context = {"form": form, "receipts": list(rows[:LIST_LIMIT]), "limit": LIST_LIMIT}
    name = "cashiering/receipt_list.html"
    return render(request, f"{name}#results" if fragment_wanted(request) else name, context)


@role_required(REVERSERS)
@require_http_methods(["GET", "POST"])
def receipt_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """The supervisor reverses a receipt of a closed session, with a reason."""
    receipt = receipt_for(pk, request.user)
    return form_view(
        request,
        ReverseForm,
        perform=lambda data: reverse_receipt(receipt, reason=data["reason"], actor=request.user),
        success=lambda reversal: (
            f"Receipt {receipt.display_number} is reversed.",
            redirect("cashiering:receipt_detail", pk=receipt.pk),
        ),
        template="cashiering/receipt_reverse.html",
        context=lambda form: {"receipt": receipt},
    )


@role_required(CHECK_RETURNERS)
@require_http_methods(["GET", "POST"])
def receipt_return_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a check of the receipt the bank returned unpaid."""
    receipt = receipt_for(pk, request.user)
    checks = [t for t in receipt.tenders.all() if t.kind == "check"]

    def perform(data: dict):
        return record_returned_check(
            next(t for t in checks if t.pk == data["tender"]),
            amount=data["amount"],
            bank_reason=data["bank_reason"],
            idempotency_key=data["idempotency_key"],
            actor=request.user,
        )

    def success(returned) -> tuple[str, HttpResponse]:
        text = f"Check {returned.tender.check_number} is recorded as returned."
        if returned.fee_charged:
            text += f" Fee: {returned.fee_charged}."
        return text, redirect("cashiering:receipt_detail", pk=receipt.pk)

    if not checks:
        messages.error(request, f"Receipt {receipt.display_number} was not paid by check.")
        return redirect("cashiering:receipt_detail", pk=receipt.pk)
    return form_view(
        request,
        ReturnedCheckForm,
        perform=perform,
        success=success,
        template="cashiering/receipt_return_check.html",
        context=lambda form: {"receipt": receipt},
        form_kwargs={"checks": checks},
    )
