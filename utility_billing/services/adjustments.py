"""Adjustments to utility accounts: prepared by finance staff, approved (and so posted)
or rejected by a lead who did not prepare them (models/adjustments.py says what each
kind is).

Approving posts one journal entry through the ledger's posting service, keyed by the
adjustment (a double-clicked Approve posts once), and one subledger movement per account
and fund, each with a unique cause; the adjustment, its entry and its movements commit
together. Locks: the accounts (by id), then the adjustment, everywhere.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from ledger.models import Account, Subledger
from ledger.queries.calendar import period_for_date
from ledger.services import (
    DUE_FROM_OBJECT,
    DUE_TO_OBJECT,
    INTERFUND_DEPARTMENT,
    LineSpec,
    post_entry,
)
from millbrae_finance.money import ZERO, split_by_weights, to_money, to_quantity
from millbrae_finance.roles import FINANCE_STAFF, Role, has_role
from utility_billing.models import (
    AdjustmentKind,
    AdjustmentStatus,
    Bill,
    BillLine,
    BillRunStatus,
    LeakAdjustmentPolicy,
    UtilityAccount,
    UtilityAdjustment,
    UtilityTransaction,
    UtilityTransactionKind,
)
from utility_billing.models.rates import VOLUMETRIC_KINDS
from utility_billing.queries.adjustments import adjustable_revenue_accounts, policy_in_force

SOURCE_MODULE = "utility_billing"
ADJUSTMENT_PREPARERS = FINANCE_STAFF
# Lead duties (DESIGN.md): approving what a technician prepared.
ADJUSTMENT_APPROVERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
MAX_REASON_CHARS = 2000
MOVEMENT_KIND = {
    AdjustmentKind.LEAK: UtilityTransactionKind.CREDIT,
    AdjustmentKind.FIXED: UtilityTransactionKind.ADJUSTMENT,
    AdjustmentKind.REVERSAL: UtilityTransactionKind.ADJUSTMENT,
    AdjustmentKind.TRANSFER: UtilityTransactionKind.TRANSFER,
}


# ---------------------------------------------------------------- the leak credit


@dataclass
class LeakPart:
    """Excess units priced at one of the bill's use lines."""

    line: BillLine
    units: Decimal
    amount: Decimal


@dataclass
class LeakWorking:
    """A leak credit and how it was worked out, in words a customer can follow."""

    policy: LeakAdjustmentPolicy
    consumption: Decimal
    average: Decimal
    bills_averaged: int
    excess: Decimal
    parts: list[LeakPart] = field(default_factory=list)
    priced: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def arithmetic(self) -> str:
        share = self.policy.share_percent
        priced = "; ".join(
            f"{part.units} HCF x ${_rate(part.line.rate)} = ${part.amount:,.2f}"
            for part in self.parts
        )
        return "\n".join(
            [
                f"Use on the bill: {self.consumption} HCF.",
                f"Average use of the {self.bills_averaged} bill(s) in the "
                f"{self.policy.average_months} months before it: {self.average} HCF.",
                f"Over the average: {self.consumption} - {self.average} = {self.excess} HCF.",
                f"Priced at the bill's use rates, top tier first: {priced}; "
                f"total ${self.priced:,.2f}.",
                f"Credit under {self.policy}: {share} of ${self.priced:,.2f} = "
                f"${self.credit:,.2f}.",
            ]
        )


def _rate(rate: Decimal) -> str:
    """A rate as the rate schedule shows it: to the cent, or to its own places past it."""
    places = max(2, -rate.normalize().as_tuple().exponent)
    return f"{rate:,.{places}f}"


def leak_working(bill: Bill, policy: LeakAdjustmentPolicy) -> LeakWorking:
    """The credit the policy gives for a bill: the use over the account's average of its
    posted bills in the policy's months before this one, priced at this bill's water use
    lines from the last (the highest tier) down, times the policy's share. Sewer is not
    credited: a residence's sewer use is capped at its winter average already."""
    since = bill.period_start - relativedelta(months=policy.average_months)
    history = Bill.objects.filter(
        account_id=bill.account_id,
        run__status=BillRunStatus.POSTED,
        period_end__lt=bill.period_start,
        period_end__gte=since,
    ).aggregate(average=Avg("consumption"), count=Count("id"))
    if not history["count"]:
        raise ValidationError(
            {
                "bill": f"No earlier bill in the {policy.average_months} months before this one "
                "to take the account's average use from."
            }
        )
    average = to_quantity(history["average"])
    excess = bill.consumption - average
    if excess <= 0:
        raise ValidationError(
            {
                "bill": f"The bill's use, {bill.consumption} HCF, is not over the account's "
                f"average, {average} HCF: there is no excess to credit."
            }
        )
    working = LeakWorking(policy, bill.consumption, average, history["count"], excess)
    lines = bill.lines.filter(service_kind="water", charge_kind__in=VOLUMETRIC_KINDS)
    left = excess
    for line in lines.select_related("revenue_account").order_by("-position"):
        if left <= 0:
            break
        units = min(left, line.quantity or ZERO)
        if units <= 0:
            continue
        working.parts.append(LeakPart(line, units, to_money(units * line.rate)))
        left -= units
    if not working.parts:
        raise ValidationError({"bill": "The bill has no water use charge to credit."})
    working.priced = sum((part.amount for part in working.parts), ZERO)
    working.credit = to_money(working.priced * policy.credit_share)
    if working.credit <= 0:
        raise ValidationError({"bill": "The policy's share of the excess is less than a cent."})
    return working


# ---------------------------------------------------------------- preparing


def _check_preparer(actor: AbstractBaseUser) -> None:
    if not has_role(actor, *ADJUSTMENT_PREPARERS):
        raise PermissionDenied("Finance staff prepare adjustments.")


def _clean_text(text: str) -> str:
    return (text or "").replace("\x00", "").strip()


def _common_errors(reason: str, adjustment_date: dt.date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Say why the account is adjusted."
    elif len(reason) > MAX_REASON_CHARS:
        errors["reason"] = f"Keep the reason under {MAX_REASON_CHARS:,} characters."
    if adjustment_date is None:
        errors["adjustment_date"] = "Enter the date of the adjustment."
    elif adjustment_date > timezone.localdate():
        errors["adjustment_date"] = "An adjustment is dated today or earlier."
    else:
        try:
            period = period_for_date(adjustment_date)
        except ValidationError:
            errors["adjustment_date"] = f"No fiscal period covers {adjustment_date:%m/%d/%Y}."
        else:
            if not period.is_open:
                errors["adjustment_date"] = (
                    f"{period} is closed to posting: date the adjustment in an open period."
                )
    return errors


def _create(
    account: UtilityAccount,
    *,
    kind: str,
    idempotency_key: str,
    actor: AbstractBaseUser,
    build,
) -> UtilityAdjustment:
    """Lock the account, return the adjustment a repeated key made, else check and write:
    `build(account)` gives the adjustment's values or raises the errors."""
    _check_preparer(actor)
    if not idempotency_key:
        raise ValidationError("The form expired: open it again.")
    with transaction.atomic(durable=True):
        account = UtilityAccount.objects.select_for_update().get(pk=account.pk)
        repeat = UtilityAdjustment.objects.filter(idempotency_key=idempotency_key).first()
        if repeat is not None:
            if repeat.account_id != account.pk or repeat.prepared_by_id != actor.pk:
                raise ValidationError("The form expired: open it again.")
            return repeat
        values = build(account)
        return UtilityAdjustment.objects.create(
            account=account,
            kind=kind,
            idempotency_key=idempotency_key,
            prepared_by=actor,
            **values,
        )


def _posted_bill(account: UtilityAccount, bill: Bill | None) -> Bill:
    if bill is None or bill.account_id != account.pk:
        raise ValidationError({"bill": "Choose one of this account's bills."})
    if bill.run.status != BillRunStatus.POSTED:
        raise ValidationError({"bill": f"Bill {bill.number} is not posted."})
    return bill


def prepare_leak_adjustment(
    account: UtilityAccount,
    *,
    bill: Bill | None,
    repair_date: dt.date | None,
    repair_proof: str,
    reason: str,
    adjustment_date: dt.date | None,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> UtilityAdjustment:
    """Prepare a leak credit on a posted bill by the policy in force on the adjustment
    date: refused if the account had one within the policy's months, or when the policy
    asks for proof of the repair and none is given."""
    reason, repair_proof = _clean_text(reason), _clean_text(repair_proof)

    def build(account: UtilityAccount) -> dict:
        errors = _common_errors(reason, adjustment_date)
        policy = policy_in_force(adjustment_date) if adjustment_date else None
        if adjustment_date and policy is None and "adjustment_date" not in errors:
            errors["adjustment_date"] = (
                f"No leak adjustment policy is in force on {adjustment_date:%m/%d/%Y}."
            )
        if policy is not None and policy.repair_proof_required:
            if not repair_proof:
                errors["repair_proof"] = (
                    "The policy asks for proof of the repair: name the plumber's invoice "
                    "or receipt."
                )
            if repair_date is None:
                errors["repair_date"] = "Enter the date the leak was repaired."
        if repair_date is not None and repair_date > timezone.localdate():
            errors["repair_date"] = "The repair date is today or earlier."
        working = None
        try:
            chosen = _posted_bill(account, bill)
            if policy is not None:
                working = leak_working(chosen, policy)
        except ValidationError as error:
            errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
        if policy is not None and adjustment_date is not None:
            since = adjustment_date - relativedelta(months=policy.once_in_months)
            earlier = (
                UtilityAdjustment.objects.standing()
                .filter(account=account, kind=AdjustmentKind.LEAK, adjustment_date__gt=since)
                .order_by("-adjustment_date")
                .first()
            )
            if earlier is not None:
                errors["bill"] = (
                    f"Account {account.number} had a leak adjustment, {earlier.number} dated "
                    f"{earlier.adjustment_date:%m/%d/%Y}, within the last "
                    f"{policy.once_in_months} months: the policy allows one in "
                    f"{policy.once_in_months} months."
                )
        if errors:
            raise ValidationError(errors)
        return {
            "amount": -working.credit,
            "adjustment_date": adjustment_date,
            "reason": reason,
            "bill": bill,
            "policy": policy,
            "consumption": working.consumption,
            "average_consumption": working.average,
            "excess": working.excess,
            "repair_date": repair_date,
            "repair_proof": repair_proof[:250],
            "arithmetic": working.arithmetic,
        }

    return _create(
        account,
        kind=AdjustmentKind.LEAK,
        idempotency_key=idempotency_key,
        actor=actor,
        build=build,
    )


def prepare_fixed_adjustment(
    account: UtilityAccount,
    *,
    amount: Decimal | None,
    revenue_account: Account | None,
    reason: str,
    adjustment_date: dt.date | None,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> UtilityAdjustment:
    """Prepare a charge (a positive amount) or a credit (negative) to the account, against
    a revenue account of a utility fund."""
    reason = _clean_text(reason)

    def build(account: UtilityAccount) -> dict:
        errors = _common_errors(reason, adjustment_date)
        if amount is None or amount == 0:
            errors["amount"] = "Enter an amount other than zero."
        elif amount != to_money(amount):
            errors["amount"] = f"{amount} is not an amount to the cent."
        if (
            revenue_account is None
            or not adjustable_revenue_accounts().filter(pk=revenue_account.pk).exists()
        ):
            errors["revenue_account"] = "Choose a revenue account of a utility fund."
        if errors:
            raise ValidationError(errors)
        return {
            "amount": amount,
            "revenue_account": revenue_account,
            "adjustment_date": adjustment_date,
            "reason": reason,
        }

    return _create(
        account,
        kind=AdjustmentKind.FIXED,
        idempotency_key=idempotency_key,
        actor=actor,
        build=build,
    )


def prepare_reversal(
    account: UtilityAccount,
    *,
    bill_line: BillLine | None = None,
    reverses: UtilityAdjustment | None = None,
    reason: str,
    adjustment_date: dt.date | None,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> UtilityAdjustment:
    """Prepare the reversal of a charge on one of the account's posted bills, or of one of
    its approved adjustments; each is reversed once."""
    reason = _clean_text(reason)

    def build(account: UtilityAccount) -> dict:
        errors = _common_errors(reason, adjustment_date)
        values: dict = {}
        if (bill_line is None) == (reverses is None):
            errors["bill_line"] = "Choose a charge of a bill or an adjustment to reverse."
        elif bill_line is not None:
            bill = bill_line.bill
            if bill.account_id != account.pk or bill.run.status != BillRunStatus.POSTED:
                errors["bill_line"] = "Choose a charge on one of this account's posted bills."
            elif (
                UtilityAdjustment.objects.standing()
                .filter(kind=AdjustmentKind.REVERSAL, bill_line=bill_line)
                .exists()
            ):
                errors["bill_line"] = f"That charge of bill {bill.number} is reversed already."
            values = {"bill_line": bill_line, "bill": bill, "amount": -bill_line.amount}
        else:
            if reverses.account_id != account.pk or reverses.status != AdjustmentStatus.APPROVED:
                errors["reverses"] = "Choose one of this account's approved adjustments."
            elif reverses.kind == AdjustmentKind.REVERSAL:
                errors["reverses"] = (
                    f"{reverses.number} is a reversal itself: prepare a new adjustment instead."
                )
            elif UtilityAdjustment.objects.standing().filter(reverses=reverses).exists():
                errors["reverses"] = f"{reverses.number} is reversed already."
            values = {"reverses": reverses, "amount": -reverses.amount}
        if errors:
            raise ValidationError(errors)
        return {**values, "adjustment_date": adjustment_date, "reason": reason}

    return _create(
        account,
        kind=AdjustmentKind.REVERSAL,
        idempotency_key=idempotency_key,
        actor=actor,
        build=build,
    )


def balances_by_control(account_id: int) -> dict[int, Decimal]:
    """An account's balance in each utility AR control account (one per fund)."""
    rows = (
        UtilityTransaction.objects.filter(account_id=account_id)
        .values("control_account_id")
        .annotate(total=Sum("amount"))
        .order_by("control_account_id")
    )
    return {row["control_account_id"]: row["total"] for row in rows if row["total"]}


def prepare_transfer(
    account: UtilityAccount,
    *,
    to_account: UtilityAccount | None,
    reason: str,
    adjustment_date: dt.date | None,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> UtilityAdjustment:
    """Prepare the transfer of the account's whole balance (owed or a credit), fund by
    fund, to another utility account (a closed account's to the customer's new one)."""
    reason = _clean_text(reason)

    def build(account: UtilityAccount) -> dict:
        errors = _common_errors(reason, adjustment_date)
        if to_account is None:
            errors["to_account"] = "Choose the account the balance goes to."
        elif to_account.pk == account.pk:
            errors["to_account"] = "A balance is transferred to another account, not this one."
        balance = sum(balances_by_control(account.pk).values(), ZERO)
        if balance == 0:
            errors["amount"] = f"Account {account.number} has no balance to transfer."
        if errors:
            raise ValidationError(errors)
        return {
            "to_account": to_account,
            "amount": balance,
            "adjustment_date": adjustment_date,
            "reason": reason,
        }

    return _create(
        account,
        kind=AdjustmentKind.TRANSFER,
        idempotency_key=idempotency_key,
        actor=actor,
        build=build,
    )


# ---------------------------------------------------------------- deciding


def _check_decider(adjustment: UtilityAdjustment, actor: AbstractBaseUser) -> None:
    if not has_role(actor, *ADJUSTMENT_APPROVERS):
        raise PermissionDenied(
            "A Senior Accounting Technician or the Finance Supervisor decides adjustments."
        )
    if adjustment.prepared_by_id == actor.pk:
        # Segregation of duties: whoever prepares a thing never approves it.
        raise ValidationError(
            f"You prepared {adjustment.number}: another lead or the supervisor must decide it."
        )


def _controls() -> dict[int, Account]:
    """The utility AR control account of each fund, by fund id."""
    controls: dict[int, Account] = {}
    for account in (
        Account.objects.postable()
        .filter(control_subledger=Subledger.UTILITY_AR)
        .select_related("fund")
        .order_by("number")
    ):
        controls.setdefault(account.fund_id, account)
    return controls


Movement = tuple[int, Account, Decimal]  # (utility account id, control account, amount)


def _against_revenue(
    adjustment: UtilityAdjustment, parts: list[tuple[Account, Decimal]]
) -> tuple[list[Movement], list[LineSpec]]:
    """Movements on the account in the control account of each revenue account's fund, and
    the revenue lines opposite them; `parts` are signed as the account's movements are."""
    controls = _controls()
    by_control: dict[int, Decimal] = defaultdict(Decimal)
    control_of: dict[int, Account] = {}
    # One line per revenue account (a leak's tiers share one).
    by_revenue: dict[int, Decimal] = defaultdict(Decimal)
    revenue_of: dict[int, Account] = {}
    for revenue, amount in parts:
        by_revenue[revenue.pk] += amount
        revenue_of[revenue.pk] = revenue
    lines = []
    for pk, amount in sorted(by_revenue.items()):
        revenue = revenue_of[pk]
        control = controls.get(revenue.fund_id)
        if control is None:
            raise ValidationError(
                f"Fund {revenue.fund.code} has no utility AR control account in the chart."
            )
        by_control[control.pk] += amount
        control_of[control.pk] = control
        lines.append(LineSpec(revenue, -amount, f"{adjustment.number}: {adjustment.reason}"[:250]))
    movements = [
        (adjustment.account_id, control_of[pk], total)
        for pk, total in sorted(by_control.items())
        if total
    ]
    return movements, lines


def _posting(adjustment: UtilityAdjustment) -> tuple[list[Movement], list[LineSpec]]:
    """What approving posts: the movements, and the entry's other lines."""
    kind = adjustment.kind
    if kind == AdjustmentKind.LEAK:
        working = leak_working(adjustment.bill, adjustment.policy)
        accounts = [part.line.revenue_account for part in working.parts]
        shares = split_by_weights(-adjustment.amount, [part.amount for part in working.parts])
        return _against_revenue(
            adjustment, [(acct, -share) for acct, share in zip(accounts, shares, strict=True)]
        )
    if kind == AdjustmentKind.FIXED:
        return _against_revenue(adjustment, [(adjustment.revenue_account, adjustment.amount)])
    if kind == AdjustmentKind.REVERSAL and adjustment.bill_line_id:
        line = adjustment.bill_line
        return _against_revenue(adjustment, [(line.revenue_account, adjustment.amount)])
    if kind == AdjustmentKind.REVERSAL:
        original = adjustment.reverses
        movements = [
            (tx.account_id, tx.control_account, -tx.amount)
            for tx in UtilityTransaction.objects.filter(journal_entry=original.journal_entry_id)
            .select_related("control_account")
            .order_by("id")
        ]
        # The original's other lines mirrored; not its control lines (the movements give
        # those) nor the interfund lines the posting service added (it adds them again).
        controls = {control.pk for _, control, _ in movements}
        interfund = (
            f"-{INTERFUND_DEPARTMENT}-{DUE_FROM_OBJECT}",
            f"-{INTERFUND_DEPARTMENT}-{DUE_TO_OBJECT}",
        )
        lines = [
            LineSpec(line.account, -line.amount, f"{adjustment.number}: reversal")
            for line in original.journal_entry.lines.select_related("account").order_by("id")
            if line.account_id not in controls and not line.account.number.endswith(interfund)
        ]
        return movements, lines
    # A transfer: each fund's balance leaves the account and arrives at the other.
    balances = balances_by_control(adjustment.account_id)
    if sum(balances.values(), ZERO) != adjustment.amount:
        raise ValidationError(
            f"Account {adjustment.account.number}'s balance changed since {adjustment.number} "
            "was prepared: reject it and prepare the transfer again."
        )
    controls = Account.objects.in_bulk(list(balances))
    movements = []
    for pk, balance in sorted(balances.items()):
        movements.append((adjustment.account_id, controls[pk], -balance))
        movements.append((adjustment.to_account_id, controls[pk], balance))
    return movements, []


def approve_adjustment(adjustment: UtilityAdjustment, *, actor: AbstractBaseUser):
    """Approve and post a pending adjustment: its entry (keyed by the adjustment: posted
    once whoever retries) and its movements. An approved one is returned as it is."""
    _check_decider(adjustment, actor)
    with transaction.atomic(durable=True):
        ids = sorted({adjustment.account_id, adjustment.to_account_id or adjustment.account_id})
        list(UtilityAccount.objects.select_for_update().filter(pk__in=ids).order_by("id"))
        adjustment = (
            UtilityAdjustment.objects.select_for_update(of=("self",))
            .select_related(
                "account",
                "bill",
                "bill__run",
                "bill_line",
                "bill_line__revenue_account",
                "policy",
                "revenue_account",
                "revenue_account__fund",
                "reverses",
                "reverses__journal_entry",
            )
            .get(pk=adjustment.pk)
        )
        if adjustment.status == AdjustmentStatus.APPROVED:
            return adjustment
        if adjustment.status != AdjustmentStatus.PENDING:
            raise ValidationError(f"{adjustment.number} was rejected; it cannot be approved.")
        movements, other_lines = _posting(adjustment)
        memo = f"{adjustment.number} {adjustment.get_kind_display().lower()}: {adjustment.reason}"
        control_lines = [
            LineSpec(control, amount, f"{adjustment.number} account {account_id}")
            for account_id, control, amount in movements
        ]
        try:
            entry = post_entry(
                entry_date=adjustment.adjustment_date,
                lines=control_lines + other_lines,
                memo=memo[:250],
                source_module=SOURCE_MODULE,
                source_document=adjustment.number,
                idempotency_key=f"utility-adjustment-{adjustment.pk}",
                prepared_by=adjustment.prepared_by,
                approved_by=actor,
                reverses=adjustment.reverses.journal_entry if adjustment.reverses_id else None,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "entry_date" in error.error_dict:
                raise ValidationError(
                    f"{error.message_dict['entry_date'][0]} Reject {adjustment.number} and "
                    "prepare it again dated in an open period."
                ) from error
            raise
        now = timezone.now()
        UtilityTransaction.objects.bulk_create(
            UtilityTransaction(
                account_id=account_id,
                bill_id=adjustment.bill_id,
                kind=MOVEMENT_KIND[adjustment.kind],
                control_account=control,
                amount=amount,
                transaction_date=adjustment.adjustment_date,
                memo=memo[:250],
                reference=adjustment.number,
                cause=f"{adjustment.number}:account-{account_id}:fund-{control.fund.code}",
                journal_entry=entry,
                created_by=actor,
                created_at=now,
            )
            for account_id, control, amount in movements
        )
        adjustment.status = AdjustmentStatus.APPROVED
        adjustment.journal_entry = entry
        adjustment.decided_by = actor
        adjustment.decided_at = now
        adjustment.save(update_fields=["status", "journal_entry", "decided_by", "decided_at"])
    return adjustment


def reject_adjustment(
    adjustment: UtilityAdjustment, *, note: str, actor: AbstractBaseUser
) -> UtilityAdjustment:
    """Reject a pending adjustment, saying why; nothing posts."""
    _check_decider(adjustment, actor)
    note = _clean_text(note)
    if not note:
        raise ValidationError({"note": "Say why the adjustment is rejected."})
    with transaction.atomic(durable=True):
        UtilityAccount.objects.select_for_update().filter(pk=adjustment.account_id).first()
        adjustment = UtilityAdjustment.objects.select_for_update().get(pk=adjustment.pk)
        if adjustment.status == AdjustmentStatus.REJECTED:
            return adjustment
        if adjustment.status != AdjustmentStatus.PENDING:
            raise ValidationError(f"{adjustment.number} is approved and posted; it stands.")
        adjustment.status = AdjustmentStatus.REJECTED
        adjustment.decided_by = actor
        adjustment.decided_at = timezone.now()
        adjustment.decision_note = note[:MAX_REASON_CHARS]
        adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return adjustment
