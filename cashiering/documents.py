"""The receipt as printed: letter size (mailed or handed over) and 80 mm wide for the
counter's receipt printer. Every print after the first says COPY. The deposit slip and
the daily cash report."""

from django.utils import timezone

from cashiering.models import Deposit, Receipt
from cashiering.queries.daily_cash import DailyCashReport
from millbrae_finance.pdf import PdfDocument

SIZES = {"letter": "Letter", "80mm": "80 mm"}


def receipt_pdf(receipt: Receipt, *, size: str, print_number: int) -> PdfDocument:
    """`receipt` as read by cashiering.queries.sessions.receipt_for."""
    return PdfDocument(
        template="cashiering/pdf/receipt.html",
        context={
            "receipt": receipt,
            "narrow": size == "80mm",
            "copy": print_number > 1,
            "print_number": print_number,
        },
        filename=f"receipt-{receipt.display_number}{'-80mm' if size == '80mm' else ''}.pdf",
    )


def deposit_slip_pdf(deposit: Deposit, *, printed_by: str) -> PdfDocument:
    """The deposit slip: the bank and account, the day, currency and coin by
    denomination, the checks listed, the totals. `deposit` as read by
    cashiering.queries.deposits.deposit_for."""
    return PdfDocument(
        template="cashiering/pdf/deposit_slip.html",
        context={"deposit": deposit, "printed_at": timezone.now(), "printed_by": printed_by},
        filename=f"deposit-slip-{deposit.display_number}.pdf",
    )


def daily_cash_pdf(report: DailyCashReport, *, printed_by: str) -> PdfDocument:
    """The daily cash report as printed, with who printed it and when."""
    return PdfDocument(
        template="cashiering/pdf/daily_cash.html",
        context={"report": report, "printed_at": timezone.now(), "printed_by": printed_by},
        filename=f"daily-cash-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.pdf",
    )
