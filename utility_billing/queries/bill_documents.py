"""What a printed bill shows, read for a slice of bills at a time: the bill, its account,
customer and service location, its lines (each with its arithmetic), the reads it billed
with the reads before them, the account's summary from the utility AR subledger (the
balance after the last bill, payments and other movements since, the amount due) and its
use over 13 months for the chart. A handful of queries a slice, whatever its size: a
print file of a hundred thousand bills reads them a slice at a time.

The account summary is the subledger as of the bill's date: the balance after the
previous posted bill (its bill date), the payments and the other movements (adjustments,
credits, other bills) dated after it up to this bill's date, and this bill's own charges.
So the amount due is what the subledger says the account owed on the bill's date, and a
bill printed again later reads the same.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import Q

from millbrae_finance.money import ZERO
from utility_billing import bill_text
from utility_billing.bill_charts import (
    ConsumptionChart,
    chart_months,
    consumption_chart,
    monthly_use,
)
from utility_billing.models import Bill, BillLine, BillRunStatus, MeterRead, ReadKind

# Lines of the reads and charges (a row that wraps counts each of its lines; a note its
# lines too) that fit on the page above the remittance stub; a bill with more prints the
# stub after them (on a second page if need be). The past-due note has its own room.
LONG_BILL_LINES = 12
# Characters of a note's line, about (7.5pt DejaVu Sans across the page).
NOTE_LINE = 130


# What a bill on an estimated read says (besides its notes).
ESTIMATE_NOTE = (
    "This bill includes an estimated read. Your next actual read trues it up: you pay for "
    "the water you use, no more. "
)


@dataclass(frozen=True)
class PrintedRead:
    """A meter's reading billed, beside the one it was measured from."""

    meter: str
    meter_size: str
    multiplier: Decimal
    prior_date: dt.date | None
    prior_reading: Decimal | None
    prior_estimated: bool
    current_date: dt.date
    current_reading: Decimal
    current_estimated: bool
    rolled_over: bool
    consumption: Decimal | None


@dataclass(frozen=True)
class AccountSummary:
    """The account's movements from the last bill to this one, from the subledger."""

    last_bill_date: dt.date | None
    previous_balance: Decimal
    payments: Decimal
    other: Decimal
    current_charges: Decimal

    @property
    def balance_forward(self) -> Decimal:
        return self.previous_balance + self.payments + self.other

    @property
    def amount_due(self) -> Decimal:
        return self.balance_forward + self.current_charges


@dataclass(frozen=True)
class BillDocument:
    bill: Bill
    lines: list[BillLine]
    reads: list[PrintedRead]
    summary: AccountSummary
    chart: ConsumptionChart
    mailing: list[str]
    service_address: list[str]

    @property
    def amount_due(self) -> Decimal:
        return self.summary.amount_due

    @property
    def credit(self) -> bool:
        return self.summary.amount_due <= 0

    @property
    def long(self) -> bool:
        """Too many rows for the page above the stub: the stub follows them instead."""
        note = (ESTIMATE_NOTE if self.bill.estimated else "") + self.bill.notes
        notes = sum(1 + len(line) // NOTE_LINE for line in note.splitlines()) if note else 0
        tables = self.tables
        rows = (tables.reads.count("\n") + 1 if self.reads else 1) + tables.charges.count("\n") + 1
        return rows + notes > LONG_BILL_LINES

    @property
    def scanline(self) -> str:
        """The stub's line for the payment processor's scanner: the account number, the
        amount due in cents and the due date."""
        cents = max(self.summary.amount_due, ZERO).scaleb(2).to_integral_value()
        return f"{self.bill.account.number}  {int(cents):010d}  {self.bill.due_date:%m%d%y}"

    @property
    def mailing_text(self) -> str:
        """The mailing address, a line of text a line (printed as preformatted text)."""
        return "\n".join(self.mailing)

    @cached_property
    def tables(self) -> "PrintedTables":
        """The summary, reads and charges as the bill prints them: lines of text."""
        summary, total = bill_text.summary_lines(
            self.summary, credit=self.credit, due_date=self.bill.due_date
        )
        return PrintedTables(
            summary="\n".join(summary),
            amount_due=total,
            reads="\n".join(bill_text.read_lines(self.reads)),
            reads_total=bill_text.reads_total(self.bill.consumption),
            charges="\n".join(bill_text.charge_lines(self.lines)),
            charges_total=bill_text.charges_total(self.bill.amount),
        )


@dataclass(frozen=True)
class PrintedTables:
    summary: str
    amount_due: str
    reads: str
    reads_total: str
    charges: str
    charges_total: str
    reads_header: str = bill_text.header(bill_text.READS, bill_text.READS_HEADER)
    charges_header: str = bill_text.header(bill_text.CHARGES, bill_text.CHARGES_HEADER)


# Per bill: the date of the account's previous posted bill, the balance as of it, and the
# payments (net of payments voided: a returned check is no payment) and other movements
# dated after it, up to this bill's date (this bill's own
# charges apart). '-infinity' stands for "no bill before": everything counts as since.
SUMMARY_SQL = """
WITH b AS (
    SELECT b.id, b.account_id, b.period_end, r.bill_date
      FROM utility_billing_bill b
      JOIN utility_billing_billrun r ON r.id = b.run_id
     WHERE b.id = ANY(%(bills)s)
), p AS (
    SELECT b.*, (
        SELECT pr.bill_date
          FROM utility_billing_bill pb
          JOIN utility_billing_billrun pr ON pr.id = pb.run_id
         WHERE pb.account_id = b.account_id AND pb.period_end < b.period_end
           AND pr.status = 'posted' AND pr.bill_date <= b.bill_date
         ORDER BY pb.period_end DESC
         LIMIT 1
    ) AS last_bill_date
      FROM b
)
SELECT p.id, p.last_bill_date,
       COALESCE(SUM(t.amount) FILTER (
           WHERE t.transaction_date <= COALESCE(p.last_bill_date, '-infinity')), 0),
       COALESCE(SUM(t.amount) FILTER (
           WHERE t.transaction_date > COALESCE(p.last_bill_date, '-infinity')
             AND t.kind IN ('payment', 'payment_void')), 0),
       COALESCE(SUM(t.amount) FILTER (
           WHERE t.transaction_date > COALESCE(p.last_bill_date, '-infinity')
             AND t.kind NOT IN ('payment', 'payment_void')), 0)
  FROM p
  LEFT JOIN utility_billing_utilitytransaction t
    ON t.account_id = p.account_id AND t.transaction_date <= p.bill_date
   AND t.bill_id IS DISTINCT FROM p.id
 GROUP BY p.id, p.last_bill_date
"""


def _address(*parts: str) -> list[str]:
    return [part for part in parts if part]


def bill_documents(bill_ids: Sequence[int]) -> list[BillDocument]:
    """The printed bills of these ids, in the order given (five queries whatever the
    count)."""
    bills = {
        bill.pk: bill
        for bill in Bill.objects.filter(pk__in=bill_ids).select_related(
            "run__cycle", "account__customer", "account__location"
        )
    }
    lines: dict[int, list[BillLine]] = {pk: [] for pk in bills}
    for line in BillLine.objects.filter(bill_id__in=bills).order_by("bill_id", "position"):
        lines[line.bill_id].append(line)
    read_ids = [read_id for bill in bills.values() for read_id in bill.read_ids]
    reads = {
        read.pk: read
        for read in MeterRead.objects.filter(pk__in=read_ids).select_related(
            "meter", "previous_read"
        )
    }
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY_SQL, {"bills": list(bills)})
        summaries = {row[0]: row[1:] for row in cursor.fetchall()}
    history = _history(bills.values())
    documents = []
    for pk in bill_ids:
        bill = bills[pk]
        last_date, previous, payments, other = summaries[pk]
        customer, location = bill.account.customer, bill.account.location
        service_address = _address(
            location.address_line1,
            location.address_line2,
            f"{location.city}, CA {location.postal_code}",
        )
        mailing = (
            _address(
                customer.name,
                f"C/O {customer.care_of}" if customer.care_of else "",
                customer.address_line1,
                customer.address_line2,
                f"{customer.city}, {customer.state} {customer.postal_code}".strip(", "),
            )
            if customer.address_line1
            else [customer.name, *service_address]
        )
        documents.append(
            BillDocument(
                bill=bill,
                lines=lines[pk],
                reads=[
                    _printed(reads[read_id])
                    for read_id in sorted(
                        bill.read_ids, key=lambda r: (reads[r].read_date, reads[r].pk)
                    )
                ],
                summary=AccountSummary(
                    last_bill_date=last_date,
                    previous_balance=previous,
                    payments=payments,
                    other=other,
                    current_charges=bill.amount,
                ),
                chart=consumption_chart(monthly_use(bill.period_end, history.get(pk, []))),
                mailing=mailing,
                service_address=service_address,
            )
        )
    return documents


def _printed(read: MeterRead) -> PrintedRead:
    before = read.previous_read
    meter = read.meter
    return PrintedRead(
        meter=meter.serial,
        meter_size=meter.get_size_display(),
        multiplier=meter.multiplier,
        prior_date=before.read_date if before else meter.install_date,
        prior_reading=before.reading if before else meter.install_reading,
        prior_estimated=bool(before and before.kind == ReadKind.ESTIMATED),
        current_date=read.read_date,
        current_reading=read.reading,
        current_estimated=read.kind == ReadKind.ESTIMATED,
        rolled_over=read.rolled_over,
        consumption=read.consumption,
    )


def _history(bills) -> dict[int, list[tuple[dt.date, Decimal, bool]]]:
    """Per bill: the (period end, HCF, estimated) of its account's posted bills ending in
    the 13 months its chart shows, itself included (posted or not)."""
    bills = list(bills)
    if not bills:
        return {}
    earliest = min(chart_months(bill.period_end)[0] for bill in bills)
    latest = max(bill.period_end for bill in bills)
    own = [bill.pk for bill in bills]
    rows = (
        Bill.objects.filter(
            account_id__in={bill.account_id for bill in bills},
            period_end__gte=earliest,
            period_end__lte=latest,
        )
        .filter(Q(run__status=BillRunStatus.POSTED) | Q(pk__in=own))
        .values_list("pk", "account_id", "period_end", "consumption", "estimated", "run__status")
    )
    by_account: dict[int, list[tuple]] = {}
    for row in rows:
        by_account.setdefault(row[1], []).append(row)
    found = {}
    for bill in bills:
        first = chart_months(bill.period_end)[0]
        found[bill.pk] = [
            (period_end, consumption, estimated)
            for pk, _, period_end, consumption, estimated, status in by_account.get(
                bill.account_id, []
            )
            # This bill, and the account's posted bills before it in the 13 months.
            if pk == bill.pk
            or (status == BillRunStatus.POSTED and first <= period_end < bill.period_end)
        ]
    return found
