"""Demo receivables history: a year of miscellaneous invoices, parking and administrative
citations, payments at the counter and by mail, and the twice-monthly penalty batch, all
through the same services the screens use, day by day in the order they happened, so
balances, penalties and the general ledger agree to the cent. Added once."""

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import to_money
from millbrae_finance.payment_targets import payment_target_type
from receivables.models import Citation, Customer, Invoice
from receivables.services.citations import issue_citation
from receivables.services.invoices import LineInput, create_invoice, issue_invoice

SEED = 94031
FIRST_DAY = dt.date(2025, 12, 1)
# The demo's "today" is the day before the session that wrote it: nothing is dated later.
LAST_DAY = dt.date(2026, 11, 27)
INVOICES_PER_MONTH = 15
PARKING_PER_MONTH = 40
ADMIN_PER_MONTH = 3
PENALTY_DAYS = (1, 16)
CASH_ACCOUNT = "101-0000-1010"

# (fee code, units range or None, description)
INVOICE_FEES = [
    ("FACILITY-RENTAL", (2, 8), "Community center rental"),
    ("FALSE-ALARM", (3, 5), "False alarm responses"),
    ("DAMAGE-CITY-PROPERTY", (150, 2400), "Repair of damaged city property"),
    ("REINSPECTION", None, "Building permit re-inspection"),
    ("RETURNED-CHECK", None, "Returned check"),
]
PARKING_CODES = ["PKG-EXPIRED-METER", "PKG-EXPIRED-METER", "PKG-RED-ZONE", "PKG-STREET-SWEEP"]
LOCATIONS = [
    "200 block Broadway",
    "El Camino Real at Millbrae Ave",
    "Millbrae BART lot, level 2",
    "300 block Magnolia Ave",
    "Library lot, 1 Library Ave",
    "Chadbourne Ave at Poplar",
]
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass
class Plan:
    """What happens on each day, built up front from the seeded generator."""

    invoices: dict[dt.date, list[tuple]]
    citations: dict[dt.date, list[tuple]]
    payments: dict[dt.date, list[tuple]]


def _days_in(month: dt.date) -> int:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - month).days


def _plate(rng: random.Random) -> str:
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
    return f"{rng.randrange(1, 10)}{letters}{rng.randrange(0, 1000):03d}"


def _plan(rng: random.Random, customers: list[Customer]) -> Plan:
    invoices: dict[dt.date, list[tuple]] = defaultdict(list)
    citations: dict[dt.date, list[tuple]] = defaultdict(list)
    month = FIRST_DAY
    serial = 0
    while month <= LAST_DAY:
        days = _days_in(month)

        def day_in_month(month=month, days=days) -> dt.date | None:
            day = month.replace(day=rng.randrange(1, days + 1))
            return day if day <= LAST_DAY else None

        for _ in range(INVOICES_PER_MONTH):
            if (day := day_in_month()) is not None:
                code, units, description = rng.choice(INVOICE_FEES)
                quantity = Decimal(rng.randrange(*units)) if units else None
                invoices[day].append((rng.choice(customers), code, quantity, description))
        for _ in range(PARKING_PER_MONTH):
            if (day := day_in_month()) is not None:
                serial += 1
                owner = rng.choice(customers) if rng.random() < 0.4 else None
                citations[day].append(
                    ("parking", f"P{day:%y}{serial:05d}", rng.choice(PARKING_CODES), owner)
                )
        for _ in range(ADMIN_PER_MONTH):
            if (day := day_in_month()) is not None:
                serial += 1
                citations[day].append(
                    ("administrative", f"A{day:%y}{serial:05d}", "ADMIN-CITATION", None)
                )
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return Plan(invoices, citations, defaultdict(list))


def seed_billing(log: Callable[[str], None]) -> None:
    if Invoice.objects.exists() or Citation.objects.exists():
        log("Receivables billing: already seeded.")
        return
    rng = random.Random(SEED)
    tech = User.objects.get(username="tech")
    clerk = User.objects.get(username="clerk")
    senior = User.objects.get(username="senior")
    customers = list(Customer.objects.active().order_by("pk"))
    cash = Account.objects.get(number=CASH_ACCOUNT)
    plan = _plan(rng, customers)
    run_batch = _penalty_batch_runner()
    counts: dict[str, int] = defaultdict(int)
    day = FIRST_DAY
    while day <= LAST_DAY:
        # Each service is its own durable transaction, as at the counter.
        for customer, code, quantity, description in plan.invoices.get(day, []):
            invoice = _invoice(customer, code, quantity, description, day, rng, tech)
            counts["invoices"] += 1
            if invoice.status == "issued":
                _schedule_payment(plan, rng, "invoice", invoice.number, invoice.total, day)
        for kind, number, code, owner in plan.citations.get(day, []):
            citation = _citation(kind, number, code, owner, day, rng, tech, customers)
            counts["citations"] += 1
            _schedule_payment(plan, rng, "citation", number, citation.fine_amount, day)
        for target, reference, share in plan.payments.get(day, []):
            if _pay(target, reference, share, day, cash, clerk):
                counts["payments"] += 1
        if run_batch is not None and day.day in PENALTY_DAYS:
            batch = run_batch(day, idempotency_key=f"demo-penalties-{day}", actor=senior)
            counts["penalty charges"] += batch.items_charged
        day += dt.timedelta(days=1)
    log("Receivables billing: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")


def _penalty_batch_runner():
    try:
        from receivables.services.penalties import run_penalty_batch
    except ImportError:  # the penalty batch arrives with its own module
        return None
    return run_penalty_batch


def _invoice(customer, code, quantity, description, day, rng, tech) -> Invoice:
    invoice = create_invoice(
        customer,
        invoice_date=day,
        terms_days=rng.choice([30, 30, 30, 15, 45]),
        description=description,
        lines=[LineInput(fee_code=code, units=quantity)],
        actor=tech,
    )
    # The last week's invoices wait, as drafts, for a technician to check and issue them.
    if day > LAST_DAY - dt.timedelta(days=6) and rng.random() < 0.5:
        return invoice
    return issue_invoice(invoice, actor=tech)


def _citation(kind, number, code, owner, day, rng, tech, customers) -> Citation:
    return issue_citation(
        number=number,
        kind=kind,
        issue_date=day,
        violation_code=code,
        # Administrative citations go to a few dozen businesses and residents, repeatedly.
        customer=owner if kind == "parking" else rng.choice(customers[:60]),
        plate=_plate(rng) if kind == "parking" else "",
        location=rng.choice(LOCATIONS),
        officer=f"Badge {rng.randrange(100, 140)}",
        actor=tech,
    )


def _schedule_payment(plan: Plan, rng: random.Random, target, reference, amount, day) -> None:
    """Most pay in full within their terms; some pay late (after a penalty), some in
    part, some never (the aging, notices and collections have work)."""
    roll = rng.random()
    if roll < 0.55:
        when, share = day + dt.timedelta(days=rng.randrange(3, 20)), None
    elif roll < 0.7:
        when, share = day + dt.timedelta(days=rng.randrange(35, 80)), None
    elif roll < 0.8:
        when, share = day + dt.timedelta(days=rng.randrange(5, 40)), to_money(amount / 2)
    else:
        return
    if when <= LAST_DAY:
        plan.payments[when].append((target, reference, share))


def _pay(target, reference, share, day, cash, clerk) -> bool:
    """Pay through the registry, as the counter will: the whole balance that day, or the
    part planned; the cash and the credits to AR in one entry."""
    target_type = payment_target_type(target)
    try:
        due = target_type.amount_due(reference, as_of=day)
    except ValidationError:  # dismissed or void since: nothing to pay
        return False
    amount = due if share is None else min(share, due)
    if amount <= 0:
        return False
    receipt = f"R-DEMO-{reference}-{day:%m%d}"
    with transaction.atomic():
        _post_payment(target_type, reference, amount, day, receipt, cash, clerk)
    return True


def _post_payment(target_type, reference, amount, day, receipt, cash, clerk) -> None:
    key = f"demo-{receipt}"
    credits = target_type.apply_payment(
        reference, amount=amount, as_of=day, receipt=receipt, actor=clerk, payment_key=key
    )
    post_entry(
        entry_date=day,
        lines=[LineSpec(cash, amount, receipt)]
        + [LineSpec(line.account, line.amount, line.memo) for line in credits],
        memo=f"Payment on {reference}",
        source_module="cashiering",
        source_document=receipt,
        idempotency_key=key,
        prepared_by=clerk,
    )


def seed_collections(log: Callable[[str], None]) -> None:
    """The follow-up work of the demo year: past-due notices, a few old citations with
    the collection agency, an approved and a pending write-off, an approved and a
    pending credit memo, so the home-page queues and the collection screens have work."""
    from receivables.models import CreditMemo, DunningNotice, WriteOff
    from receivables.services.credit_memos import approve_credit_memo, prepare_credit_memo
    from receivables.services.dunning import send_notices
    from receivables.services.referrals import refer_items
    from receivables.services.write_offs import approve_write_off, request_write_off

    if DunningNotice.objects.exists() or WriteOff.objects.exists():
        log("Receivables follow-up: already seeded.")
        return
    tech = User.objects.get(username="tech")
    senior = User.objects.get(username="senior")
    supervisor = User.objects.get(username="supervisor")
    notices = 0
    for day in (dt.date(2026, 10, 15), dt.date(2026, 11, 2), dt.date(2026, 11, 20)):
        notices += send_notices(day, actor=senior).created
    oldest = list(
        Citation.objects.open().filter(issue_date__lt=dt.date(2026, 4, 1)).order_by("id")[:8]
    )
    refer_items(
        oldest[:5],
        agency="Peninsula Recovery Services",
        referred_on=dt.date(2026, 11, 5),
        actor=tech,
    )
    stale = Invoice.objects.open().order_by("due_date", "id")
    approved = request_write_off(
        stale[0],
        amount=stale[0].balance,
        reason="Business closed; owner's whereabouts unknown after two notices.",
        write_off_date=dt.date(2026, 11, 10),
        actor=tech,
    )
    approve_write_off(approved, actor=supervisor)
    request_write_off(
        oldest[5],
        amount=oldest[5].balance,
        reason="Out-of-state plate; registered owner could not be found.",
        write_off_date=dt.date(2026, 11, 24),
        actor=tech,
    )
    recent = Invoice.objects.open().filter(invoice_date__gte=dt.date(2026, 11, 1))
    recent = list(recent.order_by("id")[:2])
    memo = prepare_credit_memo(
        recent[0],
        amount=to_money(recent[0].balance / 2),
        reason="Room was closed for half the booking (HVAC repair).",
        credit_date=dt.date(2026, 11, 20),
        actor=tech,
    )
    approve_credit_memo(memo, actor=senior)
    prepare_credit_memo(
        recent[1],
        amount=recent[1].balance,
        reason="Billed in error: the permit holder paid at the counter the same day.",
        credit_date=dt.date(2026, 11, 25),
        actor=tech,
    )
    log(
        f"Receivables follow-up: {notices} notices, 5 referrals, 2 write-offs, "
        f"{CreditMemo.objects.count()} credit memos."
    )
