"""Utility accounts as payment targets (registered with the payment-target registry):
the counter finds an account by number, customer name or any part of the service
address, sees what is due, and a payment goes to the oldest bill first.

Allocation: bills oldest first (due date, then bill); a bill paid in part is paid in
each fund in proportion to what is open in it (largest remainder, to the cent), so each
fund's utility AR control account is credited with what the payment paid of its charge.
More than is open becomes a credit on the account: a payment movement on no bill, held
in the first utility AR control account, consumed by the oldest open bills as
utility_billing.queries.payments describes.

A payment is applied once per key: each movement's cause is "<key>:bill-<id>:fund-<code>"
(or "<key>:fund-<code>" for the credit), unique in the database, and the account is
locked before the key is looked for, so a repeat (sequential, or twenty at once) returns
the first payment's credit lines and writes nothing.

Payment batches (`apply_payments`, the registry's batch path): a day's payments checked
together, every account's open parts read in one query, allocated here as a single
payment is, and written with one COPY; one credit line per control account for the
batch. Payment n of batch K is the payment with key "K:n": its movements' causes are
"K:n:bill-<id>:fund-<code>" (or "K:n:fund-<code>"). `post_payment_batch` applies a batch
and posts its cash, one journal entry per fund."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ledger.models import Account, JournalEntry
from ledger.services import EntrySpec, LineSpec, post_entries
from millbrae_finance.money import ZERO, allocate_oldest_first, split_by_weights
from millbrae_finance.payment_targets import (
    MAX_BATCH_KEY,
    BatchPayment,
    CreditLine,
    TargetMatch,
    payment_target_type,
)
from utility_billing.models import UtilityAccount, UtilityTransaction, UtilityTransactionKind
from utility_billing.models.locations import OPEN_ACCOUNT_STATUSES
from utility_billing.queries.accounts import account_list
from utility_billing.queries.payments import (
    OpenPart,
    applied_batch,
    balance_as_of,
    balances,
    credit_control_account,
    credit_lines,
    open_parts,
    open_parts_by_account,
    repeated_payment,
)
from utility_billing.services.referrals import record_referral_recovery

CHECKS_WARNING = "Do not accept checks"


def _account_for(reference: str, *, lock: bool = False) -> UtilityAccount:
    rows = UtilityAccount.objects.all()
    if lock:
        rows = rows.select_for_update()
    account = rows.filter(number=(reference or "").strip()).first()
    if account is None:
        raise ValidationError({"reference": f"No utility account {reference}."})
    return account


def _check_amount(amount: Decimal) -> None:
    if amount <= 0:
        raise ValidationError({"amount": "The payment must be more than zero."})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": f"{amount} is not an amount to the cent."})


def allocate(parts: Sequence[OpenPart], amount: Decimal) -> tuple[list, Decimal]:
    """What a payment pays of each open part (bills oldest first; a bill's funds in
    proportion to what is open in each), and what is left over (the account's credit)."""
    bills: dict[tuple, list[OpenPart]] = {}
    for part in parts:
        # Parts on no bill are each their own item.
        key = ("bill", part.bill_id) if part.bill_id else ("part", part.control_account_id)
        bills.setdefault(key, []).append(part)
    groups = list(bills.values())
    totals = [sum((p.open for p in group), ZERO) for group in groups]
    shares, left = allocate_oldest_first(amount, totals)
    paid = []
    for group, total, share in zip(groups, totals, shares, strict=True):
        if share <= 0:
            continue
        if share == total:
            splits = [p.open for p in group]
        elif len(group) == 1:
            splits = [share]
        else:
            splits = split_by_weights(share, [p.open for p in group])
        paid.extend((part, split) for part, split in zip(group, splits, strict=True) if split > 0)
    return paid, left


def _allocate_in_place(parts: list[OpenPart], amount: Decimal) -> tuple[list, Decimal]:
    """`allocate`, for a batch: what a payment pays of each part, the parts left with
    what is still open after it (the next payment of the account in the batch pays
    that), and what is left over."""
    paid, left = allocate(parts, amount)
    paid_of = {id(part): share for part, share in paid}
    parts[:] = [
        replace(part, open=part.open - paid_of[id(part)]) if id(part) in paid_of else part
        for part in parts
        if part.open - paid_of.get(id(part), ZERO) > 0
    ]
    return paid, left


COPY_PAYMENTS = (
    "COPY utility_billing_utilitytransaction (account_id, bill_id, kind, control_account_id,"
    " amount, transaction_date, memo, reference, cause, created_by_id, created_at) FROM STDIN"
)


class UtilityAccountTarget:
    key = "utility-account"
    label = "Utility account"
    supports_payment_batches = True

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Accounts by number, customer name, or any part of the service address or
        parcel number, with what each owes today."""
        accounts = list(account_list(q=text)[:limit])
        owed = balances([a.pk for a in accounts], as_of=timezone.localdate())
        matches = []
        for account in accounts:
            customer = account.customer
            warnings = [CHECKS_WARNING] if customer.refuses_checks() else []
            if account.status not in OPEN_ACCOUNT_STATUSES:
                warnings.append(f"Account {account.get_status_display().lower()}")
            balance = owed.get(account.pk, ZERO)
            matches.append(
                TargetMatch(
                    kind=self.key,
                    reference=account.number,
                    label=f"Utility account {account.number}, {account.location.address}"
                    + (f" (credit {-balance:,.2f})" if balance < 0 else ""),
                    customer=f"{customer.number} {customer.name}",
                    amount_due=max(balance, ZERO),
                    warnings=tuple(warnings),
                )
            )
        return matches

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        return max(balance_as_of(_account_for(reference), as_of), ZERO)

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        # Locked first: a repeat racing this one waits here, then finds its movements.
        account = _account_for(reference, lock=True)
        if (first := self._repeat(payment_key, account, amount, receipt)) is not None:
            return first
        _check_amount(amount)
        if not receipt:
            raise ValidationError({"receipt": "A payment names its receipt."})
        paid, left = allocate(open_parts(account, as_of=as_of), amount)
        controls = Account.objects.select_related("fund").in_bulk(
            {part.control_account_id for part, _ in paid}
        )
        rows = [
            UtilityTransaction(
                account=account,
                bill_id=part.bill_id,
                kind=UtilityTransactionKind.PAYMENT,
                control_account=controls[part.control_account_id],
                amount=-share,
                transaction_date=as_of,
                memo=(
                    f"Payment, receipt {receipt}, bill B{part.bill_id:08d}"
                    if part.bill_id
                    else f"Payment, receipt {receipt}"
                )[:250],
                reference=receipt[:40],
                cause=f"{payment_key}:"
                + (f"bill-{part.bill_id}:" if part.bill_id else "")
                + f"fund-{controls[part.control_account_id].fund.code}",
                created_by=actor,
            )
            for part, share in paid
        ]
        if left > 0:
            control = credit_control_account()
            # Added to what this payment already paid in that fund with no bill, if any.
            merged = next(
                (r for r in rows if r.bill_id is None and r.control_account_id == control.pk),
                None,
            )
            if merged is not None:
                merged.amount -= left
                merged.memo = f"Payment, receipt {receipt}, with a credit of {left:,.2f}"[:250]
            else:
                rows.append(
                    UtilityTransaction(
                        account=account,
                        kind=UtilityTransactionKind.PAYMENT,
                        control_account=control,
                        amount=-left,
                        transaction_date=as_of,
                        memo=f"Payment, receipt {receipt}: credit on the account"[:250],
                        reference=receipt[:40],
                        cause=f"{payment_key}:fund-{control.fund.code}",
                        created_by=actor,
                    )
                )
        try:
            # A savepoint: a request with the same key that committed before this one
            # locked the account makes an insert here fail on the unique cause; this one
            # then rolls back to here and answers with the first.
            with transaction.atomic():
                UtilityTransaction.objects.bulk_create(rows)
        except IntegrityError:
            if (first := self._repeat(payment_key, account, amount, receipt)) is None:
                raise
            return first
        # A referred account's payment is what collection recovers.
        record_referral_recovery(account.pk)
        return credit_lines(rows, receipt)

    def reverse_payment(
        self,
        reference: str,
        *,
        payment_key: str,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        journal_entry,
    ) -> None:
        """Undo a payment (a void at the counter): each movement it made reversed on the
        same bill and fund (services/payment_voids.py), naming the void's entry; the bills
        it paid are open again, a credit it left is gone, a referral's recovery falls
        back. Once: a repeat writes nothing."""
        from utility_billing.services.payment_voids import void_payment

        void_payment(
            reference,
            payment_key=payment_key,
            on_date=as_of,
            reason=f"Void of receipt {receipt}",
            actor=actor,
            journal_entry=journal_entry,
        )

    def charge_returned_check(self, reference: str, **kwargs) -> str:
        """A returned check that paid this account: the fee is billed to the account's
        customer in receivables (the one payer master), not to the utility account."""
        from receivables.services.payments import charge_returned_check_to

        return charge_returned_check_to(_account_for(reference).customer, **kwargs)

    @staticmethod
    def _repeat(
        payment_key: str, account: UtilityAccount, amount: Decimal, receipt: str
    ) -> list[CreditLine] | None:
        try:
            return repeated_payment(payment_key, account=account, amount=amount, receipt=receipt)
        except ValueError as error:
            raise ValidationError({"payment_key": str(error)}) from None

    # ------------------------------------------------------------ payment batches

    def apply_payments(
        self,
        items: Sequence[BatchPayment],
        *,
        as_of: dt.date,
        batch_key: str,
        actor: AbstractBaseUser,
    ) -> list[CreditLine]:
        """A day's payments at once (millbrae_finance.payment_targets: the batch path):
        checked whole, then each account's open parts read in one query, each payment
        allocated in order as `apply_payment` allocates one, the movements written with
        one COPY; the credit lines of the whole batch returned, one per control account.
        Inside the caller's transaction."""
        if not batch_key or len(batch_key) > MAX_BATCH_KEY:
            raise ValidationError(
                {"batch_key": f"A payment batch needs a key of 1 to {MAX_BATCH_KEY} characters."}
            )
        items = list(items)
        if not items:
            raise ValidationError("A payment batch has at least one payment.")
        references = {(item.reference or "").strip() for item in items}
        # Locked, in id order (two batches never wait on each other in a circle): a
        # repeat of this batch racing it waits here, then finds its movements.
        accounts = {
            account.number: account
            for account in UtilityAccount.objects.filter(number__in=references)
            .order_by("pk")
            .select_for_update()
        }
        errors = []
        for number, item in enumerate(items, start=1):
            reference = (item.reference or "").strip()
            if reference not in accounts:
                errors.append(f"Payment {number}: no utility account {item.reference}.")
            if item.amount is None or item.amount <= 0:
                errors.append(f"Payment {number}: the payment must be more than zero.")
            elif item.amount != item.amount.quantize(Decimal("0.01")):
                errors.append(f"Payment {number}: {item.amount} is not an amount to the cent.")
            if not (item.receipt or "").strip():
                errors.append(f"Payment {number}: a payment names its receipt.")
        if errors:
            raise ValidationError(errors)
        if (first := self._repeated_batch(batch_key, items, accounts)) is not None:
            return first

        parts = open_parts_by_account([a.pk for a in accounts.values()], as_of=as_of)
        controls = Account.objects.select_related("fund").in_bulk(
            {part.control_account_id for account_parts in parts.values() for part in account_parts}
        )
        credit_control = None
        rows: list[tuple] = []
        totals: dict[int, Decimal] = {}
        now = timezone.now()
        for number, item in enumerate(items, start=1):
            account = accounts[item.reference.strip()]
            receipt = item.receipt.strip()
            paid, left = _allocate_in_place(parts[account.pk], item.amount)
            key = f"{batch_key}:{number}"
            for part, share in paid:
                control = controls[part.control_account_id]
                memo = (
                    f"Payment, receipt {receipt}, bill B{part.bill_id:08d}"
                    if part.bill_id
                    else f"Payment, receipt {receipt}"
                )
                cause = f"{key}:" + (f"bill-{part.bill_id}:" if part.bill_id else "")
                rows.append(
                    (account.pk, part.bill_id, control.pk, -share, memo, receipt, cause, control)
                )
                totals[control.pk] = totals.get(control.pk, ZERO) + share
            if left > 0:
                if credit_control is None:
                    credit_control = credit_control_account()
                    controls[credit_control.pk] = credit_control
                control = credit_control
                cause = f"{key}:"
                # Added to what this payment paid in that fund on no bill, if it did.
                same = next(
                    (
                        i
                        for i, row in enumerate(rows)
                        if row[6] == cause and row[1] is None and row[2] == control.pk
                    ),
                    None,
                )
                memo = f"Payment, receipt {receipt}: credit on the account"
                if same is not None:
                    row = rows[same]
                    memo = f"Payment, receipt {receipt}, with a credit of {left:,.2f}"
                    rows[same] = (*row[:3], row[3] - left, memo, *row[5:])
                else:
                    rows.append(
                        (account.pk, None, control.pk, -left, memo, receipt, cause, control)
                    )
                totals[control.pk] = totals.get(control.pk, ZERO) + left
        try:
            # A savepoint: a repeat that committed first makes the COPY fail on a unique
            # cause; this one then rolls back to here and answers with the first.
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.copy(COPY_PAYMENTS) as copy,
            ):
                payment = UtilityTransactionKind.PAYMENT.value
                for account_id, bill_id, control_id, amount, memo, receipt, cause, ctl in rows:
                    copy.write_row(
                        (
                            account_id,
                            bill_id,
                            payment,
                            control_id,
                            amount,
                            as_of,
                            memo[:250],
                            receipt[:40],
                            f"{cause}fund-{ctl.fund.code}",
                            actor.pk,
                            now,
                        )
                    )
        except IntegrityError:
            if (first := self._repeated_batch(batch_key, items, accounts)) is None:
                raise
            return first
        return [
            CreditLine(account=controls[pk], amount=-total, memo=f"Payment batch {batch_key}"[:100])
            for pk, total in totals.items()
        ]

    @staticmethod
    def _repeated_batch(
        batch_key: str, items: Sequence[BatchPayment], accounts: dict[str, UtilityAccount]
    ) -> list[CreditLine] | None:
        """The first application's credit lines if the batch was applied; refused if it
        was applied with other payments."""
        movements = applied_batch(batch_key)
        if not movements:
            return None
        applied: dict[int, tuple[int, Decimal]] = {}
        for movement in movements:
            number = int(movement.cause[len(batch_key) + 1 :].split(":", 1)[0])
            account_id, amount = applied.get(number, (movement.account_id, ZERO))
            applied[number] = (account_id, amount - movement.amount)
        asked = {
            number: (accounts[item.reference.strip()].pk, item.amount)
            for number, item in enumerate(items, start=1)
        }
        if applied != asked:
            raise ValidationError(
                {
                    "batch_key": f"Payment batch {batch_key} was already applied with other "
                    "payments. It was not applied again."
                }
            )
        totals: dict[int, Decimal] = {}
        controls: dict[int, Account] = {}
        for movement in movements:
            controls.setdefault(movement.control_account_id, movement.control_account)
            totals[movement.control_account_id] = (
                totals.get(movement.control_account_id, ZERO) + movement.amount
            )
        return [
            CreditLine(account=controls[pk], amount=total, memo=f"Payment batch {batch_key}"[:100])
            for pk, total in totals.items()
        ]


# The cash a payment brings in: each fund's pooled cash, in its non-departmental
# department (the chart's convention, as receivables' referrals use it).
CASH = ("0000", "1010")
SOURCE_MODULE = "utility_billing"


def post_payment_batch(
    items: Sequence[BatchPayment],
    *,
    as_of: dt.date,
    batch_key: str,
    actor: AbstractBaseUser,
    source_document: str = "",
) -> list[JournalEntry]:
    """Apply a day's batch of utility payments through the registered target's batch
    path and post its cash: one journal entry per fund, the fund's pooled cash debited
    and its utility AR control account credited with what the batch paid in the fund,
    keyed "<batch key>:fund-<code>". Idempotent: a repeat applies and posts nothing."""
    target = payment_target_type(UtilityAccountTarget.key)
    with transaction.atomic():
        credits = target.apply_payments(items, as_of=as_of, batch_key=batch_key, actor=actor)
        by_fund: dict[int, list[CreditLine]] = {}
        for line in credits:
            by_fund.setdefault(line.account.fund_id, []).append(line)
        cash = {
            account.fund_id: account
            for account in Account.objects.filter(
                fund_id__in=by_fund,
                department__code=CASH[0],
                object_code__code=CASH[1],
                is_active=True,
            )
        }
        missing = [
            lines[0].account.fund.code for fund, lines in by_fund.items() if fund not in cash
        ]
        if missing:
            raise ValidationError(
                f"No active pooled cash account (-{CASH[0]}-{CASH[1]}) in fund "
                + ", ".join(sorted(missing))
                + "."
            )
        document = source_document or batch_key
        specs = []
        for fund_id, lines in sorted(by_fund.items(), key=lambda kv: kv[1][0].account.number):
            fund = lines[0].account.fund
            received = -sum((line.amount for line in lines), ZERO)
            specs.append(
                EntrySpec(
                    entry_date=as_of,
                    lines=[LineSpec(cash[fund_id], received, f"Payments {document}"[:100])]
                    + [LineSpec(line.account, line.amount, line.memo) for line in lines],
                    memo=f"Utility payments {document}, {fund.name}"[:250],
                    idempotency_key=f"{batch_key}:fund-{fund.code}",
                    source_document=document[:40],
                )
            )
        return post_entries(specs, source_module=SOURCE_MODULE, prepared_by=actor)
