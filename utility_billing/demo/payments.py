"""Demo utility payments, imported only by seed_demo (through utility_billing.demo.bills,
which applies them between its bill runs): most customers pay each bill in full around
its due date (some every other month, two bills at once), some late, some in part, a
few overpay (a credit the next bill uses), and a few stopped paying or never paid, so
the aging and the delinquency screens have work.

Each account keeps one habit through the demo's two years. A day's payments are one
batch, applied through the utility account payment target's batch path and posted as a
lockbox day would be (utility_billing.services.payments.post_payment_batch): each fund's
pooled cash against its utility AR control account, one journal entry per fund.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from millbrae_finance.money import ZERO, to_money
from millbrae_finance.payment_targets import BatchPayment
from utility_billing.services.payments import post_payment_batch

SEED = 94036
# (habit, share in 1000, days from the due date the payment is made)
HABITS = [
    ("prompt", 420, 0),  # on the due date (autopay, online bill pay)
    ("two_at_once", 200, 0),  # every second bill's due date, the two bills together
    ("early", 200, -7),  # a week ahead, by mail
    ("late", 80, 16),  # in full, about two weeks late
    ("partial", 50, 0),  # half of each bill, the balance every fourth bill
    ("round_up", 20, -7),  # what is owed rounded up to $25: a small credit rides along
    ("stopped", 22, 0),  # paid on time until a month of the last ten, then nothing
    ("never", 8, 0),  # has not paid a bill of the demo's two years
]
ROUND_UP = Decimal(25)
STOPPED_FROM = dt.date(2026, 1, 1)
STOPPED_MONTHS = 10


class PaymentPlan:
    """The payments the demo's customers make, planned bill by bill as each run posts and
    applied a day at a time, in date order, before the next run is computed."""

    def __init__(self, *, today: dt.date, clerk: AbstractBaseUser) -> None:
        self.rng = random.Random(SEED)
        self.today = today
        self.clerk = clerk
        self.habits: dict[int, tuple[str, int, dt.date | None]] = {}
        self.owed: dict[int, Decimal] = defaultdict(Decimal)  # billed less planned payments
        self.bills_seen: dict[int, int] = defaultdict(int)
        self.pending: dict[dt.date, list[tuple[str, Decimal]]] = defaultdict(list)
        self.payments = self.batches = 0

    def _habit(self, account_id: int) -> tuple[str, int, dt.date | None]:
        if account_id not in self.habits:
            pick = self.rng.randrange(sum(share for _, share, _ in HABITS))
            index = 0
            while pick >= HABITS[index][1]:
                pick -= HABITS[index][1]
                index += 1
            name, _, offset = HABITS[index]
            stop = None
            if name == "stopped":
                month = STOPPED_FROM.month - 1 + self.rng.randrange(STOPPED_MONTHS)
                stop = dt.date(STOPPED_FROM.year + month // 12, month % 12 + 1, 1)
            self.habits[account_id] = (name, offset, stop)
        return self.habits[account_id]

    def plan(self, bills: Iterable[tuple[int, str, Decimal, dt.date]]) -> None:
        """Plan the payment of each of a run's bills: (account id, account number,
        amount, due date), in account order."""
        for account_id, number, amount, due in bills:
            name, offset, stop = self._habit(account_id)
            self.owed[account_id] += amount
            self.bills_seen[account_id] += 1
            day = due + dt.timedelta(days=offset)
            if name == "never" or (stop is not None and due >= stop) or day > self.today:
                continue
            paying = amount
            if name == "two_at_once":
                if self.bills_seen[account_id] % 2:
                    continue
                paying = self.owed[account_id]
            elif name == "partial":
                every_fourth = self.bills_seen[account_id] % 4 == 0
                paying = self.owed[account_id] if every_fourth else to_money(amount / 2)
            elif name == "round_up":
                paying = ROUND_UP * math.ceil(self.owed[account_id] / ROUND_UP)
            if paying <= ZERO:
                continue
            self.owed[account_id] -= paying
            self.pending[day].append((number, paying))

    def apply_before(self, day: dt.date) -> None:
        """Apply, a day's batch at a time, every planned payment made before `day`."""
        for when in sorted(d for d in self.pending if d < day):
            payments = self.pending.pop(when)
            items = [
                BatchPayment(reference=number, amount=amount, receipt=f"L{when:%y%m%d}-{n:04d}")
                for n, (number, amount) in enumerate(payments, start=1)
            ]
            post_payment_batch(
                items,
                as_of=when,
                batch_key=f"demo-utility-payments-{when:%Y%m%d}",
                actor=self.clerk,
                source_document=f"LOCKBOX-{when:%Y%m%d}",
            )
            self.payments += len(items)
            self.batches += 1
