"""What each utility billing PDF shows, and its rendering: an account's bill (one PDF,
from the bill's page) and the slices of a run's print file for the mail vendor. Views
and tasks call these; none builds a bill's context itself."""

from collections.abc import Sequence

from django.template.loader import render_to_string

from millbrae_finance.pdf import PdfDocument
from utility_billing.models import Bill
from utility_billing.queries.bill_documents import bill_documents

BILL_TEMPLATE = "utility_billing/pdf/bill.html"
# What every bill shows the same, laid out once and drawn under each bill's page.
BILL_FRAME_TEMPLATE = "utility_billing/pdf/bill_frame.html"


def bill_pdf(bill: Bill) -> PdfDocument:
    """An account's bill as mailed: reads, charges with their arithmetic, the account's
    summary, the 13-month use chart and the remittance stub."""
    return PdfDocument(
        BILL_TEMPLATE,
        {"documents": bill_documents([bill.pk]), "frame": True},
        filename=f"bill-{bill.number}-account-{bill.account.number}.pdf",
        frame_template=BILL_FRAME_TEMPLATE,
    )


def bills_html(bill_ids: Sequence[int]) -> str:
    """These bills, in this order, as one HTML document of a page a bill: a slice of a
    print file, laid out into a PDF by `millbrae_finance.pdf.html_to_pdf` over the
    frame of `bill_frame_html` (a long bill, which has its stub after its rows, is laid
    out whole)."""
    return render_to_string(BILL_TEMPLATE, {"documents": bill_documents(bill_ids), "frame": True})


def bill_frame_html() -> str:
    """The frame the bills of `bills_html` are drawn over: `html_to_pdf`'s frame_html."""
    return render_to_string(BILL_FRAME_TEMPLATE)
