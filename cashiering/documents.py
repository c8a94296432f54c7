"""The receipt as printed: letter size (mailed or handed over) and 80 mm wide for the
counter's receipt printer. Every print after the first says COPY."""

from cashiering.models import Receipt
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
