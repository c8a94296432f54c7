"""What each receivables PDF shows, and its rendering: the aging, a customer's statement,
an invoice, a citation's notice, and the combined PDFs of the statements batch and of a
day's dunning notices. Views and tasks call these; none builds a PDF's context itself.

The combined PDFs are laid out by background jobs a slice of documents at a time,
outside any transaction: a PDF of thousands of pages holds no lock and no snapshot while
it renders, and the job's bar moves a slice at a time.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from millbrae_finance.jobs import Progress
from millbrae_finance.pdf import PdfDocument, StaticFilesFetcher
from receivables.models import Citation, Customer, Invoice, InvoiceStatus
from receivables.queries.aging import AgingReport, statements
from receivables.queries.citations import citation_notice
from receivables.queries.dunning import PrintedNotice
from receivables.queries.invoices import invoice_amounts, invoice_state

# Documents (statements, notices) read and laid out at a time in a combined PDF: the
# statements query is five queries a slice, and the bar moves a slice at a time.
PDF_SLICE = 200


def _printed(printed_by: str) -> dict:
    return {"printed_at": timezone.now(), "printed_by": printed_by}


def aging_pdf(report: AgingReport, *, printed_by: str, sections: Sequence = ()) -> PdfDocument:
    """The aging report as printed, with the sections other modules registered (utility
    AR) that have lines."""
    shown = [section for section in sections if section.lines]
    return PdfDocument(
        "receivables/pdf/aging.html",
        {"report": report, "sections": shown, **_printed(printed_by)},
        filename=f"aging-{report.as_of:%Y%m%d}.pdf",
    )


def customer_statement_pdf(
    customer: Customer, *, start: dt.date, as_of: dt.date, printed_by: str
) -> PdfDocument:
    """One customer's statement for the period `start`..`as_of`."""
    found = statements([customer.pk], start=start, as_of=as_of)
    return PdfDocument(
        "receivables/pdf/statement.html",
        {"statements": found, **_printed(printed_by)},
        filename=f"statement-{customer.number}-{as_of:%Y%m%d}.pdf",
    )


def invoice_pdf(invoice: Invoice) -> PdfDocument:
    """An invoice as mailed: its lines, its state, and what is due (what was credited and
    paid, once it is issued)."""
    issued = invoice.status == InvoiceStatus.ISSUED
    context = {
        "invoice": invoice,
        "customer": invoice.customer,
        "lines": list(invoice.lines.all()),
        "state": invoice_state(invoice),
        "balance_due": invoice.balance if issued else invoice.total,
        **(invoice_amounts(invoice) if issued else {}),
        "printed_at": timezone.localtime(),
    }
    return PdfDocument("receivables/pdf/invoice.html", context, filename=f"{invoice.number}.pdf")


def citation_notice_pdf(citation: Citation, *, printed_by: str) -> PdfDocument:
    """A citation's notice: what is owed today, and when it escalates."""
    context = {
        "notice": citation_notice(citation, today=timezone.localdate()),
        **_printed(printed_by),
    }
    return PdfDocument(
        "receivables/pdf/citation_notice.html",
        context,
        filename=f"citation-{citation.number}.pdf",
    )


def statements_batch_pdf(
    customer_ids: Sequence[int],
    *,
    start: dt.date,
    as_of: dt.date,
    printed_by: str,
    progress: Progress,
) -> tuple[bytes, int]:
    """Every statement of these customers in one PDF; its bytes and its page count."""
    # A generator: each slice's statements are read just before they are laid out.
    slices = (customer_ids[first : first + PDF_SLICE] for first in _slices(customer_ids))
    contexts = (
        {"statements": statements(ids, start=start, as_of=as_of), **_printed(printed_by)}
        for ids in slices
    )
    return _combined_pdf(
        "receivables/pdf/statement.html", contexts, progress, total=len(customer_ids)
    )


def notices_pdf(
    notices: Sequence[PrintedNotice], *, notice_date: dt.date, printed_by: str, progress: Progress
) -> tuple[bytes, int]:
    """A day's dunning notices in one PDF; its bytes and its page count."""
    context = {"notice_date": notice_date, **_printed(printed_by)}
    return _combined_pdf(
        "receivables/pdf/notice.html",
        [{**context, "notices": notices[first : first + PDF_SLICE]} for first in _slices(notices)],
        progress,
        total=len(notices),
    )


def _slices(rows: Sequence) -> range:
    return range(0, max(len(rows), 1), PDF_SLICE)


def _combined_pdf(
    template: str, contexts: Iterable[dict], progress: Progress, *, total: int
) -> tuple[bytes, int]:
    """One PDF of the template laid out once per context (a slice of documents each),
    the bar moving a slice at a time; the PDF's bytes and its page count."""
    documents = []
    for number, context in enumerate(contexts, start=1):
        html = render_to_string(template, context)
        documents.append(HTML(string=html, base_url="/", url_fetcher=StaticFilesFetcher()).render())
        progress(min(number * PDF_SLICE, total), total)
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)
