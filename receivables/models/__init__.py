"""Receivables' tables, one module per area. Every public name is re-exported here, so
`from receivables.models import Invoice` works wherever the model lives. Each module
imports what it names, except that collections names invoices and citations by string:
they import it, to ask whether a write-off took their balance."""

from receivables.models.citations import (
    CITATION_DECIDERS,
    CITATION_STATE_CSS,
    CITATION_STATES,
    HEARING_HOLDS,
    HEARING_TRANSITIONS,
    Citation,
    CitationKind,
    CitationQuerySet,
    CitationStatus,
    HearingStatus,
)
from receivables.models.collections import (
    ACTIVE_STATUSES,
    CollectionReferral,
    DunningNotice,
    ReferralStatus,
    WriteOff,
    WriteOffStatus,
)
from receivables.models.customers import (
    FILLED_ON_MERGE,
    ContactMethod,
    Customer,
    CustomerKind,
    CustomerMerge,
    CustomerQuerySet,
)
from receivables.models.fees import Fee, FeeQuerySet, FeeRule, FeeStatus, FeeTier, wrong_kind
from receivables.models.invoices import (
    TERMS_CHOICES,
    ApprovalStatus,
    CreditMemo,
    Invoice,
    InvoiceLine,
    InvoiceQuerySet,
    InvoiceStatus,
)
from receivables.models.movements import ArKind, ArSubledger, ArTransaction
from receivables.models.penalties import (
    PenaltyAppliesTo,
    PenaltyBatch,
    PenaltyCalculation,
    PenaltyRule,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CITATION_DECIDERS",
    "CITATION_STATES",
    "CITATION_STATE_CSS",
    "FILLED_ON_MERGE",
    "HEARING_HOLDS",
    "HEARING_TRANSITIONS",
    "TERMS_CHOICES",
    "ApprovalStatus",
    "ArKind",
    "ArSubledger",
    "ArTransaction",
    "Citation",
    "CitationKind",
    "CitationQuerySet",
    "CitationStatus",
    "CollectionReferral",
    "ContactMethod",
    "CreditMemo",
    "Customer",
    "CustomerKind",
    "CustomerMerge",
    "CustomerQuerySet",
    "DunningNotice",
    "Fee",
    "FeeQuerySet",
    "FeeRule",
    "FeeStatus",
    "FeeTier",
    "HearingStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceQuerySet",
    "InvoiceStatus",
    "PenaltyAppliesTo",
    "PenaltyBatch",
    "PenaltyCalculation",
    "PenaltyRule",
    "ReferralStatus",
    "WriteOff",
    "WriteOffStatus",
    "wrong_kind",
]
