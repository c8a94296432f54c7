"""Bill PDFs: an account's bill as mailed (whoever reads bills: finance staff, the
auditor, the counter explaining a bill), and a posted run's print file for the mail
vendor (whoever reads bill runs; finance staff start it for a run posted without one)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from millbrae_finance.roles import FINANCE_STAFF, role_required
from utility_billing.documents import bill_pdf as bill_document
from utility_billing.models import Bill, BillPrintPart, BillRun
from utility_billing.queries.bill_prints import part_pdf_slices, print_part
from utility_billing.services.bill_prints import start_bill_print
from utility_billing.views.bill_runs import BILL_READERS, RUN_READERS


@role_required(BILL_READERS)
@require_GET
def bill_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        bill = Bill.objects.select_related("account").get(pk=pk)
    except Bill.DoesNotExist:
        raise Http404("No such bill.") from None
    return bill_document(bill).response(request)


@role_required(FINANCE_STAFF)
@require_POST
def bill_run_print(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = BillRun.objects.get(pk=pk)
    except BillRun.DoesNotExist:
        raise Http404("No such bill run.") from None
    try:
        start_bill_print(run, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The print file of bill run {run.reference} is rendering.")
    return redirect("utility_billing:bill_run_detail", pk=run.pk)


@role_required(RUN_READERS)
@require_GET
def bill_run_print_file(request: HttpRequest, pk: int, part: int = 1) -> HttpResponse:
    """One part of the run's print file (the first, for a run of one part), streamed."""
    try:
        run = BillRun.objects.get(pk=pk)
    except BillRun.DoesNotExist:
        raise Http404("No such bill run.") from None
    found = print_part(run, part)
    if found is None:
        raise Http404("This run's print file is not ready, or has no such part.")
    response = StreamingHttpResponse(part_pdf_slices(found), content_type="application/pdf")
    response["Content-Length"] = str(found.size)
    name = f"bill-run-{run.reference}-print"
    if BillPrintPart.objects.filter(print_file_id=found.print_file_id).count() > 1:
        name += f"-part-{part}"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
