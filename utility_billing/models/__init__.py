"""Utility billing's tables, one module per area: service locations and accounts,
meters and reads, rate schedules, bill runs and the utility AR subledger. Import models
from here (`utility_billing.models`)."""

from utility_billing.models.adjustments import (
    AdjustmentKind,
    AdjustmentStatus,
    LeakAdjustmentPolicy,
    UtilityAdjustment,
)
from utility_billing.models.bill_prints import BillPrintChunk, BillPrintFile, BillPrintPart
from utility_billing.models.bills import (
    Bill,
    BillExceptionReason,
    BillLine,
    BillRun,
    BillRunException,
    BillRunStatus,
    UtilityTransaction,
    UtilityTransactionKind,
)
from utility_billing.models.choices import (
    AccountRole,
    AccountStatus,
    MeterSize,
    ServiceClass,
    ServiceKind,
)
from utility_billing.models.locations import (
    AccountService,
    Cycle,
    DepositRule,
    ServiceLocation,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
    UtilityAccount,
)
from utility_billing.models.meters import (
    ExceptionCode,
    ExceptionStatus,
    Meter,
    MeterRead,
    MeterStatus,
    MeterType,
    ReadKind,
    ReadSource,
)
from utility_billing.models.notes import AccountNote
from utility_billing.models.rates import (
    ChargeKind,
    RateCharge,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
)
from utility_billing.models.read_imports import ReadImport, ReadImportStatus
from utility_billing.models.settlements import (
    DepositStatus,
    OwnerNotice,
    OwnerNoticeStatus,
    ReferralStatus,
    UtilityCollectionReferral,
    UtilityDeposit,
)

__all__ = [
    "AccountNote",
    "AccountRole",
    "AccountService",
    "AccountStatus",
    "AdjustmentKind",
    "AdjustmentStatus",
    "Bill",
    "BillExceptionReason",
    "BillLine",
    "BillPrintChunk",
    "BillPrintFile",
    "BillPrintPart",
    "BillRun",
    "BillRunException",
    "BillRunStatus",
    "ChargeKind",
    "Cycle",
    "DepositRule",
    "DepositStatus",
    "ExceptionCode",
    "ExceptionStatus",
    "LeakAdjustmentPolicy",
    "Meter",
    "MeterRead",
    "MeterSize",
    "MeterStatus",
    "MeterType",
    "OwnerNotice",
    "OwnerNoticeStatus",
    "RateCharge",
    "RateSchedule",
    "RateVersion",
    "RateVersionStatus",
    "ReadImport",
    "ReadImportStatus",
    "ReadKind",
    "ReadSource",
    "ReferralStatus",
    "ServiceClass",
    "ServiceKind",
    "ServiceLocation",
    "ServiceOrder",
    "ServiceOrderKind",
    "ServiceOrderStatus",
    "UtilityAccount",
    "UtilityAdjustment",
    "UtilityCollectionReferral",
    "UtilityDeposit",
    "UtilityTransaction",
    "UtilityTransactionKind",
]
