"""What each ledger PDF shows, and its rendering: the trial balance, an account's
inquiry, the balance sheet, the revenue and expenditure statement and the subledger
reconciliation, each the report its page shows, with who printed it and when. The views
call these; none builds a PDF's context itself."""

from typing import Any

from django.utils import timezone

from ledger.models import Account
from millbrae_finance.pdf import PdfDocument


def report_pdf(
    name: str, report: Any, *, printed_by: str, filename: str, account: Account | None = None
) -> PdfDocument:
    """A report as printed: `ledger/pdf/<name>.html` (the name its page's template
    shares), saved as `<filename>.pdf`; an account inquiry names its account."""
    context = {"report": report, "printed_at": timezone.now(), "printed_by": printed_by}
    if account is not None:
        context["account"] = account
    return PdfDocument(f"ledger/pdf/{name}.html", context, filename=f"{filename}.pdf")
