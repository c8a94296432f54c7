"""What each utility billing PDF shows, and its rendering: an account's bill (one PDF,
from the bill's page) and the slices of a run's print file for the mail vendor. Views
and tasks call these; none builds a bill's context itself."""

from collections.abc import Sequence

from django.template.loader import render_to_string

from millbrae_finance.pdf import PdfDocument
from utility_billing.models import Bill
from utility_billing.queries.bill_documents import bill_documents

BILL_TEMPLATE = "utility_billing/pdf/bill.html"


def bill_pdf(bill: Bill) -> PdfDocument:
    """An account's bill as mailed: reads, charges with their arithmetic, the account's
    summary, the 13-month use chart and the remittance stub."""
    return PdfDocument(
        BILL_TEMPLATE,
        {"documents": bill_documents([bill.pk])},
        filename=f"bill-{bill.number}-account-{bill.account.number}.pdf",
    )


def bills_html(bill_ids: Sequence[int]) -> str:
    """These bills, in this order, as one HTML document of a page a bill: a slice of a
    print file, laid out into a PDF by `millbrae_finance.pdf.html_to_pdf`."""
    return render_to_string(BILL_TEMPLATE, {"documents": bill_documents(bill_ids)})
