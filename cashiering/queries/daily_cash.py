"""The daily cash report: what the counter took over a day or a range of days, by
account and fund, by tender and by clerk; the voids; each drawer's over/short; the
deposits; and whether all of it agrees to the cent with the receipts, the deposits and
the ledger.

Every figure is a sum in the database (Sum with Coalesce, Decimal); the agreement is the
difference of two such sums, each check named, so a supervisor reads which figure is off.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from cashiering.accounts import CASH_IN_BANK_OBJECT, CASH_IN_DRAWERS, CASH_OVER_SHORT
from cashiering.models import (
    Deposit,
    DepositSession,
    Receipt,
    ReceiptTender,
    SessionCount,
    TenderKind,
)
from ledger.models import JournalLine
from ledger.services import DUE_FROM_OBJECT, DUE_TO_OBJECT
from millbrae_finance.money import ZERO


@dataclass(frozen=True)
class Agreement:
    """One check of the report against another record: the two figures and what
    separates them."""

    name: str
    report_label: str
    report_amount: Decimal
    other_label: str
    other_amount: Decimal

    @property
    def difference(self) -> Decimal:
        return self.report_amount - self.other_amount

    @property
    def agrees(self) -> bool:
        return self.difference == 0


def _money(expression) -> Coalesce:
    return Coalesce(expression, ZERO)


class DailyCashReport:
    """The report for `date_from` to `date_to`, both included (local dates)."""

    def __init__(self, date_from: dt.date, date_to: dt.date) -> None:
        self.date_from, self.date_to = date_from, date_to
        days = (date_from, date_to)
        receipts = Receipt.objects.filter(posted_at__date__range=days)
        live = receipts.filter(voided_at__isnull=True)
        self.caption = (
            f"{date_from:%A, %B %-d, %Y}"
            if date_from == date_to
            else f"{date_from:%B %-d, %Y} to {date_to:%B %-d, %Y}"
        )

        totals = receipts.aggregate(
            kept=Count("id", filter=Q(voided_at__isnull=True)),
            taken=_money(Sum("total", filter=Q(voided_at__isnull=True))),
            voided=Count("id", filter=Q(voided_at__isnull=False)),
            voided_amount=_money(Sum("total", filter=Q(voided_at__isnull=False))),
        )
        self.receipt_count, self.receipt_total = totals["kept"], totals["taken"]
        self.void_count, self.void_total = totals["voided"], totals["voided_amount"]

        # By account and fund: the credit side of the receipts' own entries (the cash in
        # drawers line and the due-to/due-from lines the ledger adds left out), so an item
        # that paid several accounts shows each.
        credits = (
            JournalLine.objects.filter(entry__in=live.values("journal_entry"))
            .exclude(account__number=CASH_IN_DRAWERS)
            .exclude(account__object_code__code__in=[DUE_FROM_OBJECT, DUE_TO_OBJECT])
        )
        self.by_account = list(
            credits.values(
                "account__number", "account__name", "account__fund__code", "account__fund__name"
            )
            .annotate(amount=_money(Sum(-F("amount"))))
            .order_by("account__fund__code", "account__number")
        )
        self.by_fund = list(
            credits.values("account__fund__code", "account__fund__name")
            .annotate(amount=_money(Sum(-F("amount"))))
            .order_by("account__fund__code")
        )
        self.by_account_total = credits.aggregate(t=_money(Sum(-F("amount"))))["t"]

        tenders = ReceiptTender.objects.filter(receipt__in=live)
        self.by_tender = [
            {**row, "label": TenderKind(row["kind"]).label}
            for row in tenders.values("kind")
            .annotate(
                count=Count("id"),
                received=_money(Sum("amount")),
                change=_money(Sum("change_given")),
                net=_money(Sum(F("amount") - F("change_given"))),
            )
            .order_by("kind")
        ]
        self.by_tender_total = tenders.aggregate(t=_money(Sum(F("amount") - F("change_given"))))[
            "t"
        ]

        self.by_clerk = list(
            receipts.values(
                "created_by__username", "created_by__first_name", "created_by__last_name"
            )
            .annotate(
                count=Count("id", filter=Q(voided_at__isnull=True)),
                taken=_money(Sum("total", filter=Q(voided_at__isnull=True))),
                voids=Count("id", filter=Q(voided_at__isnull=False)),
            )
            .order_by("created_by__username")
        )
        self.by_clerk_total = self.receipt_total if self.by_clerk else ZERO

        self.voids = list(
            receipts.filter(voided_at__isnull=False)
            .select_related("drawer", "created_by", "void_approved_by")
            .order_by("posted_at", "pk")
        )

        counts = SessionCount.objects.filter(counted_at__date__range=days)
        self.over_short = list(
            counts.select_related("session__drawer", "session__clerk").order_by(
                "counted_at", "session_id"
            )
        )
        self.over_short_total = counts.aggregate(t=_money(Sum("over_short")))["t"]

        deposits = Deposit.objects.filter(deposit_date__range=days)
        self.deposits = list(deposits.select_related("bank_account").order_by("deposit_date", "pk"))
        deposit_totals = deposits.aggregate(
            cash=_money(Sum("cash_total")),
            checks=_money(Sum("check_total")),
            cards=_money(Sum("card_total")),
            all=_money(Sum("total")),
        )
        self.deposit_totals = deposit_totals
        sessions_deposited = DepositSession.objects.filter(deposit__in=deposits).aggregate(
            t=_money(Sum("amount"))
        )["t"]

        # The ledger: each account's activity over the range, every entry whoever posted it.
        in_range = JournalLine.objects.filter(entry__entry_date__range=days)
        ledger = in_range.aggregate(
            drawers=_money(Sum("amount", filter=Q(account__number=CASH_IN_DRAWERS))),
            over_short=_money(Sum("amount", filter=Q(account__number=CASH_OVER_SHORT))),
            bank=_money(
                Sum(
                    "amount",
                    filter=Q(
                        account__object_code__code=CASH_IN_BANK_OBJECT,
                        entry__source_module="cashiering",
                    ),
                )
            ),
        )
        self.ledger = ledger
        # What cash in drawers should have moved by: the receipts kept (a void reverses
        # its receipt the same day), the drawers' over/short, less what went to the bank.
        self.drawers_expected = self.receipt_total + self.over_short_total - deposit_totals["all"]
        self.checks = [
            Agreement(
                "Receipts by account and fund",
                "by account",
                self.by_account_total,
                "receipts",
                self.receipt_total,
            ),
            Agreement(
                "Receipts by tender",
                "by tender",
                self.by_tender_total,
                "receipts",
                self.receipt_total,
            ),
            Agreement(
                "Deposits against their sessions",
                "deposits",
                deposit_totals["all"],
                "sessions deposited",
                sessions_deposited,
            ),
            Agreement(
                f"Cash in drawers ({CASH_IN_DRAWERS}) in the ledger",
                "receipts + over/short − deposits",
                self.drawers_expected,
                "ledger activity",
                ledger["drawers"],
            ),
            Agreement(
                f"Cash over and short ({CASH_OVER_SHORT}) in the ledger",
                "drawers' over/short",
                self.over_short_total,
                "ledger credits less debits",
                -ledger["over_short"],
            ),
            Agreement(
                "Deposits in cash in bank in the ledger",
                "deposits",
                deposit_totals["all"],
                "ledger activity",
                ledger["bank"],
            ),
        ]
        self.disagreements = [check for check in self.checks if not check.agrees]
        self.agrees = not self.disagreements
        self.total_difference = sum((abs(c.difference) for c in self.checks), ZERO)

    def csv_rows(self) -> tuple[list[str], list[list]]:
        """One table of every section: section, item, detail, count, amount."""
        rows: list[list] = []
        for row in self.by_account:
            rows.append(
                [
                    "receipts by account",
                    row["account__number"],
                    f"{row['account__fund__code']} {row['account__name']}",
                    "",
                    row["amount"],
                ]
            )
        rows.append(["receipts by account", "total", "", self.receipt_count, self.by_account_total])
        for row in self.by_tender:
            rows.append(["receipts by tender", row["kind"], "net", row["count"], row["net"]])
        rows.append(["receipts by tender", "total", "", "", self.by_tender_total])
        for row in self.by_clerk:
            rows.append(
                ["receipts by clerk", row["created_by__username"], "", row["count"], row["taken"]]
            )
        for receipt in self.voids:
            rows.append(["voids", receipt.display_number, receipt.void_reason, 1, receipt.total])
        rows.append(["voids", "total", "", self.void_count, self.void_total])
        for count in self.over_short:
            rows.append(
                [
                    "over/short",
                    f"session {count.session_id}",
                    f"drawer {count.session.drawer.code} {count.session.clerk.username}",
                    "",
                    count.over_short,
                ]
            )
        rows.append(["over/short", "total", "", len(self.over_short), self.over_short_total])
        for deposit in self.deposits:
            rows.append(
                [
                    "deposits",
                    deposit.display_number,
                    f"{deposit.deposit_date:%Y-%m-%d} {deposit.bank_account.number}",
                    deposit.check_count,
                    deposit.total,
                ]
            )
        rows.append(["deposits", "total", "", len(self.deposits), self.deposit_totals["all"]])
        for check in self.checks:
            rows.append(
                [
                    "agreement",
                    check.name,
                    "agrees" if check.agrees else "differs",
                    "",
                    check.difference,
                ]
            )
        return ["section", "item", "detail", "count", "amount"], rows


def daily_cash_report(date_from: dt.date, date_to: dt.date) -> DailyCashReport:
    """The daily cash report for a day or a range of days."""
    return DailyCashReport(date_from, date_to)
