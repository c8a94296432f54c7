"""Demo cashiering, imported only by seed_demo: the counter's last month before the demo's
today. Every business day both clerks work a drawer from a counted float: about thirty
receipts a day for utility accounts, misc invoices, citations and fee-schedule lines,
paid in cash (with change), by check, card and money order, some split; now and then a
same-day void a lead approved; each session closed with a count (a few a little over or
short) and verified by the senior technician or the supervisor, never the clerk. The
demo's last day ends with every drawer closed, so a clerk starts the next day fresh.

Set-based, as the seed's other history is: what post_receipt writes for each receipt,
written a session at a time. Each item is applied through its payment target's own
`apply_payment` with the key post_receipt gives it ("<receipt key>:<line>"), so the
subledgers hold exactly what the counter would have written, and a void or a returned
check finds the payment by its key. The receipts, items and tenders go in with one
bulk insert each, and the receipts' entries (cash in drawers against each item's
receivable or revenue, keyed "receipt:<key>") through the ledger's batch posting, one
call a session. Voids go through the targets' `reverse_payment` and post_entry with the
lead as approver; the count's over/short posts as close_and_count posts it. Timestamps
are the day's, not the seed's clock: a service would stamp today's.

Which targets are paid is asked of the payment-target registry (cashiering knows the
other modules only through it), as the counter's search box asks.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from cashiering.models import (
    BILLS,
    COINS,
    CashSession,
    CountLineKind,
    Drawer,
    Receipt,
    ReceiptItem,
    ReceiptTender,
    SessionCount,
    SessionCountLine,
    SessionStatus,
    TenderKind,
)
from cashiering.queries.sessions import expected_in_drawer
from cashiering.services.closing import _post_over_short
from cashiering.services.receipts import (
    CASH_IN_DRAWERS,
    NO_CHECKS_WARNING,
    TenderSpec,
    _tender_rows,
    check_tenders,
)
from ledger.models import Account, JournalLine
from ledger.services import EntrySpec, LineSpec, post_entries, post_entry
from millbrae_finance.business_days import is_business_day
from millbrae_finance.demo import DEMO_TODAY
from millbrae_finance.money import ZERO, to_money
from millbrae_finance.payment_targets import TargetMatch, payment_target_type

SEED = 94038
BUSINESS_DAYS = 22
# Receipts a clerk takes in a day at each of the two windows: about 30 a day in all. Each
# item goes through its target's own apply_payment (a handful of statements, so that a
# void or a returned check finds it by the receipt's key), which is what the seed's time
# goes on: this many keep the month to seconds of the seed.
RECEIPTS_PER_SESSION = (12, 20)
KEY_PREFIX = "demo-receipt-"
FLOATS = [Decimal("150.00"), Decimal("200.00"), Decimal("250.00")]
# (clerk, drawer) pairs by weekday parity: the clerks trade windows; the mail desk's
# drawer is used on Mondays, when the weekend's drop box is emptied.
VERIFIERS = ("senior", "supervisor")
VOID_APPROVERS = ("senior", "senior", "supervisor")
VOID_REASONS = [
    "Wrong fee rung up",
    "Customer paid the wrong invoice",
    "Entered twice",
    "Customer changed their mind: paying by card",
]
# How each receipt is tendered, in 100: (kind, share).
TENDER_MIX = [("cash", 40), ("check", 25), ("card", 23), ("money_order", 5), ("split", 7)]
# Of the sessions, how many are off at the count, and by how much at most.
OFF_COUNT_SHARE = 0.2
MAX_OFF = Decimal("5.00")
OPEN_AT = dt.time(8, 0)
CLOSE_AT = dt.time(17, 0)
# Utility accounts paid at the counter owe up to this much (a bill or two): the long
# delinquencies stay for the shut-off screens.
UTILITY_MAX_DUE = Decimal("400")


@dataclass
class Targets:
    """What the counter's customers pay, found through the registry: utility accounts
    with what each still owes, open invoices and citations, the fee schedule."""

    utility: list[TargetMatch]
    invoices: list[TargetMatch]
    citations: list[TargetMatch]
    fees: list[TargetMatch]
    owed: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def pick(self, rng: random.Random) -> tuple[TargetMatch, Decimal] | None:
        """A target and the amount paid on it; None when the pool is used up."""
        roll = rng.randrange(100)
        if roll < 70 and self.utility:
            match = self.utility.pop()
            due = self.owed[(match.kind, match.reference)]
            # Most pay the bill, some part of it.
            amount = due if rng.random() < 0.8 else to_money(due * Decimal("0.5"))
            return match, max(amount, Decimal("1.00"))
        if roll < 80 and self.invoices:
            match = self.invoices.pop()
            return match, match.amount_due
        if roll < 86 and self.citations:
            match = self.citations.pop()
            return match, match.amount_due
        if self.fees:
            match = rng.choice(self.fees)
            amount = match.amount_due or Decimal(rng.choice(["12.50", "25.00", "40.00", "75.00"]))
            return match, amount
        return None


def _find(kind: str, texts: list[str], *, limit: int) -> list[TargetMatch]:
    target = payment_target_type(kind)
    found: dict[str, TargetMatch] = {}
    for text in texts:
        for match in target.find(text, limit=limit):
            found.setdefault(match.reference, match)
    return sorted(found.values(), key=lambda m: m.reference)


def find_targets(rng: random.Random) -> Targets:
    """The month's payable things, by the searches a clerk would type."""
    utility = [
        m
        for m in _find("utility-account", ["1", "2"], limit=1000)
        if ZERO < m.amount_due <= UTILITY_MAX_DUE and not m.warnings
    ]
    # Invoices and citations are found by their customers' names, as a clerk asks.
    letters = list("abcdefghijklmnoprstw")
    invoices = [m for m in _find("invoice", letters, limit=400) if m.amount_due > 0]
    citations = [m for m in _find("citation", letters, limit=400) if m.amount_due > 0]
    fees = [
        m
        for m in _find("fee", ["RE", "AL", "CO", "PE", "FA", "DA", "CI"], limit=50)
        # What a clerk rings up as a fee line: no parking fine, late or returned-check fee.
        if not m.reference.startswith(("PKG-", "LATE-", "RETURNED", "NSF"))
    ]
    for pool in (utility, invoices, citations):
        rng.shuffle(pool)
    # Half the open invoices and citations stay open: the screens that act on an open
    # one (a credit memo, a dismissal) keep something to show.
    invoices, citations = invoices[: len(invoices) // 2], citations[: len(citations) // 2]
    targets = Targets(utility, invoices, citations, fees)
    targets.owed = {(m.kind, m.reference): m.amount_due for m in utility}
    return targets


def demo_days() -> list[dt.date]:
    """The last BUSINESS_DAYS business days up to the demo's today."""
    days, day = [], DEMO_TODAY
    while len(days) < BUSINESS_DAYS:
        if is_business_day(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def _tenders(rng: random.Random, total: Decimal, no_checks: bool) -> list[TenderSpec]:
    kinds = [k for k, share in TENDER_MIX for _ in range(share)]
    kind = rng.choice(kinds)
    if no_checks and kind in ("check", "split"):
        kind = "card"
    if kind == "cash":
        # Handed over: the amount, or the next bill up (change given back).
        step = rng.choice([Decimal("1"), Decimal("5"), Decimal("20"), Decimal("0.01")])
        handed = (total / step).to_integral_value(rounding="ROUND_CEILING") * step
        return [TenderSpec(TenderKind.CASH, to_money(handed))]
    if kind == "check":
        return [TenderSpec(TenderKind.CHECK, total, check_number=str(rng.randrange(101, 9999)))]
    if kind == "card":
        return [_card(rng, total)]
    if kind == "money_order":
        return [
            TenderSpec(
                TenderKind.MONEY_ORDER, total, check_number=f"MO{rng.randrange(10**7, 10**8)}"
            )
        ]
    # Split: some cash, the rest by check (or card).
    if total < Decimal("2.00"):
        return [TenderSpec(TenderKind.CASH, total)]
    cash = to_money(max(Decimal("1.00"), (total * Decimal(rng.choice(["0.3", "0.5"])))))
    rest = total - cash
    second = (
        _card(rng, rest)
        if no_checks or rng.random() < 0.3
        else TenderSpec(TenderKind.CHECK, rest, check_number=str(rng.randrange(101, 9999)))
    )
    return [TenderSpec(TenderKind.CASH, cash), second]


def _card(rng: random.Random, amount: Decimal) -> TenderSpec:
    return TenderSpec(
        TenderKind.CARD,
        amount,
        card_last_four=f"{rng.randrange(10000):04d}",
        authorization_code=f"{rng.randrange(16**6):06X}",
    )


def cash_lines(amount: Decimal) -> list[SessionCountLine]:
    """The cash of a count by denomination, the bills first (the $1 coins left out)."""
    lines = []
    for kind, values in ((CountLineKind.BILL, BILLS), (CountLineKind.COIN, COINS[1:])):
        for value in values:
            quantity = int(amount // value)
            if quantity:
                lines.append(
                    SessionCountLine(
                        kind=kind, denomination=value, quantity=quantity, amount=value * quantity
                    )
                )
                amount -= value * quantity
    return lines


@dataclass
class Planned:
    receipt: Receipt
    items: list[ReceiptItem]
    tenders: list[ReceiptTender]
    lines: list[LineSpec]


class SessionWriter:
    """One clerk's session on one day, written as post_receipt, void_receipt,
    close_and_count and verify_session would have written it."""

    def __init__(self, *, rng, targets, cash_account, users) -> None:
        self.rng = rng
        self.targets = targets
        self.cash_account = cash_account
        self.users = users
        self.receipts = self.voids = self.off = 0

    def write(self, day: dt.date, drawer: Drawer, clerk: User, count: int) -> CashSession:
        rng = self.rng
        opened = _at(day, OPEN_AT) + dt.timedelta(minutes=rng.randrange(0, 20))
        closed = _at(day, CLOSE_AT) + dt.timedelta(minutes=rng.randrange(0, 25))
        # Written closed (its count follows): a session the seed left open would keep the
        # clerk from opening one.
        session = CashSession.objects.create(
            drawer=drawer,
            clerk=clerk,
            opened_at=opened,
            opening_float=rng.choice(FLOATS),
            status=SessionStatus.CLOSED,
            closed_at=closed,
        )
        span = (closed - opened).total_seconds() - 600
        times = sorted(opened + dt.timedelta(seconds=rng.uniform(300, span)) for _ in range(count))
        planned = []
        for posted_at in times:
            receipt = self._plan(session, drawer, clerk, posted_at, drawer.last_receipt_number + 1)
            if receipt is None:
                break
            drawer.last_receipt_number += 1
            planned.append(receipt)
        if not planned:
            raise RuntimeError("The demo's payment targets ran out.")
        entries = post_entries(
            [
                EntrySpec(
                    entry_date=day,
                    lines=p.lines,
                    memo=f"Receipt {p.receipt.display_number}",
                    idempotency_key=f"receipt:{p.receipt.idempotency_key}",
                    source_document=p.receipt.display_number,
                )
                for p in planned
            ],
            source_module="cashiering",
            prepared_by=clerk,
        )
        for p, entry in zip(planned, entries, strict=True):
            p.receipt.journal_entry = entry
        Receipt.objects.bulk_create([p.receipt for p in planned])
        ReceiptItem.objects.bulk_create([i for p in planned for i in p.items])
        ReceiptTender.objects.bulk_create([t for p in planned for t in p.tenders])
        Drawer.objects.filter(pk=drawer.pk).update(last_receipt_number=drawer.last_receipt_number)
        self.receipts += len(planned)
        self._void_one(clerk, planned)
        self._count(session, clerk, closed)
        verifier = self.users[VERIFIERS[day.toordinal() % len(VERIFIERS)]]
        session.status = SessionStatus.VERIFIED
        session.verified_by = verifier
        session.verified_at = closed + dt.timedelta(minutes=rng.randrange(15, 50))
        session.save(update_fields=["status", "verified_by", "verified_at"])
        return session

    def _plan(self, session, drawer, clerk, posted_at, number) -> Planned | None:
        rng = self.rng
        picks = [self.targets.pick(rng)]
        if rng.random() < 0.08:
            picks.append(self.targets.pick(rng))
        picks = [p for p in picks if p is not None]
        if not picks:
            return None
        day = timezone.localdate(posted_at)
        key = f"{KEY_PREFIX}{day:%Y%m%d}-{drawer.code}-{number:06d}"
        receipt = Receipt(
            session=session,
            drawer=drawer,
            number=number,
            idempotency_key=key,
            posted_at=posted_at,
            total=sum((amount for _, amount in picks), ZERO),
            customer_name=next((m.customer for m, _ in picks if m.customer), "")[:200],
            created_by=clerk,
        )
        display = receipt.display_number
        lines = [LineSpec(self.cash_account, receipt.total, f"Receipt {display}")]
        items = []
        for line, (match, amount) in enumerate(picks, start=1):
            credits = payment_target_type(match.kind).apply_payment(
                match.reference,
                amount=amount,
                as_of=day,
                receipt=display,
                actor=clerk,
                payment_key=f"{key}:{line}",
            )
            lines += [LineSpec(c.account, c.amount, c.memo) for c in credits]
            items.append(
                ReceiptItem(
                    receipt=receipt,
                    line=line,
                    target_kind=match.kind,
                    target_reference=match.reference[:60],
                    description=match.label[:250],
                    customer=match.customer[:200],
                    amount=amount,
                    account=credits[0].account if credits else None,
                )
            )
        no_checks = any(NO_CHECKS_WARNING in m.warnings for m, _ in picks)
        tenders = _tenders(rng, receipt.total, no_checks)
        check = check_tenders(tenders, receipt.total)
        return Planned(receipt, items, _tender_rows(receipt, tenders, check.change_due), lines)

    def _void_one(self, clerk: User, planned: list[Planned]) -> None:
        """About one session in three, a receipt for a fee or an invoice voided the same
        day, a lead approving it at the clerk's window."""
        rng = self.rng
        if rng.random() > 0.35:
            return
        kinds = {"fee", "invoice"}
        candidates = [p for p in planned if {i.target_kind for i in p.items} <= kinds]
        if not candidates:
            return
        chosen = rng.choice(candidates)
        receipt = chosen.receipt
        approver = self.users[rng.choice(VOID_APPROVERS)]
        reason = rng.choice(VOID_REASONS)
        day = timezone.localdate(receipt.posted_at)
        number = receipt.display_number
        original = receipt.journal_entry
        entry = post_entry(
            entry_date=day,
            lines=[
                LineSpec(line.account, -line.amount, f"Void: {line.memo}"[:100])
                for line in JournalLine.objects.filter(entry=original).select_related("account")
            ],
            memo=f"Void of receipt {number}: {reason}"[:200],
            source_module="cashiering",
            source_document=number,
            idempotency_key=f"void:{receipt.idempotency_key}",
            prepared_by=clerk,
            approved_by=approver,
            reverses=original,
        )
        for item in chosen.items:
            payment_target_type(item.target_kind).reverse_payment(
                item.target_reference,
                payment_key=f"{receipt.idempotency_key}:{item.line}",
                as_of=day,
                receipt=number,
                actor=clerk,
                journal_entry=entry,
            )
        receipt.voided_at = receipt.posted_at + dt.timedelta(minutes=rng.randrange(2, 9))
        receipt.void_reason = reason
        receipt.voided_by = clerk
        receipt.void_approved_by = approver
        receipt.void_entry = entry
        receipt.save(
            update_fields=[
                "voided_at",
                "void_reason",
                "voided_by",
                "void_approved_by",
                "void_entry",
            ]
        )
        self.voids += 1

    def _count(self, session: CashSession, clerk: User, closed: dt.datetime) -> None:
        """The clerk's count, as close_and_count writes it: most drawers balance, a few
        are a little over or short (in the cash)."""
        expected = expected_in_drawer(session)
        net = {t.kind: t.net for t in expected["tenders"]}
        cash = expected["cash_expected"]
        if self.rng.random() < OFF_COUNT_SHARE:
            off = to_money(Decimal(self.rng.randrange(1, int(MAX_OFF * 100))) / 100)
            cash += off if self.rng.random() < 0.4 else -off
            self.off += 1
        lines = cash_lines(cash)
        lines += [
            SessionCountLine(
                kind=CountLineKind.CHECK, check_number=tender.check_number, amount=tender.amount
            )
            for tender in expected["checks"]
        ]
        count = SessionCount(
            session=session,
            counted_by=clerk,
            counted_at=closed,
            cash_counted=cash,
            checks_counted=sum((t.amount for t in expected["checks"]), ZERO),
            card_counted=net.get(TenderKind.CARD, ZERO),
            money_order_counted=net.get(TenderKind.MONEY_ORDER, ZERO),
            cash_expected=expected["cash_expected"],
            checks_expected=net.get(TenderKind.CHECK, ZERO),
            card_expected=net.get(TenderKind.CARD, ZERO),
            money_order_expected=net.get(TenderKind.MONEY_ORDER, ZERO),
            over_short=ZERO,
        )
        count.over_short = count.counted_total - count.expected_total
        if count.over_short:
            count.journal_entry = _post_over_short(session, count.over_short, clerk, closed)
        count.save()
        for line in lines:
            line.count = count
        SessionCountLine.objects.bulk_create(lines)


def seed_receipts(log: Callable[[str], None]) -> None:
    """A month of the counter, to the demo's today. Added once."""
    if Receipt.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists():
        log("Cashiering: already seeded.")
        return
    rng = random.Random(SEED)
    names = ["clerk", "clerk2", *VERIFIERS]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    drawers = {d.code: d for d in Drawer.objects.filter(code__in=["D1", "D2", "M1"])}
    writer = SessionWriter(
        rng=rng,
        targets=find_targets(rng),
        cash_account=Account.objects.get(number=CASH_IN_DRAWERS),
        users=users,
    )
    days = demo_days()
    sessions = 0
    for day in days:
        first, second = ("D1", "D2") if day.toordinal() % 2 else ("D2", "D1")
        if day.weekday() == 0:
            second = "M1"
        for clerk, code in ((users["clerk"], first), (users["clerk2"], second)):
            writer.write(day, drawers[code], clerk, rng.randrange(*RECEIPTS_PER_SESSION))
            sessions += 1
    log(
        f"Cashiering: {sessions} sessions over {len(days)} business days, "
        f"{writer.receipts} receipts, {writer.voids} voided, {writer.off} counts over or short."
    )
