"""Citation services: entering, hearing status, dismissal and reduction by a supervisor,
attaching the owner, and the escalation schedule."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from pghistory.core import event_models

from receivables.models import (
    ArKind,
    ArTransaction,
    Citation,
    CitationStatus,
    HearingStatus,
)
from receivables.queries.citations import citation_notice, escalation_schedule
from receivables.services.citations import (
    assign_citation_customer,
    dismiss_citation,
    open_parts,
    reduce_citation,
    set_hearing_status,
)
from receivables.services.payments import open_items_for_customer
from receivables.services.penalties import run_penalty_batch
from tests.receivables.citation_helpers import entry_lines, make_late_rule
from tests.receivables.conftest import make_citation, make_customer, make_fee, pay

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 28)
FINES_AR = "101-0000-1130"
PARKING = "101-2100-4610"
ADMIN = "101-2100-4620"
PENALTIES = "101-1100-4910"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 28, 18, 0), tick=False):
        yield


def _events(citation: Citation):
    (model,) = event_models(tracks_model=Citation)
    return model.objects.filter(pgh_obj_id=citation.pk).select_related("pgh_context")


def _penalised(ar_users, *, issue_date=datetime.date(2026, 9, 1)):
    """A $45 parking citation, a $25 late penalty charged by the batch (credited to the
    penalties account), and $30 paid: $15 of the fine and the $25 penalty are owed."""
    rule = make_late_rule()
    citation = make_citation(actor=ar_users["tech"], issue_date=issue_date)
    run_penalty_batch(
        datetime.date(2026, 10, 1), idempotency_key="t-batch", actor=ar_users["senior"]
    )
    pay(citation.number, "citation", "30.00", actor=ar_users["clerk"])
    citation.refresh_from_db()
    return citation, rule


def test_issue_posts_the_fine_in_effect_on_the_issue_date(ar_fees, ar_users):
    # The red zone fine rises from $60 to $75 on November 1.
    ar_fees["PKG-RED-ZONE"].effective_to = datetime.date(2026, 10, 31)
    ar_fees["PKG-RED-ZONE"].save()
    make_fee(
        "PKG-RED-ZONE",
        prepared_by=ar_users["tech"],
        approved_by=ar_users["supervisor"],
        amount="75.00",
        effective_from=datetime.date(2026, 11, 1),
    )
    old = make_citation(
        actor=ar_users["tech"], code="PKG-RED-ZONE", issue_date=datetime.date(2026, 10, 31)
    )
    new = make_citation(
        actor=ar_users["tech"], code="PKG-RED-ZONE", issue_date=datetime.date(2026, 11, 1)
    )
    assert old.fine_amount == Decimal("60.00")
    assert new.fine_amount == Decimal("75.00")
    assert entry_lines(old.journal_entry_id) == {
        FINES_AR: Decimal("60.00"),
        PARKING: Decimal("-60.00"),
    }
    (movement,) = ArTransaction.objects.filter(citation=old)
    assert (movement.kind, movement.amount, movement.subledger) == (
        "charge",
        Decimal("60.00"),
        "fines_ar",
    )
    assert _events(old).count() >= 1


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        (
            {"violation_code": "NO-SUCH-CODE"},
            "violation_code",
            "not a violation code in the fee schedule",
        ),
        ({"violation_code": ""}, "violation_code", "Choose the violation code"),
        ({"issue_date": datetime.date(2026, 11, 29)}, "issue_date", "after today"),
        (
            {"issue_date": datetime.date(2025, 6, 30)},
            "violation_code",
            "no approved amount in effect on 2025-06-30",
        ),
        ({"plate": "TOO-LONG-PLATE9"}, "plate", "1 to 8 letters"),
        ({"plate": ""}, "plate", "names the vehicle's plate"),
        ({"number": "x"}, "number", "3 to 20"),
    ],
)
def test_issue_refuses_bad_input_beside_the_field(ar_fees, ar_users, values, field, text):
    from receivables.services.citations import issue_citation

    data = {
        "number": "P555001",
        "kind": "parking",
        "issue_date": datetime.date(2026, 11, 2),
        "violation_code": "PKG-EXPIRED-METER",
        "plate": "7ABC123",
    } | values
    with pytest.raises(ValidationError) as error:
        issue_citation(**data, actor=ar_users["tech"])
    assert text in " ".join(error.value.message_dict[field])
    assert not Citation.objects.exists()
    assert not ArTransaction.objects.exists()


def test_issue_refuses_a_number_already_entered(ar_fees, ar_users):
    make_citation(actor=ar_users["tech"], number="P777")
    with pytest.raises(ValidationError) as error:
        make_citation(actor=ar_users["tech"], number="p777")
    assert error.value.message_dict["number"] == ["Citation P777 was already entered."]
    assert ArTransaction.objects.count() == 1


def test_open_parts_apply_payments_to_the_fine_first(ar_fees, ar_users):
    citation, _ = _penalised(ar_users)
    parts = open_parts(citation)
    assert [(p.account.number, p.charged, p.remaining) for p in parts] == [
        (PARKING, Decimal("45.00"), Decimal("15.00")),
        (PENALTIES, Decimal("25.00"), Decimal("25.00")),
    ]
    assert citation.balance == Decimal("40.00")


def test_dismissal_reverses_each_part_to_its_own_revenue_account(ar_fees, ar_users):
    citation, _ = _penalised(ar_users)
    set_hearing_status(citation, status="requested", note="Meter broken", actor=ar_users["tech"])
    citation = dismiss_citation(
        citation, reason="Meter found broken by Public Works", actor=ar_users["supervisor"]
    )
    assert citation.status == CitationStatus.DISMISSED
    assert citation.hearing_status == HearingStatus.DISMISSED
    assert citation.balance == Decimal("0.00")
    movement = ArTransaction.objects.get(citation=citation, kind=ArKind.DISMISSAL)
    assert movement.amount == Decimal("-40.00")
    assert movement.transaction_date == TODAY
    assert "Meter found broken by Public Works" in movement.memo
    assert entry_lines(movement.journal_entry) == {
        FINES_AR: Decimal("-40.00"),
        PARKING: Decimal("15.00"),
        PENALTIES: Decimal("25.00"),
    }
    assert movement.journal_entry.approved_by == ar_users["supervisor"]
    assert any(
        event.pgh_context
        and event.pgh_context.metadata.get("reason") == "Meter found broken by Public Works"
        for event in _events(citation)
    )
    assert "Dismissed. Meter found broken" in citation.notes
    # Once only: a second dismissal is refused and posts nothing.
    with pytest.raises(ValidationError, match="already dismissed"):
        dismiss_citation(citation, reason="Again", actor=ar_users["supervisor2"])
    assert ArTransaction.objects.filter(citation=citation, kind=ArKind.DISMISSAL).count() == 1
    # Nothing more escalates, and the schedule says so.
    steps = escalation_schedule(citation, today=TODAY)
    assert [(s.state, s.state_text) for s in steps] == [("charged", "Charged 2026-10-01")]


def test_dismissal_needs_a_supervisor_other_than_the_one_who_entered_it(ar_fees, ar_users):
    citation = make_citation(actor=ar_users["supervisor"])
    with pytest.raises(ValidationError, match="Only a Finance Supervisor"):
        dismiss_citation(citation, reason="x", actor=ar_users["senior"])
    with pytest.raises(ValidationError, match="You entered this citation"):
        dismiss_citation(citation, reason="x", actor=ar_users["supervisor"])
    with pytest.raises(ValidationError) as error:
        dismiss_citation(citation, reason="  ", actor=ar_users["supervisor2"])
    assert "reason" in error.value.message_dict
    citation.refresh_from_db()
    assert citation.status == CitationStatus.OPEN
    assert not ArTransaction.objects.filter(kind=ArKind.DISMISSAL).exists()


def test_dismissal_of_a_paid_citation_is_refused(ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"])
    pay(citation.number, "citation", "45.00", actor=ar_users["clerk"])
    with pytest.raises(ValidationError, match="a refund, not a dismissal"):
        dismiss_citation(citation, reason="Paid already", actor=ar_users["supervisor"])


def test_reduction_posts_the_difference_against_the_fines_revenue(ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], kind="administrative", code="ADMIN-CITATION")
    set_hearing_status(
        citation,
        status="scheduled",
        hearing_date=datetime.date(2026, 12, 3),
        actor=ar_users["tech"],
    )
    citation = reduce_citation(
        citation,
        new_amount=Decimal("60.00"),
        reason="Hearing officer: first offence",
        actor=ar_users["supervisor"],
    )
    assert citation.balance == Decimal("60.00")
    assert citation.status == CitationStatus.OPEN
    assert citation.hearing_status == HearingStatus.REDUCED
    movement = ArTransaction.objects.get(citation=citation, kind=ArKind.REDUCTION)
    assert movement.amount == Decimal("-40.00")
    assert "Hearing officer: first offence" in movement.memo
    assert entry_lines(movement.journal_entry) == {
        FINES_AR: Decimal("-40.00"),
        ADMIN: Decimal("40.00"),
    }
    with pytest.raises(ValidationError, match="already reduced once"):
        reduce_citation(
            citation, amount_off=Decimal("5.00"), reason="Again", actor=ar_users["supervisor"]
        )
    assert ArTransaction.objects.filter(citation=citation, kind=ArKind.REDUCTION).count() == 1


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"new_amount": Decimal("0.00")}, "new_amount", "dismiss it"),
        ({"amount_off": Decimal("100.00")}, "amount_off", "dismiss it"),
        ({"new_amount": Decimal("100.00")}, "new_amount", "less than $100.00"),
        ({"new_amount": Decimal("50.00")}, "new_amount", "$80.00 of the fine has been paid"),
        ({}, "new_amount", "Enter the new fine"),
    ],
)
def test_reduction_refused(ar_fees, ar_users, values, field, text):
    citation = make_citation(actor=ar_users["tech"], kind="administrative", code="ADMIN-CITATION")
    pay(citation.number, "citation", "80.00", actor=ar_users["clerk"])
    with pytest.raises(ValidationError) as error:
        reduce_citation(citation, **values, reason="Because", actor=ar_users["supervisor"])
    assert text in " ".join(error.value.message_dict[field])
    assert not ArTransaction.objects.filter(kind=ArKind.REDUCTION).exists()


def test_reduction_down_to_what_was_paid_is_allowed(ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], kind="administrative", code="ADMIN-CITATION")
    pay(citation.number, "citation", "80.00", actor=ar_users["clerk"])
    citation = reduce_citation(
        citation, amount_off=Decimal("20.00"), reason="Hardship", actor=ar_users["supervisor"]
    )
    assert citation.balance == Decimal("0.00")


def test_hearing_transitions_and_the_hold_on_escalation(ar_fees, ar_users):
    make_late_rule()
    tech = ar_users["tech"]
    citation = make_citation(actor=tech, issue_date=datetime.date(2026, 11, 10))
    (step,) = escalation_schedule(citation, today=TODAY)
    assert (step.charge_on, step.amount, step.state) == (
        datetime.date(2026, 12, 1),
        Decimal("25.00"),
        "upcoming",
    )
    with pytest.raises(ValidationError) as error:
        set_hearing_status(citation, status="upheld", actor=tech)
    assert "cannot become" in error.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as error:
        set_hearing_status(citation, status="dismissed", actor=tech)
    assert "Finance Supervisor" in error.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as error:
        set_hearing_status(citation, status="scheduled", actor=tech)
    assert "hearing_date" in error.value.message_dict

    citation = set_hearing_status(citation, status="requested", note="By mail", actor=tech)
    (step,) = escalation_schedule(citation, today=TODAY)
    assert (step.state, step.state_text) == ("held", "Held: review requested")
    # The penalty batch honours the hold.
    run_penalty_batch(datetime.date(2026, 12, 5), idempotency_key="held", actor=ar_users["senior"])
    assert not ArTransaction.objects.filter(citation=citation, kind=ArKind.PENALTY).exists()

    citation = set_hearing_status(
        citation, status="scheduled", hearing_date=datetime.date(2026, 12, 10), actor=tech
    )
    assert citation.hearing_date == datetime.date(2026, 12, 10)
    citation = set_hearing_status(citation, status="upheld", note="Photos clear", actor=tech)
    assert citation.hearing_status == HearingStatus.UPHELD
    assert "Upheld. Photos clear" in citation.notes
    (step,) = escalation_schedule(citation, today=datetime.date(2026, 12, 15))
    assert step.state == "due"
    with pytest.raises(ValidationError):
        set_hearing_status(citation, status="requested", actor=tech)
    run_penalty_batch(
        datetime.date(2026, 12, 15), idempotency_key="after", actor=ar_users["senior"]
    )
    assert escalation_schedule(citation, today=TODAY)[0].state == "charged"


def test_schedule_amounts_by_calculation(ar_fees, ar_users):
    make_late_rule("PCT-ORIG", calculation="pct_original", amount=None, rate="12.5", days_after=30)
    make_late_rule(
        "PCT-BAL",
        calculation="pct_balance",
        amount=None,
        rate="1.5",
        days_after=60,
        repeat_every_days=30,
        max_occurrences=2,
    )
    make_late_rule("ADMIN-ONLY", kind="administrative", days_after=10)
    make_late_rule("OLD", days_after=5).__class__.objects.filter(code="OLD").update(is_active=False)
    citation = make_citation(actor=ar_users["tech"], issue_date=datetime.date(2026, 11, 20))
    steps = escalation_schedule(citation, today=TODAY)
    assert [(s.rule.code, s.occurrence, s.charge_on, s.amount, s.amount_text) for s in steps] == [
        ("PCT-ORIG", 1, datetime.date(2026, 12, 20), Decimal("5.63"), "$5.63 (12.5% of the fine)"),
        ("PCT-BAL", 1, datetime.date(2027, 1, 19), None, "1.5% of the balance then"),
        ("PCT-BAL", 2, datetime.date(2027, 2, 18), None, "1.5% of the balance then"),
    ]
    notice = citation_notice(citation, today=TODAY)
    assert notice.next_penalty.pay_by == datetime.date(2026, 12, 19)
    assert notice.review_by == datetime.date(2026, 12, 11)


def test_assigning_the_owner_moves_the_citation_and_its_movements(ar_fees, ar_users):
    citation, _ = _penalised(ar_users)
    owner = make_customer("Nguyen, Tam")
    citation = assign_citation_customer(citation, customer=owner, actor=ar_users["tech"])
    assert citation.customer == owner
    assert set(
        ArTransaction.objects.filter(citation=citation).values_list("customer_id", flat=True)
    ) == {owner.pk}
    assert open_items_for_customer(owner) == [citation]
    with pytest.raises(ValidationError) as error:
        assign_citation_customer(citation, customer=owner, actor=ar_users["tech"])
    assert "already" in error.value.message_dict["customer"][0]
    merged = make_customer("Old, Record", is_active=False)
    with pytest.raises(ValidationError):
        assign_citation_customer(citation, customer=merged, actor=ar_users["tech"])


def test_a_hearing_may_follow_an_upheld_review(ar_fees, ar_users):
    tech = ar_users["tech"]
    citation = make_citation(actor=tech)
    citation = set_hearing_status(citation, status="requested", actor=tech)
    citation = set_hearing_status(citation, status="upheld", note="Review upheld", actor=tech)
    citation = set_hearing_status(
        citation, status="scheduled", hearing_date=datetime.date(2026, 12, 8), actor=tech
    )
    assert citation.on_hold
    dismissed = dismiss_citation(
        citation, reason="Hearing: dismissed", actor=ar_users["supervisor"]
    )
    assert dismissed.hearing_status == HearingStatus.DISMISSED
    with pytest.raises(ValidationError, match="no longer changes"):
        set_hearing_status(dismissed, status="upheld", actor=tech)


def test_issue_refuses_a_fee_that_is_not_a_violation_code(ar_fees, ar_users):
    # REINSPECTION is an approved flat fee, but not the fine of any citation.
    with pytest.raises(ValidationError) as error:
        make_citation(actor=ar_users["tech"], code="REINSPECTION")
    assert error.value.message_dict == {"violation_code": ["REINSPECTION is not a violation code."]}
    assert not Citation.objects.exists()
    assert not ArTransaction.objects.exists()


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        (
            "parking",
            "ADMIN-CITATION",
            "ADMIN-CITATION is an administrative violation, not a parking one.",
        ),
        (
            "administrative",
            "PKG-RED-ZONE",
            "PKG-RED-ZONE is a parking violation, not an administrative one.",
        ),
    ],
)
def test_issue_refuses_a_violation_of_the_other_kind(ar_fees, ar_users, kind, code, message):
    with pytest.raises(ValidationError) as error:
        make_citation(actor=ar_users["tech"], kind=kind, code=code)
    assert error.value.message_dict == {"violation_code": [message]}
    assert not Citation.objects.exists()


def test_issue_follows_the_kind_of_the_version_in_effect(ar_fees, ar_users):
    # From November, RETURNED-CHECK's new version is (oddly) a parking violation: a
    # citation issued before then is refused, one after it is taken.
    ar_fees["RETURNED-CHECK"].effective_to = datetime.date(2026, 10, 31)
    ar_fees["RETURNED-CHECK"].save()
    make_fee(
        "RETURNED-CHECK",
        prepared_by=ar_users["tech"],
        approved_by=ar_users["supervisor"],
        effective_from=datetime.date(2026, 11, 1),
        violation_kind="parking",
    )
    with pytest.raises(ValidationError, match="not a violation code"):
        make_citation(
            actor=ar_users["tech"], code="RETURNED-CHECK", issue_date=datetime.date(2026, 10, 31)
        )
    citation = make_citation(
        actor=ar_users["tech"], code="RETURNED-CHECK", issue_date=datetime.date(2026, 11, 2)
    )
    assert citation.fine_amount == Decimal("25.00")


@pytest.mark.parametrize(
    ("hearing_date", "message"),
    [
        # A year from today (2026-11-28) is the latest day a hearing is scheduled for.
        (datetime.date(2027, 11, 29), "2027-11-29 is more than a year away"),
        (datetime.date(2036, 1, 5), "more than a year away"),
        (datetime.date(2026, 11, 9), "before the citation was issued (2026-11-10)"),
    ],
)
def test_hearing_date_limits(ar_fees, ar_users, hearing_date, message):
    tech = ar_users["tech"]
    citation = make_citation(actor=tech, issue_date=datetime.date(2026, 11, 10))
    with pytest.raises(ValidationError) as error:
        set_hearing_status(citation, status="scheduled", hearing_date=hearing_date, actor=tech)
    assert message in error.value.message_dict["hearing_date"][0]
    citation.refresh_from_db()
    assert (citation.hearing_status, citation.hearing_date) == (HearingStatus.NONE, None)


def test_hearing_date_within_the_limits(ar_fees, ar_users):
    tech = ar_users["tech"]
    citation = make_citation(actor=tech, issue_date=datetime.date(2026, 11, 10))
    for day in (datetime.date(2026, 11, 10), datetime.date(2027, 11, 28)):
        citation = set_hearing_status(citation, status="scheduled", hearing_date=day, actor=tech)
        assert citation.hearing_date == day


def test_dismissal_recalls_the_citation_from_the_collection_agency(ar_fees, ar_users):
    from receivables.models import CollectionReferral, ReferralStatus
    from receivables.services.referrals import refer_items
    from tests.receivables.conftest import make_citation

    citation = make_citation(actor=ar_users["tech"], issue_date=datetime.date(2026, 6, 1))
    refer_items(
        [citation], agency="Peninsula Recovery Services",
        referred_on=datetime.date(2026, 11, 1), actor=ar_users["tech"],
    )  # fmt: skip
    dismiss_citation(citation, reason="Signage was missing", actor=ar_users["supervisor"])
    assert CollectionReferral.objects.get(citation=citation).status == ReferralStatus.RECALLED
