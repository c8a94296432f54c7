"""Posting an approved bill run: its journal entries, its subledger movements and the
run marked posted, in one transaction, all or nothing.

Entries: one per fund the run bills (water, sewer, storm drain...), through the ledger's
batch posting: the fund's utility AR control account debited with the fund's share of
every bill, each of the fund's revenue accounts credited with its lines. An entry per
fund balances within its fund (no interfund lines), and its source document is the run:
the proof register is the detail behind it, bill by bill. An auditor follows a bill to
its entry through its subledger movements, which name the entry, and the entry to the
bills through the run. (An entry per bill would put a hundred thousand entries a month in
the journal, each repeating the same two accounts.)

Subledger: one charge movement per bill and fund (the bill's lines of that fund), naming
the fund's control account and its entry, so each fund's movements add up to its control
account. Written with INSERT ... SELECT from the bill lines, a slice of bills at a time.

Idempotent: a posted run is returned as it is; the entries' keys and the movements'
causes are unique, so nothing posts twice whoever retries. A worker killed mid-post
leaves nothing (one transaction): posting again gives a clean run's totals.
"""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ledger.models import Account, Subledger
from ledger.queries.calendar import period_for_date
from ledger.services import EntrySpec, LineSpec, post_entries
from utility_billing.models import AccountStatus, Bill, BillRun, BillRunStatus
from utility_billing.services.settlements import settle_final_bill

SOURCE_MODULE = "utility_billing"
# Bills whose movements are written per statement (and per progress report).
CHUNK_BILLS = 20_000

FUND_SUMS_SQL = """
SELECT ra.fund_id, l.revenue_account_id, SUM(l.amount)
  FROM utility_billing_billline l
  JOIN ledger_account ra ON ra.id = l.revenue_account_id
 WHERE l.run_id = %s
 GROUP BY ra.fund_id, l.revenue_account_id
HAVING SUM(l.amount) <> 0
 ORDER BY ra.fund_id, l.revenue_account_id
"""

BILL_ID_RANGE_SQL = "SELECT min(id), max(id), count(*) FROM utility_billing_bill WHERE run_id = %s"

# One charge per bill and fund: the bill's lines of the fund, debited to the fund's
# control account by the fund's entry.
INSERT_CHARGES_SQL = """
INSERT INTO utility_billing_utilitytransaction (
    account_id, bill_id, kind, control_account_id, amount, transaction_date, memo,
    reference, cause, journal_entry_id, created_by_id, created_at)
SELECT b.account_id, b.id, 'charge', f.control_id, SUM(l.amount), %(day)s,
       'Bill B' || lpad(b.id::text, 8, '0') || ', ' || to_char(b.period_start, 'MM/DD/YYYY')
           || ' to ' || to_char(b.period_end, 'MM/DD/YYYY'),
       %(reference)s,
       %(reference)s::text || ':bill-' || b.id || ':fund-' || f.fund_code,
       f.entry_id, %(actor)s, %(now)s
  FROM utility_billing_bill b
  JOIN utility_billing_billline l ON l.bill_id = b.id
  JOIN ledger_account ra ON ra.id = l.revenue_account_id
  JOIN unnest(%(funds)s::bigint[], %(codes)s::text[], %(controls)s::bigint[],
              %(entries)s::bigint[]) AS f(fund_id, fund_code, control_id, entry_id)
    ON f.fund_id = ra.fund_id
 WHERE b.run_id = %(run)s AND b.id BETWEEN %(first)s AND %(last)s
 GROUP BY b.account_id, b.id, f.control_id, f.fund_code, f.entry_id
HAVING SUM(l.amount) > 0
 ORDER BY b.id, f.fund_code
"""


def _controls_by_fund(fund_ids: set[int]) -> dict[int, Account]:
    controls: dict[int, Account] = {}
    for account in (
        Account.objects.postable()
        .filter(control_subledger=Subledger.UTILITY_AR, fund_id__in=fund_ids)
        .select_related("fund")
        .order_by("number")
    ):
        controls.setdefault(account.fund_id, account)
    missing = fund_ids - set(controls)
    if missing:
        raise ValidationError(
            f"{len(missing)} fund(s) billed by this run have no utility AR control account "
            "in the chart of accounts."
        )
    return controls


def _entries(run: BillRun) -> tuple[list[EntrySpec], dict[int, Account]]:
    with connection.cursor() as cursor:
        cursor.execute(FUND_SUMS_SQL, [run.pk])
        sums = cursor.fetchall()
    fund_ids = {fund_id for fund_id, _, _ in sums}
    controls = _controls_by_fund(fund_ids)
    revenue = Account.objects.in_bulk({account_id for _, account_id, _ in sums})
    specs = []
    period = f"{run.period_start:%m/%d/%Y} to {run.period_end:%m/%d/%Y}"
    for fund_id in sorted(fund_ids, key=lambda pk: controls[pk].fund.code):
        control = controls[fund_id]
        credits = [(revenue[account_id], amount) for f, account_id, amount in sums if f == fund_id]
        total = sum((amount for _, amount in credits), Decimal("0.00"))
        memo = f"Bill run {run.reference}"
        specs.append(
            EntrySpec(
                entry_date=run.bill_date,
                lines=[LineSpec(control, total, memo)]
                + [LineSpec(account, -amount, memo) for account, amount in credits],
                memo=f"Utility bills of cycle {run.cycle.code}, {period}: bill run "
                f"{run.reference}, fund {control.fund.code}"[:250],
                idempotency_key=f"utility-bill-run-{run.pk}-fund-{control.fund.code}",
                source_document=run.reference,
            )
        )
    return specs, controls


def post_bill_run(
    run_id: int,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    chunk_bills: int = CHUNK_BILLS,
) -> BillRun:
    """Post an approved run: its entries (one per fund), one subledger charge per bill
    and fund, the run posted; all in one transaction. A posted run is returned as it is.
    Refused (ValidationError, nothing written) if the bill date's period closed since."""
    with transaction.atomic(durable=True):
        run = BillRun.objects.select_for_update().select_related("cycle").get(pk=run_id)
        if run.status == BillRunStatus.POSTED:
            return run
        if run.status != BillRunStatus.APPROVED:
            raise ValidationError(
                f"Bill run {run.reference} is {run.get_status_display().lower()}: only an "
                "approved run is posted."
            )
        period = period_for_date(run.bill_date)
        if not period.is_open:
            raise ValidationError(f"{period}, the bill date's period, is closed to posting.")
        specs, controls = _entries(run)
        entries = post_entries(
            specs,
            source_module=SOURCE_MODULE,
            prepared_by=run.prepared_by,
            approved_by=run.approved_by,
        )
        by_fund = sorted(controls.items(), key=lambda item: item[1].fund.code)
        entry_of = {
            spec.idempotency_key: entry.pk for spec, entry in zip(specs, entries, strict=True)
        }
        params = {
            "day": run.bill_date,
            "reference": run.reference,
            "actor": run.approved_by_id,
            "now": timezone.now(),
            "run": run.pk,
            "funds": [fund_id for fund_id, _ in by_fund],
            "codes": [control.fund.code for _, control in by_fund],
            "controls": [control.pk for _, control in by_fund],
            "entries": [
                entry_of[f"utility-bill-run-{run.pk}-fund-{control.fund.code}"]
                for _, control in by_fund
            ],
        }
        with connection.cursor() as cursor:
            cursor.execute(BILL_ID_RANGE_SQL, [run.pk])
            first_id, last_id, bills = cursor.fetchone()
            if bills:
                done = 0
                for first in range(first_id, last_id + 1, chunk_bills):
                    last = min(first + chunk_bills - 1, last_id)
                    cursor.execute(INSERT_CHARGES_SQL, {**params, "first": first, "last": last})
                    cursor.execute(
                        "SELECT count(*) FROM utility_billing_bill"
                        " WHERE run_id = %s AND id BETWEEN %s AND %s",
                        [run.pk, first, last],
                    )
                    done += cursor.fetchone()[0]
                    if progress is not None:
                        progress(done, bills)
        # Final bills: each closed account whose bill in this run reaches its move-out
        # day is settled now (deposit applied, credit refunded or balance referred), in
        # account order. One moving out after the period (a move-out booked ahead) is
        # billed to its move-out day, and settled, by a later run.
        closed = (
            Bill.objects.filter(
                run=run,
                account__status=AccountStatus.CLOSED,
                period_end__gte=F("account__end_date"),
            )
            .order_by("account_id")
            .values_list("account_id", flat=True)
        )
        for account_id in list(closed):
            settle_final_bill(
                account_id,
                on_date=run.bill_date,
                prepared_by=run.prepared_by,
                approved_by=run.approved_by,
            )
        run.status = BillRunStatus.POSTED
        run.posted_at = timezone.now()
        run.error = ""
        run.save(update_fields=["status", "posted_at", "error"])
    return run
