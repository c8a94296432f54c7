"""A posted run's print file for the mail vendor: every bill of the run in one PDF.

Rendered by a background job a chunk of bills at a time, each chunk's PDF kept in its own
row as soon as it is laid out: a worker killed halfway leaves the finished chunks, and
the job started again renders only the rest, then joins them into parts. The plan (which
bills go in which chunk, in mail order) is written once when the print file is made, so a
resumed job lays out exactly the chunks a clean one would.

A part is at most a few thousand bills, one PDF the mail vendor takes as one file: a
large utility's cycle of 100,000 bills is twenty parts, not one file of gigabytes that
neither a PostgreSQL value (1 GB at most) nor a web server's memory would hold.

Files are kept in the database, as the job framework keeps a job's file (JobFile): any
web server hands them out, whichever host rendered them.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class BillPrintFile(models.Model):
    """The combined print file of one posted run, and the job that renders it."""

    run = models.OneToOneField(
        "utility_billing.BillRun", on_delete=models.PROTECT, related_name="print_file"
    )
    job = models.ForeignKey(
        "millbrae_finance.Job", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bills = models.PositiveIntegerField(default=0)
    chunk_size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(chunk_size__gt=0), name="utility_billing_billprintfile_chunk_size"
            ),
        ]

    def __str__(self) -> str:
        return f"Print file of run {self.run_id}"


class BillPrintChunk(models.Model):
    """A slice of the print file: its bills (in mail order) and, once rendered, its PDF."""

    print_file = models.ForeignKey(BillPrintFile, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    bill_ids = ArrayField(models.BigIntegerField())
    pages = models.PositiveIntegerField(null=True, blank=True)
    data = models.BinaryField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["print_file", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["print_file", "position"], name="utility_billing_billprintchunk_once"
            ),
            models.CheckConstraint(
                condition=Q(data__isnull=True) | Q(rendered_at__isnull=False, pages__gt=0),
                name="utility_billing_billprintchunk_rendered",
            ),
        ]

    def __str__(self) -> str:
        return f"Print chunk {self.position} of file {self.print_file_id}"


class BillPrintPart(models.Model):
    """One file of the print file: consecutive chunks joined, its bills in mail order."""

    print_file = models.ForeignKey(BillPrintFile, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveIntegerField()
    bills = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    first_account = models.CharField(max_length=20)
    last_account = models.CharField(max_length=20)
    size = models.PositiveBigIntegerField()
    data = models.BinaryField()
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["print_file", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["print_file", "position"], name="utility_billing_billprintpart_once"
            ),
            models.CheckConstraint(
                condition=Q(bills__gt=0, pages__gt=0, size__gt=0),
                name="utility_billing_billprintpart_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"Print file {self.print_file_id}, part {self.position}"
