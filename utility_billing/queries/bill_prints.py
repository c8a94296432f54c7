"""Reads of print files: a run's print file with its job, its finished parts, and a
part's PDF read in slices."""

from collections.abc import Iterator

from django.db import connection

from millbrae_finance.jobs import JobState
from utility_billing.models import BillPrintFile, BillPrintPart, BillRun

# A part is read a slice at a time: a web server hands out a file of a hundred megabytes
# holding a megabyte of it.
SLICE_BYTES = 1024 * 1024


def print_file_of(run: BillRun) -> BillPrintFile | None:
    """The run's print file with its job and who started it, or None."""
    return BillPrintFile.objects.select_related("job__started_by").filter(run=run).first()


def print_parts(run: BillRun) -> list[BillPrintPart]:
    """The parts of the run's finished print file (without their PDFs), in mail order;
    none while it renders."""
    return list(
        BillPrintPart.objects.filter(print_file__run=run, print_file__job__state=JobState.DONE)
        .defer("data")
        .order_by("position")
    )


def print_part(run: BillRun, position: int) -> BillPrintPart | None:
    """One part of the run's finished print file (without its PDF), or None."""
    return next((part for part in print_parts(run) if part.position == position), None)


def part_pdf_slices(part: BillPrintPart) -> Iterator[bytes]:
    """The part's PDF, a slice at a time, straight from its row."""
    for offset in range(1, part.size + 1, SLICE_BYTES):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT substring(data FROM %s FOR %s) FROM utility_billing_billprintpart"
                " WHERE id = %s",
                [offset, SLICE_BYTES, part.pk],
            )
            yield bytes(cursor.fetchone()[0])
