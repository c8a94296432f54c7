"""Utility billing's tables, one module per area: service locations and accounts,
meters and reads, rate schedules, bill runs and the utility AR subledger. Import models
from here (`utility_billing.models`)."""

from utility_billing.models.bill_prints import BillPrintChunk, BillPrintFile
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
from utility_billing.models.rates import (
    ChargeKind,
    RateCharge,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
)
from utility_billing.models.read_imports import ReadImport, ReadImportStatus

__all__ = [
    "AccountRole",
    "AccountService",
    "AccountStatus",
    "Bill",
    "BillExceptionReason",
    "BillLine",
    "BillPrintChunk",
    "BillPrintFile",
    "BillRun",
    "BillRunException",
    "BillRunStatus",
    "ChargeKind",
    "Cycle",
    "DepositRule",
    "ExceptionCode",
    "ExceptionStatus",
    "Meter",
    "MeterRead",
    "MeterSize",
    "MeterStatus",
    "MeterType",
    "RateCharge",
    "RateSchedule",
    "RateVersion",
    "RateVersionStatus",
    "ReadImport",
    "ReadImportStatus",
    "ReadKind",
    "ReadSource",
    "ServiceClass",
    "ServiceKind",
    "ServiceLocation",
    "ServiceOrder",
    "ServiceOrderKind",
    "ServiceOrderStatus",
    "UtilityAccount",
    "UtilityTransaction",
    "UtilityTransactionKind",
]
