"""Citation screens: who may do what, errors beside the fields, the list, CSV and PDF."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from receivables.models import ArKind, ArTransaction, Citation, CitationStatus
from receivables.services.penalties import run_penalty_batch
from tests.receivables.citation_helpers import make_late_rule
from tests.receivables.conftest import make_citation, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 28, 18, 0), tick=False):
        yield


def _entry(**values) -> dict:
    return {
        "number": "P900100",
        "kind": "parking",
        "issue_date": "2026-11-20",
        "violation_code": "PKG-RED-ZONE",
        "plate": "8xyz 321",
        "plate_state": "ca",
        "location": "200 block Broadway",
        "officer": "Badge 112",
    } | values


def test_list_is_for_readers_and_filters(client, ar_fees, ar_users):
    owner = make_customer("Nguyen, Tam")
    make_citation(actor=ar_users["tech"], number="P100001", plate="7ABC123")
    make_citation(actor=ar_users["tech"], number="P100002", plate="5QRS999", customer=owner)
    make_citation(
        actor=ar_users["tech"], number="A200001", kind="administrative", code="ADMIN-CITATION"
    )
    url = reverse("receivables:citation_list")
    for name in ("tech", "clerk", "auditor", "supervisor"):
        client.force_login(ar_users[name])
        assert client.get(url).status_code == 200
    response = client.get(url, {"q": "7abc"})
    assert [c.number for c in response.context["page"]] == ["P100001"]
    response = client.get(url, {"q": owner.number})
    assert [c.number for c in response.context["page"]] == ["P100002"]
    response = client.get(url, {"q": "nguyen"})
    assert [c.number for c in response.context["page"]] == ["P100002"]
    response = client.get(url, {"kind": "administrative"})
    assert [c.number for c in response.context["page"]] == ["A200001"]
    response = client.get(url, {"sort": "number"})
    assert [c.number for c in response.context["page"]] == ["A200001", "P100001", "P100002"]
    response = client.get(url, {"issued_from": "2026-12-01", "issued_to": "2026-11-01"})
    assert response.status_code == 200
    assert "The range ends before it starts." in response.content.decode()
    assert "Enter citation" in client.get(url).content.decode()
    client.force_login(ar_users["clerk"])
    assert "Enter citation" not in client.get(url).content.decode()


def test_list_open_only_and_htmx_fragment(client, ar_fees, ar_users):
    from tests.receivables.conftest import pay

    paid = make_citation(actor=ar_users["tech"], number="P100003")
    make_citation(actor=ar_users["tech"], number="P100004")
    pay(paid.number, "citation", "45.00", actor=ar_users["clerk"])
    client.force_login(ar_users["clerk"])
    url = reverse("receivables:citation_list")
    response = client.get(url, {"open_only": "on"}, headers={"HX-Request": "true"})
    assert [c.number for c in response.context["page"]] == ["P100004"]
    assert "<h1>" not in response.content.decode()
    assert 'id="results"' in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(
    client, ar_fees, ar_users, django_assert_max_num_queries
):
    owner = make_customer("Nguyen, Tam")
    for number in range(30):
        make_citation(actor=ar_users["tech"], number=f"Q{number:05d}", customer=owner)
    client.force_login(ar_users["auditor"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("receivables:citation_list"))
    assert response.context["page"].paginator.count == 30


def test_list_csv(client, ar_fees, ar_users):
    owner = make_customer("Nguyen, Tam")
    make_citation(actor=ar_users["tech"], number="P100005", customer=owner)
    client.force_login(ar_users["auditor"])
    response = client.get(reverse("receivables:citation_list"), {"format": "csv"})
    assert response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("number,kind,issue_date,violation_code")
    assert lines[1].startswith("P100005,parking,2026-10-05,PKG-EXPIRED-METER,")
    assert f",{owner.number},Nguyen, Tam," in lines[1].replace('"', "")
    assert lines[1].endswith(",45.00,45.00")


def test_enter_a_citation(client, ar_fees, ar_users):
    owner = make_customer("Nguyen, Tam")
    client.force_login(ar_users["tech"])
    url = reverse("receivables:citation_create")
    page = client.get(url).content.decode()
    assert "PKG-RED-ZONE · Pkg Red Zone · $60.00" in page
    response = client.post(url, _entry(customer=owner.number.lower()))
    citation = Citation.objects.get(number="P900100")
    assert response.status_code == 302
    assert response["Location"] == reverse("receivables:citation_detail", args=[citation.pk])
    assert (citation.plate, citation.plate_state, citation.customer) == ("8XYZ321", "CA", owner)
    assert citation.fine_amount == Decimal("60.00")
    assert citation.entered_by == ar_users["tech"]


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        (
            {"violation_code": "PKG-NO-SUCH"},
            "violation_code",
            "PKG-NO-SUCH is not a violation code",
        ),
        ({"issue_date": "2026-11-29"}, "issue_date", "after today"),
        ({"plate": "ABC*123"}, "plate", "1 to 8 letters and digits"),
        ({"customer": "C999999"}, "customer", "No customer C999999"),
        ({"plate_state": "C1"}, "plate_state", "two-letter code"),
        ({"kind": "administrative", "plate": ""}, "respondent_name", "Name the respondent"),
    ],
)
def test_entry_errors_beside_the_field(client, ar_fees, ar_users, values, field, text):
    client.force_login(ar_users["tech"])
    response = client.post(reverse("receivables:citation_create"), _entry(**values))
    assert response.status_code == 200
    assert text in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    slot = page.index(f'id="id_{field}_error"')
    assert text.split("'")[0] in page[slot : slot + 400]
    assert not Citation.objects.exists()


def test_entry_refuses_a_duplicate_number(client, ar_fees, ar_users):
    make_citation(actor=ar_users["tech"], number="P900100")
    client.force_login(ar_users["tech"])
    response = client.post(reverse("receivables:citation_create"), _entry())
    assert response.context["form"].errors["number"] == ["Citation P900100 was already entered."]
    assert Citation.objects.count() == 1


def test_show_fine_without_javascript_and_the_htmx_lookup(client, ar_fees, ar_users):
    client.force_login(ar_users["tech"])
    response = client.post(reverse("receivables:citation_create"), _entry(preview="1"))
    assert response.status_code == 200
    assert 'Fine on this issue date: <strong class="amount">$60.00' in response.content.decode()
    assert not Citation.objects.exists()
    response = client.get(
        reverse("receivables:citation_fine"),
        {"violation_code": "ADMIN-CITATION", "issue_date": "2026-11-01"},
    )
    assert "$100.00" in response.content.decode()
    response = client.get(
        reverse("receivables:citation_fine"),
        {"violation_code": "ADMIN-CITATION", "issue_date": "2025-01-01"},
    )
    assert "no approved fine in effect on 2025-01-01" in response.content.decode()


def test_who_may_enter_and_decide(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"])
    create = reverse("receivables:citation_create")
    dismiss = reverse("receivables:citation_dismiss", args=[citation.pk])
    reduce = reverse("receivables:citation_reduce", args=[citation.pk])
    hearing = reverse("receivables:citation_hearing", args=[citation.pk])
    assign = reverse("receivables:citation_assign", args=[citation.pk])
    for name in ("clerk", "auditor"):
        client.force_login(ar_users[name])
        assert client.post(create, _entry()).status_code == 403
        assert client.post(hearing, {"status": "requested"}).status_code == 403
        assert client.post(assign, {"customer": "C1"}).status_code == 403
    for name in ("tech", "senior", "clerk"):
        client.force_login(ar_users[name])
        # A forged POST from someone who may not decide posts nothing.
        assert client.post(dismiss, {"reason": "Forged"}).status_code == 403
        assert client.post(reduce, {"new_amount": "10", "reason": "Forged"}).status_code == 403
    assert not ArTransaction.objects.filter(kind__in=[ArKind.DISMISSAL, ArKind.REDUCTION]).exists()
    detail = reverse("receivables:citation_detail", args=[citation.pk])
    client.force_login(ar_users["tech"])
    page = client.get(detail).content.decode()
    assert "Dismiss…" not in page and "Hearing or appeal…" in page
    client.force_login(ar_users["supervisor"])
    assert "Dismiss…" in client.get(detail).content.decode()
    # The supervisor who entered a citation does not see Dismiss on it, and is refused.
    own = make_citation(actor=ar_users["supervisor"])
    own_detail = reverse("receivables:citation_detail", args=[own.pk])
    assert "Dismiss…" not in client.get(own_detail).content.decode()
    response = client.post(
        reverse("receivables:citation_dismiss", args=[own.pk]), {"reason": "Mine"}
    )
    assert response.status_code == 200
    assert "You entered this citation" in response.content.decode()


def test_supervisor_dismisses_from_the_screen(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"])
    client.force_login(ar_users["supervisor"])
    url = reverse("receivables:citation_dismiss", args=[citation.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    response = client.post(url, {"reason": "Signage missing"})
    assert response.status_code == 302
    citation.refresh_from_db()
    assert (citation.status, citation.balance) == (CitationStatus.DISMISSED, Decimal("0.00"))
    page = client.get(response["Location"]).content.decode()
    assert f"Citation {citation.number} dismissed." in page
    assert "Signage missing" in page


def test_supervisor_reduces_and_errors_land_beside_the_field(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], kind="administrative", code="ADMIN-CITATION")
    client.force_login(ar_users["supervisor"])
    url = reverse("receivables:citation_reduce", args=[citation.pk])
    response = client.post(url, {"new_amount": "0", "reason": "x"})
    assert "dismiss it" in response.context["form"].errors["new_amount"][0]
    response = client.post(url, {"new_amount": "10", "amount_off": "5", "reason": "x"})
    assert "(one)" in response.context["form"].errors["new_amount"][0]
    response = client.post(url, {"amount_off": "25.00", "reason": "First offence"})
    assert response.status_code == 302
    citation.refresh_from_db()
    assert citation.balance == Decimal("75.00")


def test_hearing_and_assign_from_the_screen(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"])
    owner = make_customer("Nguyen, Tam")
    client.force_login(ar_users["tech2"])
    hearing = reverse("receivables:citation_hearing", args=[citation.pk])
    response = client.post(hearing, {"status": "scheduled"})
    assert response.status_code == 200
    assert "Enter the date of the hearing." in response.context["form"].errors["hearing_date"]
    response = client.post(hearing, {"status": "scheduled", "hearing_date": "2026-12-09"})
    assert response.status_code == 302
    citation.refresh_from_db()
    assert (citation.hearing_status, citation.hearing_date) == (
        "scheduled",
        datetime.date(2026, 12, 9),
    )
    assign = reverse("receivables:citation_assign", args=[citation.pk])
    response = client.post(assign, {"customer": "C0000000"})
    assert "No customer" in response.context["form"].errors["customer"][0]
    response = client.post(assign, {"customer": owner.number})
    assert response.status_code == 302
    assert ArTransaction.objects.get(citation=citation).customer == owner


def test_detail_shows_schedule_and_movements(client, ar_fees, ar_users):
    make_late_rule(days_after=21)
    make_late_rule("CIT-LATE-2", days_after=45, amount="35.00")
    citation = make_citation(actor=ar_users["tech"], issue_date=datetime.date(2026, 10, 1))
    run_penalty_batch(datetime.date(2026, 10, 25), idempotency_key="v", actor=ar_users["senior"])
    client.force_login(ar_users["auditor"])
    response = client.get(reverse("receivables:citation_detail", args=[citation.pk]))
    page = response.content.decode()
    assert [(s.charge_on, s.state) for s in response.context["schedule"]] == [
        (datetime.date(2026, 10, 22), "charged"),
        (datetime.date(2026, 11, 15), "due"),
    ]
    assert "Charged 2026-10-25" in page
    assert "Due: the next penalty batch charges it" in page
    assert "$70.00" in page  # balance: 45 + 25
    assert "Penalty" in page


def test_notice_pdf(client, ar_fees, ar_users):
    make_late_rule(days_after=21)
    citation = make_citation(
        actor=ar_users["tech"], issue_date=datetime.date(2026, 11, 20), plate="8XYZ321"
    )
    client.force_login(ar_users["clerk"])
    response = client.get(reverse("receivables:citation_notice", args=[citation.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert f"citation {citation.number}" in text
    assert "CA 8XYZ321" in text
    assert "Pay by December 10, 2026 to avoid a $25.00 late penalty" in text
    assert "within 21 days of the issue date, by December 11, 2026" in text
    assert "$45.00" in text


def test_hearing_page_of_a_dismissed_citation_has_nothing_to_record(client, ar_fees, ar_users):
    from receivables.services.citations import dismiss_citation

    citation = make_citation(actor=ar_users["tech"])
    dismiss_citation(citation, reason="Void ticket", actor=ar_users["supervisor"])
    client.force_login(ar_users["tech"])
    url = reverse("receivables:citation_hearing", args=[citation.pk])
    response = client.get(url)
    assert "citation dismissed: nothing more to record" in response.content.decode()
    response = client.post(url, {"status": "requested"})
    assert response.status_code == 200
    citation.refresh_from_db()
    assert citation.hearing_status == "none"


def test_notice_pdf_to_a_customer_with_a_review_pending(client, ar_fees, ar_users):
    from receivables.services.citations import set_hearing_status

    make_late_rule(days_after=21)
    owner = make_customer("Nguyen, Tam", address_line1="88 Taylor Blvd")
    citation = make_citation(actor=ar_users["tech"], customer=owner)
    set_hearing_status(citation, status="requested", actor=ar_users["tech"])
    client.force_login(ar_users["tech"])
    response = client.get(reverse("receivables:citation_notice", args=[citation.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Nguyen, Tam 88 Taylor Blvd Millbrae, CA 94030" in text
    assert "Your request for a review is pending: no late penalty is added" in text
    assert "Pay by" not in text


def test_the_violation_select_lists_only_violation_codes_by_kind(client, ar_fees, ar_users):
    client.force_login(ar_users["tech"])
    response = client.get(reverse("receivables:citation_create"))
    choices = response.context["form"].fields["violation_code"].widget.choices
    groups = {label: [code for code, _ in codes] for label, codes in choices[1:]}
    assert groups == {
        "Parking": ["PKG-EXPIRED-METER", "PKG-RED-ZONE"],
        "Administrative": ["ADMIN-CITATION"],
    }
    page = response.content.decode()
    assert '<optgroup label="Parking">' in page
    assert '<optgroup label="Administrative">' in page
    for code in ("REINSPECTION", "RETURNED-CHECK", "FACILITY-RENTAL"):
        assert code not in page


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ({"violation_code": "ADMIN-CITATION"}, "an administrative violation, not a parking one"),
        ({"violation_code": "REINSPECTION"}, "REINSPECTION is not a violation code."),
    ],
)
def test_entry_refuses_a_code_that_is_not_this_kinds_violation(
    client, ar_fees, ar_users, values, text
):
    client.force_login(ar_users["tech"])
    response = client.post(reverse("receivables:citation_create"), _entry(**values))
    assert response.status_code == 200
    assert text in " ".join(response.context["form"].errors["violation_code"])
    assert not Citation.objects.exists()
    # The fine preview says so as the code is chosen.
    lookup = client.get(
        reverse("receivables:citation_fine"),
        {"kind": "parking", "issue_date": "2026-11-20", **values},
    )
    assert text in lookup.content.decode()


def test_entered_message_shows_dollars(client, ar_fees, ar_users):
    client.force_login(ar_users["tech"])
    response = client.post(reverse("receivables:citation_create"), _entry(), follow=True)
    assert "Citation P900100 entered: $60.00 owed." in response.content.decode()


def test_hearing_date_refused_beside_the_field(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], issue_date=datetime.date(2026, 11, 10))
    client.force_login(ar_users["tech"])
    url = reverse("receivables:citation_hearing", args=[citation.pk])
    response = client.post(url, {"status": "scheduled", "hearing_date": "2028-01-10"})
    assert response.status_code == 200
    assert "more than a year away" in " ".join(response.context["form"].errors["hearing_date"])
    response = client.post(url, {"status": "scheduled", "hearing_date": "2026-12-08"}, follow=True)
    page = response.content.decode()
    assert "Hearing scheduled for 2026-12-08: penalties held" in page
    assert "hearing hearing" not in page.lower()
