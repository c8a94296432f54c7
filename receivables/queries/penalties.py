"""Reads of the penalty screens: rules, past batches and what a batch charged."""

from django.db.models import Q, QuerySet

from receivables.models import ArTransaction, PenaltyBatch, PenaltyRule

# (header, lookup) pairs, as millbrae_finance.csv_export takes them.
RULE_EXPORT_FIELDS = [
    ("code", "code"),
    ("name", "name"),
    ("applies_to", "applies_to"),
    ("citation_kind", "citation_kind"),
    ("days_after", "days_after"),
    ("calculation", "calculation"),
    ("amount", "amount"),
    ("rate_percent", "rate"),
    ("repeat_every_days", "repeat_every_days"),
    ("max_occurrences", "max_occurrences"),
    ("revenue_account", "revenue_account__number"),
    ("effective_from", "effective_from"),
    ("effective_to", "effective_to"),
    ("is_active", "is_active"),
]

BATCH_EXPORT_FIELDS = [
    ("batch", "id"),
    ("batch_date", "batch_date"),
    ("run_by", "run_by__username"),
    ("run_at", "run_at"),
    ("items_charged", "items_charged"),
    ("total", "total"),
    ("journal_entry", "journal_entry_id"),
]

CHARGE_EXPORT_HEADER = [
    "Document",
    "Customer or plate",
    "Rule",
    "Occurrence",
    "Amount",
    "Memo",
    "Date",
    "Reference",
]


def penalty_rule_list(*, q: str = "", applies_to: str = "", status: str = "") -> QuerySet:
    """Penalty rules matching the filters, in the order the batch reads them."""
    rules = PenaltyRule.objects.select_related("revenue_account")
    if q:
        rules = rules.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if applies_to:
        rules = rules.filter(applies_to=applies_to)
    if status == "":
        rules = rules.filter(is_active=True)
    elif status == "inactive":
        rules = rules.filter(is_active=False)
    return rules.order_by("applies_to", "days_after", "code")


def penalty_rule_detail(pk: int) -> PenaltyRule:
    return PenaltyRule.objects.select_related("revenue_account").get(pk=pk)


def penalty_batch_list() -> QuerySet:
    """Past penalty batches, latest first."""
    return PenaltyBatch.objects.select_related("run_by", "journal_entry").order_by(
        "-batch_date", "-id"
    )


def penalty_batch_detail(pk: int) -> PenaltyBatch:
    return PenaltyBatch.objects.select_related("run_by", "journal_entry").get(pk=pk)


def penalty_batch_charges(batch: PenaltyBatch) -> QuerySet:
    """What a batch charged, by document."""
    return (
        ArTransaction.objects.filter(penalty_batch=batch)
        .select_related("rule", "invoice", "citation", "customer")
        .order_by("citation__number", "invoice_id", "rule__code", "occurrence", "id")
    )


def charge_who(charge: ArTransaction) -> str:
    """The customer, or the plate (or respondent) of a citation nobody is known for."""
    if charge.customer_id:
        return charge.customer.name
    citation = charge.citation
    if citation is not None and citation.plate:
        return f"{citation.plate} {citation.plate_state}".strip()
    return citation.respondent_name if citation is not None else ""


def charge_rows(charges: QuerySet):
    """A batch's charges as CSV rows."""
    for charge in charges.iterator(chunk_size=2000):
        yield [
            charge.document_number,
            charge_who(charge),
            charge.rule.code,
            charge.occurrence,
            charge.amount,
            charge.memo,
            charge.transaction_date,
            charge.reference,
        ]
