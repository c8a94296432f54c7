"""Reads for mail batches and lockbox files."""

from django.db.models import QuerySet

from cashiering.models import PaymentBatch


def batch_list(*, kind: str = "", status: str = "") -> QuerySet:
    """Batches newest first, with who made and posted them."""
    batches = PaymentBatch.objects.select_related("created_by", "posted_by").defer("content")
    if kind:
        batches = batches.filter(kind=kind)
    if status:
        batches = batches.filter(status=status)
    return batches


def batch_for(pk: int) -> PaymentBatch:
    """One batch with its people, entry and job, for its page."""
    return (
        PaymentBatch.objects.select_related(
            "created_by", "posted_by", "journal_entry", "cash_account", "job", "job__started_by"
        )
        .defer("content")
        .get(pk=pk)
    )


def batch_document_url(reference: str) -> str | None:
    """The page of a batch named as an entry's source document ("MB-000042")."""
    from django.urls import reverse

    prefix, _, number = (reference or "").strip().partition("-")
    if prefix not in ("MB", "LB") or not (number.isascii() and number.isdigit()):
        return None
    return reverse("cashiering:batch_detail", args=[int(number)])
