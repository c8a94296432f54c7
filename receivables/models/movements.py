"""Movements of the misc AR and fines AR subledgers.

The misc AR and fines AR subledgers are the rows of ArTransaction: every charge, penalty,
payment, credit, reduction and write-off of an invoice or a citation, signed (positive
raises what is owed). A document keeps its running balance beside it, changed in the same
transaction as the row, so open-item screens and the penalty batch never sum history;
"as of a date" questions (aging, reconciliation) sum the rows."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from millbrae_finance.audit_tracking import track
from millbrae_finance.money import MoneyField
from receivables.models.citations import Citation
from receivables.models.customers import Customer
from receivables.models.invoices import Invoice
from receivables.models.penalties import PenaltyBatch, PenaltyRule


class ArSubledger(models.TextChoices):
    """The subledgers receivables keeps; the values match ledger.models.Subledger."""

    MISC_AR = "misc_ar", "Miscellaneous AR"
    FINES_AR = "fines_ar", "Fines AR"


class ArKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    PENALTY = "penalty", "Penalty"
    PAYMENT = "payment", "Payment"
    CREDIT = "credit", "Credit memo"
    REDUCTION = "reduction", "Reduction"
    DISMISSAL = "dismissal", "Dismissal"
    WRITE_OFF = "write_off", "Write-off"
    # A counter payment voided the same day: the opposite of its payment movement.
    PAYMENT_VOID = "void", "Payment voided"


@track()
class ArTransaction(models.Model):
    """One movement in the misc AR or fines AR subledger. Signed: a charge, a penalty or a
    voided payment is positive, a payment, credit, reduction, dismissal or write-off
    negative. The rows of a subledger add up to its control accounts in the general
    ledger."""

    subledger = models.CharField(max_length=10, choices=ArSubledger.choices)
    kind = models.CharField(max_length=10, choices=ArKind.choices)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    citation = models.ForeignKey(
        Citation, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transaction_date = models.DateField()
    amount = MoneyField()
    memo = models.CharField(max_length=250, blank=True)
    # The receipt, credit memo, write-off or batch this came from (what a clerk quotes).
    reference = models.CharField(max_length=40, blank=True)
    # What caused it, unique, so nothing moves the subledger twice: the idempotency key
    # of the movement's posting ("receivables-invoice-12"), a payment's key and the
    # document it paid ("<key>:invoice-12"), or a penalty batch's charge
    # ("PB-000007:rule-3:invoice-12:1").
    cause = models.CharField(max_length=200)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A penalty names its rule and which occurrence it is, so no batch charges it twice.
    rule = models.ForeignKey(
        PenaltyRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurrence = models.PositiveSmallIntegerField(null=True, blank=True)
    penalty_batch = models.ForeignKey(
        PenaltyBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transaction_date", "id"]
        indexes = [
            models.Index(fields=["invoice", "transaction_date"], name="receivables_artx_invoice"),
            models.Index(fields=["citation", "transaction_date"], name="receivables_artx_citation"),
            models.Index(fields=["customer", "transaction_date"], name="receivables_artx_customer"),
            models.Index(fields=["subledger", "transaction_date"], name="receivables_artx_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=True, citation__isnull=False)
                | Q(invoice__isnull=False, citation__isnull=True),
                name="receivables_artx_one_document",
            ),
            models.CheckConstraint(
                condition=(Q(subledger="misc_ar") & Q(invoice__isnull=False))
                | (Q(subledger="fines_ar") & Q(citation__isnull=False)),
                name="receivables_artx_subledger_matches",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="receivables_artx_not_zero"),
            # Every movement but a payment posts its own entry; a payment's entry is the
            # cashier's, with the cash, and the movement names its receipt.
            models.CheckConstraint(
                condition=Q(kind="payment", reference__gt="") | Q(journal_entry__isnull=False),
                name="receivables_artx_posted",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=["charge", "penalty", "void"]) & Q(amount__gt=0))
                | (~Q(kind__in=["charge", "penalty", "void"]) & Q(amount__lt=0)),
                name="receivables_artx_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(rule__isnull=True, occurrence__isnull=True)
                | Q(rule__isnull=False, occurrence__isnull=False),
                name="receivables_artx_rule_occurrence",
            ),
            # A repeated cause (a retried payment, a batch run again) is refused by the
            # database, whatever the code that wrote it. varchar_pattern_ops: the same
            # index finds a payment's movements by their prefix, "<key>:".
            models.UniqueConstraint(
                fields=["cause"],
                opclasses=["varchar_pattern_ops"],
                name="receivables_artx_cause_unique",
            ),
            models.CheckConstraint(condition=Q(cause__gt=""), name="receivables_artx_cause_given"),
            models.UniqueConstraint(
                fields=["rule", "invoice", "occurrence"],
                condition=Q(rule__isnull=False, invoice__isnull=False),
                name="receivables_artx_invoice_penalty_once",
            ),
            models.UniqueConstraint(
                fields=["rule", "citation", "occurrence"],
                condition=Q(rule__isnull=False, citation__isnull=False),
                name="receivables_artx_citation_penalty_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.transaction_date:%Y-%m-%d}"

    @property
    def document_number(self) -> str:
        return self.invoice.number if self.invoice_id else self.citation.number
