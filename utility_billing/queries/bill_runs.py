"""Reads of bill runs: the list, a run with its proof register (counts that reconcile,
totals by charge and by fund and revenue account, exceptions, bills), a bill with its
lines and reads, and the register's CSV rows."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ledger.models import JournalEntry
from millbrae_finance.money import ZERO
from utility_billing.models import (
    Bill,
    BillExceptionReason,
    BillLine,
    BillRun,
    BillRunException,
    ChargeKind,
    Cycle,
    MeterRead,
    ServiceKind,
)

RUN_EXPORT_FIELDS = [
    ("Run", lambda run: run.reference),
    ("Cycle", lambda run: run.cycle.code),
    ("Period start", lambda run: run.period_start),
    ("Period end", lambda run: run.period_end),
    ("Bill date", lambda run: run.bill_date),
    ("Due date", lambda run: run.due_date),
    ("Status", lambda run: run.get_status_display()),
    ("Accounts selected", lambda run: run.accounts_selected),
    ("Bills", lambda run: run.bills_count),
    ("Exceptions", lambda run: run.exceptions_count),
    ("Consumption (HCF)", lambda run: run.consumption_total),
    ("Amount", lambda run: run.amount_total),
    ("Started by", lambda run: run.prepared_by.username),
    ("Approved by", lambda run: run.approved_by.username if run.approved_by else ""),
]
BILL_EXPORT_HEADER = [
    "Run",
    "Bill",
    "Account",
    "Customer",
    "Service address",
    "Class",
    "Meter size",
    "Period start",
    "Period end",
    "Reads billed",
    "Estimated",
    "Consumption (HCF)",
    "Previous balance",
    "Amount",
    "Due date",
]
EXCEPTION_EXPORT_HEADER = ["Run", "Account", "Customer", "Service address", "Reason", "Detail"]


def cycles_for_runs() -> QuerySet[Cycle]:
    return Cycle.objects.filter(is_active=True).order_by("code")


def bill_run_list(*, cycle: Cycle | None = None, status: str = "") -> QuerySet[BillRun]:
    """Runs, newest period first, with their cycle and people."""
    runs = BillRun.objects.select_related("cycle", "prepared_by", "approved_by")
    if cycle is not None:
        runs = runs.filter(cycle=cycle)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-period_end", "-id")


def bill_run_detail(pk: int) -> BillRun:
    return BillRun.objects.select_related(
        "cycle", "prepared_by", "approved_by", "discarded_by", "job", "post_job"
    ).get(pk=pk)


def last_run_of(cycle: Cycle) -> BillRun | None:
    """The cycle's latest run that billed (not discarded), to suggest the next period."""
    return BillRun.objects.holding().filter(cycle=cycle).order_by("-period_end").first()


@dataclass(frozen=True)
class RegisterTotal:
    label: str
    lines: int
    amount: Decimal
    account: str = ""
    fund: str = ""


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class ProofRegister:
    """What a technician reviews before a lead approves: every figure from the database."""

    run: BillRun
    accounts_selected: int
    bills: int
    exceptions: int
    amount: Decimal
    lines_amount: Decimal
    consumption: Decimal
    estimated: int
    zero_use: int
    by_charge: list[RegisterTotal]
    by_account: list[RegisterTotal]
    by_fund: list[RegisterTotal]
    by_reason: list[ReasonCount]
    entries: list[JournalEntry]

    @property
    def counts_reconcile(self) -> bool:
        return self.accounts_selected == self.bills + self.exceptions

    @property
    def totals_reconcile(self) -> bool:
        return self.amount == self.lines_amount == self.run.amount_total


def proof_register(run: BillRun) -> ProofRegister:
    """The run's counts, its totals by service and charge, by fund and revenue account,
    and its exceptions by reason, from its rows (a few GROUP BY queries)."""
    bills = Bill.objects.filter(run=run).aggregate(
        count=Count("id"),
        billed=Coalesce(Sum("amount"), ZERO),
        used=Coalesce(Sum("consumption"), Decimal("0.000")),
        on_estimates=Count("id", filter=Q(estimated=True)),
        # Metered bills that used nothing: worth a look (a stuck meter, a vacant house).
        zero_use=Count("id", filter=Q(consumption=0, read_ids__len__gt=0)),
    )
    lines = BillLine.objects.filter(run=run)
    by_charge = [
        RegisterTotal(
            label=ServiceKind(row["service_kind"]).label,
            account=ChargeKind(row["charge_kind"]).label,
            lines=row["lines"],
            amount=row["amount"],
        )
        for row in lines.values("service_kind", "charge_kind")
        .annotate(lines=Count("id"), amount=Sum("amount"))
        .order_by("service_kind", "charge_kind")
    ]
    by_account = [
        RegisterTotal(
            label=row["revenue_account__name"],
            account=row["revenue_account__number"],
            fund=f"{row['revenue_account__fund__code']} {row['revenue_account__fund__name']}",
            lines=row["lines"],
            amount=row["amount"],
        )
        for row in lines.values(
            "revenue_account__number",
            "revenue_account__name",
            "revenue_account__fund__code",
            "revenue_account__fund__name",
        )
        .annotate(lines=Count("id"), amount=Sum("amount"))
        .order_by("revenue_account__number")
    ]
    funds: dict[str, list[RegisterTotal]] = {}
    for total in by_account:
        funds.setdefault(total.fund, []).append(total)
    by_fund = [
        RegisterTotal(
            label=fund,
            fund=fund,
            lines=sum(t.lines for t in totals),
            amount=sum((t.amount for t in totals), ZERO),
        )
        for fund, totals in funds.items()
    ]
    by_reason = [
        ReasonCount(
            reason=row["reason"],
            label=BillExceptionReason(row["reason"]).label,
            count=row["count"],
        )
        for row in BillRunException.objects.filter(run=run)
        .values("reason")
        .annotate(count=Count("id"))
        .order_by("reason")
    ]
    return ProofRegister(
        run=run,
        accounts_selected=run.accounts_selected,
        bills=bills["count"],
        exceptions=sum(r.count for r in by_reason),
        amount=bills["billed"],
        lines_amount=sum((t.amount for t in by_charge), ZERO),
        consumption=bills["used"],
        estimated=bills["on_estimates"],
        zero_use=bills["zero_use"],
        by_charge=by_charge,
        by_account=by_account,
        by_fund=by_fund,
        by_reason=by_reason,
        entries=list(
            JournalEntry.objects.filter(
                source_module="utility_billing", source_document=run.reference
            ).order_by("id")
        ),
    )


def run_exceptions(run: BillRun, *, reason: str = "") -> QuerySet[BillRunException]:
    """The run's exception rows with the account, customer and address, by reason."""
    rows = BillRunException.objects.filter(run=run).select_related(
        "account__customer", "account__location"
    )
    if reason:
        rows = rows.filter(reason=reason)
    return rows.order_by("reason", "account__number")


def run_bills(run: BillRun, *, q: str = "") -> QuerySet[Bill]:
    """The run's bills with the account, customer and address, by account number."""
    bills = Bill.objects.filter(run=run).select_related("account__customer", "account__location")
    if q:
        bills = bills.filter(account__number__startswith=q) | bills.filter(
            account__location__address_line1__icontains=q
        )
    return bills.order_by("account__number")


def bill_rows(run: BillRun) -> Iterator[list]:
    """The bill register, one row per bill, read in slices (a run of 100,000 bills)."""
    bills = run_bills(run)
    for bill in bills.iterator(chunk_size=2000):
        yield [
            run.reference,
            bill.number,
            bill.account.number,
            bill.account.customer.name,
            bill.account.location.address,
            bill.get_service_class_display(),
            bill.meter_size,
            bill.period_start,
            bill.period_end,
            len(bill.read_ids),
            "yes" if bill.estimated else "",
            bill.consumption,
            bill.previous_balance,
            bill.amount,
            bill.due_date,
        ]


def exception_rows(run: BillRun, *, reason: str = "") -> Iterator[list]:
    for row in run_exceptions(run, reason=reason).iterator(chunk_size=2000):
        yield [
            run.reference,
            row.account.number,
            row.account.customer.name,
            row.account.location.address,
            row.get_reason_display(),
            row.detail,
        ]


def bill_detail(pk: int) -> tuple[Bill, list[BillLine], list[MeterRead]]:
    """A bill with its run, account, lines (and revenue accounts) and the reads billed."""
    bill = Bill.objects.select_related("run__cycle", "account__customer", "account__location").get(
        pk=pk
    )
    lines = list(bill.lines.select_related("revenue_account").order_by("position"))
    reads = list(
        MeterRead.objects.filter(pk__in=bill.read_ids)
        .select_related("meter")
        .order_by("read_date", "id")
    )
    return bill, lines, reads


def next_period(cycle: Cycle) -> tuple[dt.date, dt.date] | None:
    """The period after the cycle's last run: the day after it to the same day a month on."""
    last = last_run_of(cycle)
    if last is None:
        return None
    from utility_billing.rating import add_months

    start = last.period_end + dt.timedelta(days=1)
    return start, add_months(start, 1) - dt.timedelta(days=1)
