"""A file of meter reads from the handhelds or the AMI head end, as uploaded: imported
whole, or refused whole with every bad row listed by its line."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track


class ReadImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be checked"
    IMPORTED = "imported", "Imported"
    REFUSED = "refused", "Refused: rows to fix"


# The file's text is kept for the job that checks it, but left out of the audit trail:
# a 50,000-row file copied into each audit event would triple its size for nothing.
@track(exclude=["content"])
class ReadImport(models.Model):
    """One uploaded read file and what became of it."""

    filename = models.CharField(max_length=200)
    content = models.TextField()
    # Made when the upload form is shown: a double-clicked Upload is one import.
    idempotency_key = models.CharField(max_length=100, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=ReadImportStatus.choices, default=ReadImportStatus.PENDING
    )
    # Data rows in the file (the header not counted).
    rows = models.PositiveIntegerField(default=0)
    reads_created = models.PositiveIntegerField(default=0)
    # Of the reads created, those that came in with an exception to review.
    exceptions = models.PositiveIntegerField(default=0)
    # Every bad row of a refused file: [[line, "what is wrong"], ...], in line order.
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The background job that checked a large file (none for a small one, checked at once).
    job = models.ForeignKey(
        "millbrae_finance.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(finished_at__isnull=False),
                name="utility_billing_readimport_finished_has_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="imported") | Q(errors=[]),
                name="utility_billing_readimport_imported_has_no_errors",
            ),
        ]

    def __str__(self) -> str:
        return f"Read import {self.pk} ({self.filename})"
