"""Referral to a collection agency: candidates, refer all or nothing, the file out, and the
agency's status file in (validated whole, idempotent, posted with the agency's fee)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledger.models import JournalEntry, JournalLine
from ledger.reconciliation import reconciliation
from receivables.models import ArKind, ArTransaction, CollectionReferral, ReferralStatus
from receivables.queries.collections import (
    candidate_documents,
    referral_candidates,
    referral_file_rows,
)
from receivables.services.referrals import (
    StatusImportRefused,
    import_referral_statuses,
    plan_status_import,
    read_status_file,
    refer_items,
)
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db
D = Decimal
AS_OF = datetime.date(2026, 11, 20)
REFERRED = datetime.date(2026, 11, 21)
AGENCY = "Peninsula Recovery Services"


def old_items(ar_users) -> dict:
    """An invoice due 2026-07-31 (112 days past on AS_OF), a citation of 2026-08-01, and
    items too recent or paid."""
    tech = ar_users["tech"]
    customer = make_customer(
        "Nguyen, Linh", phone="650-555-0199", email="linh@example.com", address_line2="Apt 4"
    )
    return {
        "customer": customer,
        "invoice": make_invoice(
            customer,
            actor=tech,
            amount="148.00",
            invoice_date=datetime.date(2026, 7, 1),
            terms_days=30,
        ),
        "citation": make_citation(
            actor=tech, issue_date=datetime.date(2026, 8, 1), plate="8XYZ321", number="P555001"
        ),
        "recent": make_invoice(
            customer, actor=tech, amount="20.00", invoice_date=datetime.date(2026, 10, 1)
        ),
    }


def candidate_numbers(**kwargs) -> list[str]:
    return [row[2] for row in referral_candidates(**kwargs)]


def test_candidates_are_old_open_items_not_with_an_agency(ar_fees, ar_users):
    items = old_items(ar_users)
    assert candidate_numbers(as_of=AS_OF, days=90) == [items["invoice"].number, "P555001"]
    assert candidate_numbers(as_of=AS_OF, days=90, kind="citation") == ["P555001"]
    assert candidate_numbers(as_of=AS_OF, days=120) == []
    row = next(iter(referral_candidates(as_of=AS_OF, days=90, kind="citation")))
    assert row[3] == "Plate 8XYZ321 CA" and row[4] == datetime.date(2026, 8, 1)
    refer_items([items["invoice"]], agency=AGENCY, referred_on=REFERRED, actor=ar_users["tech"])
    assert candidate_numbers(as_of=AS_OF, days=90) == ["P555001"]
    pay("P555001", "citation", "45.00", actor=ar_users["clerk"])
    assert candidate_numbers(as_of=AS_OF, days=90) == []


def test_refer_is_all_or_nothing(ar_fees, ar_users):
    items = old_items(ar_users)
    refer_items([items["citation"]], agency=AGENCY, referred_on=REFERRED, actor=ar_users["tech"])
    with pytest.raises(ValidationError) as error:
        refer_items(
            [items["invoice"], items["citation"]],
            agency=AGENCY,
            referred_on=REFERRED,
            actor=ar_users["tech"],
        )
    assert error.value.message_dict["documents"] == ["P555001 is already with a collection agency."]
    assert CollectionReferral.objects.count() == 1
    with pytest.raises(ValidationError) as error:
        refer_items([items["invoice"]], agency=" ", referred_on=REFERRED, actor=ar_users["tech"])
    assert "agency" in error.value.message_dict
    with pytest.raises(ValidationError):
        refer_items(
            [items["invoice"]], agency=AGENCY, referred_on=REFERRED, actor=ar_users["clerk"]
        )
    made = refer_items(
        candidate_documents([("invoice", items["invoice"].pk)]),
        agency=AGENCY,
        referred_on=REFERRED,
        actor=ar_users["tech"],
    )
    assert [(r.invoice_id, r.amount_referred, r.status) for r in made] == [
        (items["invoice"].pk, D("148.00"), ReferralStatus.REFERRED)
    ]


def test_referral_file_has_a_row_per_referral(ar_fees, ar_users):
    items = old_items(ar_users)
    pay(items["invoice"].number, "invoice", "48.00", actor=ar_users["clerk"])
    referrals = refer_items(
        [items["invoice"], items["citation"]],
        agency=AGENCY,
        referred_on=REFERRED,
        actor=ar_users["tech"],
    )
    rows = referral_file_rows(referred_on=REFERRED, agency=AGENCY)
    invoice_row, citation_row = rows
    assert invoice_row == [
        str(referrals[0]),
        items["invoice"].number,
        "invoice",
        "Nguyen, Linh",
        "120 Magnolia Ave, Apt 4, Millbrae, CA 94030",
        "650-555-0199",
        "linh@example.com",
        D("148.00"),
        D("100.00"),
        datetime.date(2026, 7, 31),
        datetime.date(2026, 11, 2),
    ]
    assert citation_row[1:4] == ["P555001", "citation", "Registered owner of plate 8XYZ321 (CA)"]
    assert citation_row[7:] == [D("45.00"), D("45.00"), datetime.date(2026, 8, 1), None]
    assert referral_file_rows(referred_on=AS_OF, agency=AGENCY) == []


def status_file(*rows: str) -> str:
    return "referral_id,status,amount_collected,agency_fee,status_date\n" + "\n".join(rows)


def refer_both(ar_users) -> tuple[dict, list[CollectionReferral]]:
    items = old_items(ar_users)
    referrals = refer_items(
        [items["invoice"], items["citation"]],
        agency=AGENCY,
        referred_on=REFERRED,
        actor=ar_users["tech"],
    )
    return items, referrals


def test_status_file_rows_are_all_checked_and_nothing_applies_when_one_is_bad(ar_fees, ar_users):
    _, (inv_ref, cit_ref) = refer_both(ar_users)
    others = refer_items(
        [
            make_citation(actor=ar_users["tech"], issue_date=datetime.date(2026, 8, 1))
            for _ in "abcd"
        ],
        agency=AGENCY,
        referred_on=REFERRED,
        actor=ar_users["tech"],
    )
    content = status_file(
        f"{inv_ref},collecting,50.00,10.00,2026-11-25",  # fine
        f"REF-{cit_ref.pk + 1000},paid,1,0,2026-11-25",  # unknown referral
        f"{cit_ref.pk},settled,1,0,2026-11-25",  # bad status
        f"{others[0].pk},collecting,-1,abc,2026-11-25",  # negative, not a number
        f"{others[1].pk},collecting,46.00,0,2026-11-25",  # more than the balance
        f"{others[2].pk},collecting,10.00,12.00,25 Nov",  # not a date
        f"{others[2].pk},collecting,10.00,0,2026-11-25",  # twice in one file
    )
    rows, file_errors = read_status_file(content)
    assert file_errors == []
    changes = plan_status_import(rows)
    errors = {change.row.line: change.row.errors for change in changes}
    assert errors[2] == []
    assert errors[3] == [f"There is no referral REF-{cit_ref.pk + 1000:06d}."]
    assert "not one of collecting, paid, returned, recalled" in errors[4][0]
    assert errors[5] == [
        "Amount collected cannot be negative.",
        "Agency fee “abc” is not an amount.",
    ]
    # Line 6 is checked against the referral: more than referred and than owed.
    assert errors[6] == [
        "Collected 46.00 is more than the 45.00 balance referred.",
        f"46.00 newly collected is more than the 45.00 {others[1].citation.number} still owes.",
    ]
    assert errors[7] == ["Status date “25 Nov” is not a date (YYYY-MM-DD)."]
    assert errors[8] == [f"{others[2]} is already on line 7."]
    with pytest.raises(StatusImportRefused) as refused:
        import_referral_statuses(rows, actor=ar_users["tech"])
    assert any(change.row.errors for change in refused.value.changes)
    inv_ref.refresh_from_db()
    assert inv_ref.amount_collected == D("0.00") and inv_ref.status == ReferralStatus.REFERRED
    assert not ArTransaction.objects.filter(kind=ArKind.PAYMENT).exists()

    rows, _ = read_status_file(status_file(f"{cit_ref.pk},collecting,10.00,12.00,2026-11-25"))
    (change,) = plan_status_import(rows)
    assert change.row.errors == ["Fee 12.00 is more than the 10.00 collected."]
    rows, file_errors = read_status_file("referral,status\n1,paid\n")
    assert "missing: referral_id, amount_collected, agency_fee, status_date." in file_errors[0]


def test_collection_with_a_fee_posts_net_cash_fee_and_ar(ar_fees, ar_users):
    items, (inv_ref, cit_ref) = refer_both(ar_users)
    content = status_file(
        f"{inv_ref},collecting,100.00,25.00,2026-11-25",
        f"{cit_ref.pk},returned,,,2026-11-26",
    )
    rows, _ = read_status_file(content)
    applied = import_referral_statuses(rows, actor=ar_users["tech"])
    assert len(applied) == 2
    inv_ref.refresh_from_db()
    cit_ref.refresh_from_db()
    assert (inv_ref.status, inv_ref.amount_collected, inv_ref.agency_fees) == (
        ReferralStatus.COLLECTING,
        D("100.00"),
        D("25.00"),
    )
    assert cit_ref.status == ReferralStatus.RETURNED
    assert cit_ref.status_date == datetime.date(2026, 11, 26)
    entry = JournalEntry.objects.get(source_document=str(inv_ref))
    assert entry.entry_date == datetime.date(2026, 11, 25)
    lines = {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry=entry).select_related("account")
    }
    assert lines == {
        "101-0000-1010": D("75.00"),
        "101-1100-5310": D("25.00"),
        "101-0000-1120": D("-100.00"),
    }
    items["invoice"].refresh_from_db()
    assert items["invoice"].balance == D("48.00")
    payment = ArTransaction.objects.get(kind=ArKind.PAYMENT)
    assert (payment.amount, payment.reference) == (D("-100.00"), str(inv_ref))
    for row in reconciliation(datetime.date(2026, 11, 30)):
        if row.subledger.value in ("misc_ar", "fines_ar"):
            assert row.reconciles, row

    # The same file again changes nothing; the next month's totals apply the increase.
    rows, _ = read_status_file(content)
    assert import_referral_statuses(rows, actor=ar_users["tech"]) == []
    assert JournalEntry.objects.filter(source_document=str(inv_ref)).count() == 1
    rows, _ = read_status_file(status_file(f"{inv_ref},paid,148.00,37.00,2026-11-27"))
    import_referral_statuses(rows, actor=ar_users["tech"])
    second = JournalEntry.objects.filter(source_document=str(inv_ref)).latest("id")
    assert {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry=second).select_related("account")
    } == {"101-0000-1010": D("36.00"), "101-1100-5310": D("12.00"), "101-0000-1120": D("-48.00")}
    items["invoice"].refresh_from_db()
    assert items["invoice"].balance == D("0.00")
    inv_ref.refresh_from_db()
    assert inv_ref.status == ReferralStatus.PAID

    # A closed referral is not reported on again, and a lower total is refused.
    rows, _ = read_status_file(status_file(f"{cit_ref.pk},collecting,5.00,0,2026-11-27"))
    (change,) = plan_status_import(rows)
    assert any("was closed" in error for error in change.row.errors)


def test_totals_lower_than_recorded_are_refused(ar_fees, ar_users):
    _, (inv_ref, _) = refer_both(ar_users)
    rows, _ = read_status_file(status_file(f"{inv_ref},collecting,50.00,5.00,2026-11-25"))
    import_referral_statuses(rows, actor=ar_users["tech"])
    rows, _ = read_status_file(status_file(f"{inv_ref},collecting,40.00,5.00,2026-11-26"))
    (change,) = plan_status_import(rows)
    assert change.row.errors == [
        "Collected 40.00 is less than the 50.00 already recorded: amounts are totals to date."
    ]


def test_referral_file_csv_parses_back(ar_fees, ar_users, client):
    from django.urls import reverse

    _, referrals = refer_both(ar_users)
    client.force_login(ar_users["auditor"])
    response = client.get(
        reverse("receivables:referral_files"), {"referred_on": "2026-11-21", "agency": AGENCY}
    )
    assert response.status_code == 200
    assert "referrals-peninsula-recovery-services-20261121.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["referral_id"] for row in rows] == [str(r) for r in referrals]
    assert rows[0]["balance_referred"] == "148.00"
    assert rows[1]["last_payment_date"] == ""


def test_a_final_notice_holds_referral_until_the_day_it_promised(ar_fees, ar_users):
    from receivables.models import DunningNotice
    from receivables.queries.dunning import referral_date

    items = old_items(ar_users)
    DunningNotice.objects.create(
        customer=items["customer"], notice_date=AS_OF, level=3,
        amount_past_due=D("148.00"), sent_by=ar_users["senior"],
    )  # fmt: skip
    promised = referral_date(AS_OF)
    assert items["invoice"].number not in candidate_numbers(as_of=REFERRED, days=90)
    assert items["citation"].number in candidate_numbers(as_of=REFERRED, days=90)
    with pytest.raises(ValidationError) as error:
        refer_items([items["invoice"]], agency=AGENCY, referred_on=REFERRED, actor=ar_users["tech"])
    assert f"{promised:%B} {promised.day}" in str(error.value)
    assert items["invoice"].number in candidate_numbers(as_of=promised, days=90)


def test_referral_and_write_off_wait_for_each_other_and_never_for_the_future(ar_fees, ar_users):
    from receivables.services.write_offs import request_write_off

    items = old_items(ar_users)
    tech = ar_users["tech"]
    request_write_off(
        items["citation"], amount=D("45.00"), reason="Out of state",
        write_off_date=REFERRED, actor=tech,
    )  # fmt: skip
    assert items["citation"].number not in candidate_numbers(as_of=REFERRED, days=90)
    with pytest.raises(ValidationError, match="write-off waiting"):
        refer_items([items["citation"]], agency=AGENCY, referred_on=REFERRED, actor=tech)
    refer_items([items["invoice"]], agency=AGENCY, referred_on=REFERRED, actor=tech)
    with pytest.raises(ValidationError) as error:
        request_write_off(
            items["invoice"], amount=D("10.00"), reason="x", write_off_date=REFERRED, actor=tech
        )
    assert "recall it" in error.value.message_dict["document"][0]
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        refer_items([items["recent"]], agency=AGENCY, referred_on=tomorrow, actor=tech)
    assert "referred_on" in error.value.message_dict
