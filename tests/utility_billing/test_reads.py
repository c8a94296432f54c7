"""Reads: consumption (multiplier, rollover), each exception code, settling exceptions,
estimates and their true-up, missing reads, and the bill's consumption."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.utility_billing.read_helpers import make_site, monthly_reads, read, today  # noqa: F401
from utility_billing.models import (
    ExceptionStatus,
    MeterRead,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
)
from utility_billing.queries.reads import (
    billable_consumption,
    estimate_for,
    exception_context,
    missing_reads,
    open_exceptions,
)
from utility_billing.services.reads import (
    ReadRow,
    ReadsRefused,
    accept_read,
    apply_estimate,
    correct_read,
    enter_reads,
    request_re_read,
)

pytestmark = pytest.mark.usefixtures("today")

D = datetime.date


def _history(meter, tech):
    """Ten monthly reads, 10 HCF a month, the last on 2025-11-02 at 100."""
    return monthly_reads(meter, tech, start=D(2025, 2, 2), months=10, per_month=10, first=10)


# ---------------------------------------------------------------- consumption


def test_consumption_is_reading_less_previous_times_multiplier(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users, multiplier="10", install_reading="100")
    first = read(meter, D(2025, 2, 2), "112", tech)
    second = read(meter, D(2025, 3, 2), "119.5", tech)
    assert first.previous_read is None
    assert first.consumption == Decimal("120.000")  # (112 - 100) x 10, from the install
    assert second.previous_read == first
    assert second.consumption == Decimal("75.000")  # (119.5 - 112) x 10
    assert not second.rolled_over


def test_rollover_when_the_register_wraps_past_its_dials(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users, dials=4, multiplier="10", install_reading="9900")
    read(meter, D(2025, 2, 2), "9990", tech)
    wrapped = read(meter, D(2025, 3, 2), "15", tech)
    assert wrapped.rolled_over
    # (10**4 - 9990 + 15) = 25 units, x 10
    assert wrapped.consumption == Decimal("250.000")
    assert wrapped.exception_status == ExceptionStatus.NONE


def test_lower_reading_that_is_no_plausible_wrap_is_negative_no_rollover(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users, dials=6)
    read(meter, D(2025, 2, 2), "5000", tech)
    lower = read(meter, D(2025, 3, 2), "4000", tech)
    assert not lower.rolled_over
    assert lower.consumption is None
    assert lower.exception_status == ExceptionStatus.OPEN
    assert lower.exception_codes == ["negative_no_rollover"]


def test_first_read_without_install_reading_is_the_baseline(ub_users):
    meter = make_site(ub_users, install_reading=None)
    first = read(meter, D(2025, 2, 2), "4321", ub_users["tech"])
    assert first.consumption == Decimal("0.000")
    assert first.exception_codes == []  # a baseline is not "zero use"


# ---------------------------------------------------------------- exception codes


def test_high_against_the_accounts_own_history(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    high = read(meter, D(2025, 12, 2), "140", tech)  # 40 HCF in 30 days; about 10 before
    assert high.exception_codes == ["high"]
    assert high.exception_status == ExceptionStatus.OPEN


def test_low_against_the_accounts_own_history(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    low = read(meter, D(2025, 12, 2), "102", tech)
    assert low.exception_codes == ["low"]


def test_ordinary_read_has_no_exception(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    usual = read(meter, D(2025, 12, 2), "111", tech)
    assert usual.exception_status == ExceptionStatus.NONE
    assert usual.exception_codes == []
    assert usual.consumption == Decimal("11.000")


def test_high_and_low_thresholds_are_settings(ub_users, settings):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    settings.UTILITY_READ_CHECKS = {**settings.UTILITY_READ_CHECKS, "HIGH_FACTOR": "5"}
    assert read(meter, D(2025, 12, 2), "140", tech).exception_codes == []


def test_no_high_or_low_without_enough_history(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    read(meter, D(2025, 2, 2), "10", tech)
    read(meter, D(2025, 3, 2), "20", tech)  # 28 days of history: under the 60 needed
    assert read(meter, D(2025, 4, 2), "90", tech).exception_codes == []


def test_history_starts_with_the_account(ub_users):
    """A new tenant is judged against their own use, not the last tenant's."""
    tech = ub_users["tech"]
    meter = make_site(ub_users, account_start=D(2025, 9, 1))
    reading = 0
    for month in range(2, 12):  # 30 HCF a month before the tenant, 10 a month since
        reading += 30 if month < 9 else 10
        read(meter, D(2025, month, 2), reading, tech)
    december = read(meter, D(2025, 12, 2), reading + 40, tech)
    # Against the tenant's 30 HCF over 92 days (the Sep, Oct, Nov reads), 40 in 30 days
    # is high; against the whole year's history it would not be.
    assert december.exception_codes == ["high"]
    assert exception_context([december])[december.pk].per_day == Decimal("0.326")


def test_zero_use_on_an_occupied_location(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    read(meter, D(2025, 2, 2), "50", tech)
    zero = read(meter, D(2025, 3, 2), "50", tech)
    assert zero.consumption == Decimal("0.000")
    assert zero.exception_codes == ["zero_occupied"]


def test_zero_use_on_a_vacant_location_is_no_exception(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users, account=None)
    read(meter, D(2025, 2, 2), "50", tech)
    assert read(meter, D(2025, 3, 2), "50", tech).exception_codes == []


def test_consecutive_estimates(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    first = apply_estimate(meter, read_date=D(2025, 12, 2), actor=tech)
    second = apply_estimate(meter, read_date=D(2026, 1, 2), actor=tech)
    assert first.kind == "estimated" and first.exception_codes == []
    assert second.exception_codes == ["consecutive_estimates"]
    assert second.exception_status == ExceptionStatus.OPEN


def test_missing_reads_are_meters_of_active_accounts_with_no_read_near_the_read_day(ub_users):
    tech = ub_users["tech"]
    # Cycle C1 reads on the 5th; the window is 7 days either side.
    read_late = make_site(ub_users, serial="M-1", parcel="021-101-001", account="100001")
    read_on_time = make_site(ub_users, serial="M-2", parcel="021-101-002", account="100002")
    make_site(ub_users, serial="M-3", parcel="021-101-003", account=None)  # vacant
    read(read_late, D(2025, 11, 5), "10", tech)
    read(read_on_time, D(2025, 11, 5), "10", tech)
    read(read_on_time, D(2025, 12, 3), "20", tech)
    cycle = read_late.location.cycle
    missing = list(missing_reads(cycle, D(2025, 12, 5)))
    assert [meter.serial for meter in missing] == ["M-1"]
    assert missing[0].account_number == "100001"
    assert missing[0].last_read_date == D(2025, 11, 5)


def test_a_read_set_aside_for_a_re_read_is_still_missing(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    high = read(meter, D(2025, 12, 4), "140", tech)
    request_re_read(high, note="Dial looks misread", actor=tech)
    assert [m.serial for m in missing_reads(meter.location.cycle, D(2025, 12, 5))] == ["M-0001"]


# ---------------------------------------------------------------- settling exceptions


def test_accept_keeps_the_read_and_bills_it(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    high = read(meter, D(2025, 12, 2), "140", tech)
    accepted = accept_read(high, note="Pool filled; customer confirmed", actor=tech)
    assert accepted.exception_status == ExceptionStatus.ACCEPTED
    assert accepted.exception_codes == ["high"]
    assert "Accepted. Pool filled; customer confirmed" in accepted.note
    assert "ub_tech" in accepted.note
    assert billable_consumption(meter.location_id, D(2025, 11, 3), D(2025, 12, 2)) == 40


def test_accept_needs_a_note(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    high = read(meter, D(2025, 12, 2), "140", tech)
    with pytest.raises(ValidationError) as refused:
        accept_read(high, note=" ", actor=tech)
    assert "note" in refused.value.message_dict


def test_accepted_lower_reading_bills_zero(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    read(meter, D(2025, 2, 2), "5000", tech)
    lower = read(meter, D(2025, 3, 2), "4000", tech)
    accepted = accept_read(lower, note="Last read was over-read", actor=tech)
    assert accepted.consumption == Decimal("0.000")
    # The next read measures from the accepted one.
    assert read(meter, D(2025, 4, 2), "4010", tech).consumption == Decimal("10.000")


def test_correct_measures_the_read_again_and_the_next_one(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    misread = read(meter, D(2025, 12, 2), "140", tech)
    after = read(meter, D(2026, 1, 2), "120", tech)
    assert after.exception_codes == ["negative_no_rollover"]
    corrected = correct_read(misread, reading=Decimal("110"), note="Typo: 140 for 110", actor=tech)
    assert corrected.reading == Decimal("110.000")
    assert corrected.consumption == Decimal("10.000")
    assert corrected.exception_status == ExceptionStatus.CORRECTED
    assert corrected.exception_codes == ["high"]  # what was wrong
    after.refresh_from_db()
    assert after.consumption == Decimal("10.000")
    assert after.exception_status == ExceptionStatus.NONE
    assert after.exception_codes == []


def test_a_correction_that_still_looks_wrong_stays_open(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    misread = read(meter, D(2025, 12, 2), "140", tech)
    still = correct_read(misread, reading=Decimal("150"), note="Re-keyed", actor=tech)
    assert still.exception_status == ExceptionStatus.OPEN
    assert still.exception_codes == ["high"]
    assert still.consumption == Decimal("50.000")


def test_re_read_orders_a_visit_and_the_re_read_completes_it(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    doubtful = read(meter, D(2025, 12, 2), "140", tech)
    order = request_re_read(doubtful, note="Dial smudged", actor=tech)
    assert order.kind == ServiceOrderKind.RE_READ
    assert order.status == ServiceOrderStatus.OPEN
    assert order.meter == meter and order.account.number == "100001"
    doubtful.refresh_from_db()
    assert doubtful.exception_status == ExceptionStatus.RE_READ_REQUESTED
    # The re-read measures from the read before the doubtful one, which is never billed.
    again = read(meter, D(2025, 12, 4), "112", tech)
    assert again.previous_read.read_date == D(2025, 11, 2)
    assert again.consumption == Decimal("12.000")
    order.refresh_from_db()
    assert order.status == ServiceOrderStatus.COMPLETED
    assert order.completed_by == tech
    assert billable_consumption(meter.location_id, D(2025, 11, 3), D(2025, 12, 5)) == 12


def test_settled_exception_cannot_be_settled_again(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    high = read(meter, D(2025, 12, 2), "140", tech)
    accept_read(high, note="ok", actor=tech)
    with pytest.raises(ValidationError):
        correct_read(high, reading=Decimal("110"), note="", actor=tech)


def test_open_exceptions_list_with_their_history(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    read(meter, D(2025, 12, 2), "140", tech)
    rows = list(open_exceptions())
    assert [row.read_date for row in rows] == [D(2025, 12, 2)]
    assert rows[0].account_number == "100001"
    context = exception_context(rows)[rows[0].pk]
    assert [h.reading for h in context.recent] == [Decimal("100"), Decimal("90"), Decimal("80")]
    assert context.per_day == Decimal("0.330")  # 90 HCF over 273 days
    assert context.read_per_day == Decimal("1.333")


# ---------------------------------------------------------------- estimates


def test_estimate_is_average_daily_use_times_days(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    monthly_reads(meter, tech, start=D(2025, 2, 2), months=10, per_month=30, first=30)
    estimate = estimate_for(meter, D(2025, 12, 2))
    # 270 HCF over 273 days (Feb 2 to Nov 2) x 30 days since the Nov 2 read at 300.
    assert estimate.history.used == 270 and estimate.history.days == 273
    assert estimate.days == 30
    assert estimate.consumption == Decimal("29.670")
    assert estimate.reading == Decimal("329.670")
    assert "270.000 HCF over 273 days" in estimate.explanation
    assert "times 30 days since the last read = 29.670 HCF" in estimate.explanation


def test_estimate_then_actual_trues_up(ub_users):
    """The bill after an estimate bills actual - estimate: every read measures from the
    one before it, estimated or not, so the two periods add up to what the meter shows."""
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    monthly_reads(meter, tech, start=D(2025, 2, 2), months=10, per_month=30, first=30)
    estimated = apply_estimate(meter, read_date=D(2025, 12, 2), actor=tech)
    assert estimated.kind == "estimated"
    assert estimated.consumption == Decimal("29.670")
    actual = read(meter, D(2026, 1, 2), "365", tech)
    assert actual.previous_read == estimated
    assert actual.consumption == Decimal("35.330")  # 365 - 329.670
    location = meter.location_id
    assert billable_consumption(location, D(2025, 11, 3), D(2025, 12, 2)) == Decimal("29.670")
    assert billable_consumption(location, D(2025, 12, 3), D(2026, 1, 2)) == Decimal("35.330")
    assert billable_consumption(location, D(2025, 11, 3), D(2026, 1, 2)) == 65  # 365 - 300


def test_estimate_needs_history(ub_users):
    meter = make_site(ub_users)
    read(meter, D(2025, 2, 2), "10", ub_users["tech"])
    with pytest.raises(ValidationError) as refused:
        apply_estimate(meter, read_date=D(2025, 3, 2), actor=ub_users["tech"])
    assert "no measured reads" in str(refused.value)


def test_estimate_only_after_the_last_read(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    assert "has a read on 2025-11-02" in estimate_for(meter, D(2025, 10, 20)).problem


# ---------------------------------------------------------------- entry


def test_route_sheet_entry_is_all_or_nothing_with_each_bad_row_named(ub_users):
    tech = ub_users["tech"]
    meter = make_site(ub_users)
    read(meter, D(2025, 2, 2), "50", tech)
    rows = [
        ReadRow(line=1, serial="M-0001", read_date=D(2025, 3, 2), reading=Decimal("60")),
        ReadRow(line=2, serial="NOPE", read_date=D(2025, 3, 2), reading=Decimal("60")),
        ReadRow(line=3, serial="M-0001", read_date=D(2025, 1, 20), reading=Decimal("1")),
    ]
    with pytest.raises(ReadsRefused) as refused:
        enter_reads(rows, actor=tech)
    bad = {row.line: row.errors for row in refused.value.bad_rows}
    assert bad[2] == ["No meter has serial number NOPE."]
    assert "was last read on 2025-02-02" in bad[3][0]
    assert 1 not in bad
    assert MeterRead.objects.count() == 1


def test_entry_refuses_a_read_beyond_the_dials_and_a_future_date(ub_users):
    meter = make_site(ub_users, dials=4)
    rows = [
        ReadRow(line=1, serial=meter.serial, read_date=D(2025, 3, 2), reading=Decimal("10000")),
        ReadRow(line=2, serial=meter.serial, read_date=D(2027, 3, 2), reading=Decimal("1")),
    ]
    with pytest.raises(ReadsRefused) as refused:
        enter_reads(rows, actor=ub_users["tech"])
    bad = {row.line: " ".join(row.errors) for row in refused.value.bad_rows}
    assert "does not fit meter M-0001's 4 dials" in bad[1]
    assert "in the future" in bad[2]


def test_only_technicians_record_reads(ub_users):
    from django.core.exceptions import PermissionDenied

    meter = make_site(ub_users)
    row = ReadRow(line=1, serial=meter.serial, read_date=D(2025, 3, 2), reading=Decimal("1"))
    for name in ("clerk", "auditor", "supervisor"):
        with pytest.raises(PermissionDenied):
            enter_reads([row], actor=ub_users[name])


def test_reads_are_audited_with_their_changes(ub_users):
    from pghistory.models import Events

    tech = ub_users["tech"]
    meter = make_site(ub_users)
    _history(meter, tech)
    high = read(meter, D(2025, 12, 2), "140", tech)
    accept_read(high, note="confirmed", actor=tech)
    labels = list(
        Events.objects.filter(pgh_obj_id=str(high.pk), pgh_obj_model="utility_billing.MeterRead")
        .order_by("pgh_id")
        .values_list("pgh_label", flat=True)
    )
    assert labels[0] == "insert" and "update" in labels
    assert ServiceOrder.objects.count() == 0
