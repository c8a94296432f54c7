"""Reads of print files: a run's print file with its job, and its finished PDF."""

from millbrae_finance.jobs import JobFile, JobState
from utility_billing.models import BillPrintFile, BillRun


def print_file_of(run: BillRun) -> BillPrintFile | None:
    """The run's print file with its job and who started it, or None."""
    return BillPrintFile.objects.select_related("job__started_by").filter(run=run).first()


def print_file_pdf(run: BillRun) -> JobFile | None:
    """The run's finished print file (the PDF its job made), or None while it renders."""
    return JobFile.objects.filter(
        job__state=JobState.DONE,
        job_id__in=BillPrintFile.objects.filter(run=run).values("job_id"),
    ).first()
