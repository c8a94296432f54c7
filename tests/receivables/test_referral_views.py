"""The collections screens: candidates and referral, the referral list and files, and the
agency's status file import with its preview."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.models import JournalEntry
from receivables.models import CollectionReferral, ReferralStatus
from receivables.services.referrals import refer_items
from tests.receivables.conftest import make_citation, make_customer, make_invoice

pytestmark = pytest.mark.django_db
D = Decimal
AGENCY = "Peninsula Recovery Services"


def past_due(ar_users, count: int = 3) -> list:
    """Invoices due 2026-07-31 and a citation of 2026-08-01: all well past 90 days now."""
    tech = ar_users["tech"]
    items = [
        make_invoice(
            make_customer(f"Debtor {n}, Pat"),
            actor=tech,
            amount=f"{100 + n}.00",
            invoice_date=datetime.date(2026, 7, 1),
        )
        for n in range(count)
    ]
    items.append(make_citation(actor=tech, issue_date=datetime.date(2026, 8, 1), number="P900001"))
    return items


def test_candidates_page_lists_and_refers_the_ticked_items(client, ar_fees, ar_users):
    items = past_due(ar_users)
    client.force_login(ar_users["tech"])
    url = reverse("receivables:referral_candidates")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 4
    assert f'value="invoice:{items[0].pk}"' in page.text
    assert "Plate 7ABC123 CA" in page.text and 'value="Peninsula Recovery Services"' in page.text
    response = client.post(
        url,
        {
            "item": [f"invoice:{items[0].pk}", f"citation:{items[3].pk}"],
            "agency": AGENCY,
            "referred_on": "2026-11-25",
            "days": "90",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("receivables:referral_files"))
    referred = CollectionReferral.objects.order_by("id")
    assert [(r.invoice_id, r.citation_id) for r in referred] == [
        (items[0].pk, None),
        (None, items[3].pk),
    ]
    files = client.get(response["Location"])
    assert "Download CSV" in files.text and "2026-11-25" in files.text
    assert client.get(url).context["page"].paginator.count == 2


def test_candidates_page_pins_its_queries(client, ar_fees, ar_users, django_assert_max_num_queries):
    past_due(ar_users, count=6)
    client.force_login(ar_users["tech"])
    with django_assert_max_num_queries(9):
        page = client.get(reverse("receivables:referral_candidates"), {"days": "30"})
    assert page.context["page"].paginator.count == 7
    bad = client.get(reverse("receivables:referral_candidates"), {"as_of": "someday"})
    assert bad.status_code == 200 and "as_of" in bad.context["filters"].errors


def test_refer_all_of_the_filter_without_ticking(client, ar_fees, ar_users):
    past_due(ar_users)
    client.force_login(ar_users["senior"])
    response = client.post(
        reverse("receivables:referral_candidates"),
        {
            "refer_all": "on",
            "agency": "Bay Collections",
            "referred_on": "2026-11-25",
            "days": "90",
            "kind": "invoice",
        },
    )
    assert response.status_code == 302
    assert CollectionReferral.objects.filter(agency="Bay Collections").count() == 3
    assert not CollectionReferral.objects.filter(citation__isnull=False).exists()


def test_refer_errors_show_and_nothing_is_referred(client, ar_fees, ar_users):
    items = past_due(ar_users)
    refer_items(
        [items[1]], agency=AGENCY, referred_on=datetime.date(2026, 11, 1), actor=ar_users["tech"]
    )
    client.force_login(ar_users["tech"])
    url = reverse("receivables:referral_candidates")
    response = client.post(url, {"agency": AGENCY, "referred_on": "2026-11-25"})
    assert response.status_code == 200
    assert "Tick the items to refer" in response.text
    response = client.post(
        url,
        {
            "item": [f"invoice:{items[0].pk}", f"invoice:{items[1].pk}"],
            "agency": "",
            "referred_on": "2026-11-25",
        },
    )
    assert response.status_code == 200
    assert 'id="id_agency_error"' in response.text and "This field is required" in response.text
    response = client.post(
        url,
        {
            "item": [f"invoice:{items[0].pk}", f"invoice:{items[1].pk}"],
            "agency": AGENCY,
            "referred_on": "2026-11-25",
        },
    )
    assert response.status_code == 200
    assert f"{items[1].number} is already with a collection agency." in response.text
    assert CollectionReferral.objects.count() == 1


def test_readers_read_and_only_staff_refer(client, ar_fees, ar_users):
    items = past_due(ar_users, count=1)
    url = reverse("receivables:referral_candidates")
    client.force_login(ar_users["auditor"])
    page = client.get(url)
    assert page.status_code == 200 and 'name="item"' not in page.text
    forged = client.post(
        url, {"item": f"invoice:{items[0].pk}", "agency": AGENCY, "referred_on": "2026-11-25"}
    )
    assert forged.status_code == 403
    client.force_login(ar_users["clerk"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("receivables:referral_import")).status_code == 403
    assert not CollectionReferral.objects.exists()


def test_referral_list_filters_exports_and_pins_queries(
    client, ar_fees, ar_users, django_assert_max_num_queries
):
    items = past_due(ar_users)
    refer_items(
        items[:2], agency=AGENCY, referred_on=datetime.date(2026, 11, 1), actor=ar_users["tech"]
    )
    refer_items(
        items[2:],
        agency="Other Agency",
        referred_on=datetime.date(2026, 11, 2),
        actor=ar_users["tech"],
    )
    client.force_login(ar_users["auditor"])
    url = reverse("receivables:referral_list")
    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert page.context["page"].paginator.count == 4
    assert client.get(url, {"agency": "other agency"}).context["page"].paginator.count == 2
    assert client.get(url, {"kind": "citation"}).context["page"].paginator.count == 1
    assert client.get(url, {"q": items[0].number}).context["page"].paginator.count == 1
    assert client.get(url, {"q": "Debtor 1"}).context["page"].paginator.count == 1
    response = client.get(url, {"referred_on": "2026-11-01", "format": "csv"})
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("Referral,Document,Debtor,Agency,Referred on")
    assert len(lines) == 3
    everything = client.get(url, {"format": "csv"})
    text = b"".join(everything.streaming_content).decode()
    assert ",P900001,Plate 7ABC123," in text and f',{items[0].number},"Debtor 0, Pat",' in text
    bad = client.get(url, {"referred_on": "soon"})
    assert bad.status_code == 200 and "referred_on" in bad.context["form"].errors
    with django_assert_max_num_queries(8):
        files = client.get(reverse("receivables:referral_files"))
    assert files.text.count("Download CSV") == 2
    missing = client.get(
        reverse("receivables:referral_files"), {"agency": "Nobody", "referred_on": "2026-11-01"}
    )
    assert missing.status_code == 404


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("status.csv", text.encode(), content_type="text/csv")


def test_status_import_previews_then_imports_once(client, ar_fees, ar_users):
    items = past_due(ar_users, count=1)
    referral, _ = refer_items(
        items, agency=AGENCY, referred_on=datetime.date(2026, 11, 1), actor=ar_users["tech"]
    )
    content = (
        "referral_id,status,amount_collected,agency_fee,status_date\n"
        f"{referral},collecting,80.00,20.00,2026-11-20\n"
    )
    client.force_login(ar_users["tech"])
    url = reverse("receivables:referral_import")
    assert client.get(url).status_code == 200
    preview = client.post(url, {"file": upload(content)})
    assert preview.status_code == 200
    assert "would change" in preview.text and "the City receives $60.00" in preview.text
    assert preview.context["net_total"] == D("60.00")
    assert 'name="confirm"' in preview.text
    referral.refresh_from_db()
    assert referral.amount_collected == D("0.00")  # a preview changes nothing
    done = client.post(url, {"content": content, "confirm": "1"})
    assert done.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.amount_collected) == (ReferralStatus.COLLECTING, D("80.00"))
    again = client.post(url, {"content": content, "confirm": "1"})
    assert again.status_code == 302
    assert JournalEntry.objects.filter(source_document=str(referral)).count() == 1
    follow = client.get(again["Location"])
    assert "0 referrals changed" in follow.text


def test_status_import_shows_row_errors_by_line(client, ar_fees, ar_users):
    items = past_due(ar_users, count=1)
    referral, _ = refer_items(
        items, agency=AGENCY, referred_on=datetime.date(2026, 11, 1), actor=ar_users["tech"]
    )
    content = (
        "referral_id,status,amount_collected,agency_fee,status_date\n"
        f"{referral},collecting,80.00,20.00,2026-11-20\n"
        "REF-999999,paid,1.00,0,2026-11-20\n"
    )
    client.force_login(ar_users["tech"])
    url = reverse("receivables:referral_import")
    for data in ({"file": upload(content)}, {"content": content, "confirm": "1"}):
        response = client.post(url, data)
        assert response.status_code == 200
        assert "1 row to fix: nothing was imported" in response.text
        assert "There is no referral REF-999999." in response.text
        assert 'name="confirm"' not in response.text
    referral.refresh_from_db()
    assert referral.amount_collected == D("0.00")
    response = client.post(url, {})
    assert response.status_code == 200 and "Choose the agency" in response.text
    response = client.post(url, {"file": upload("a,b\n1,2\n")})
    assert "missing: referral_id" in response.text


def test_odd_input_on_collection_screens_is_answered_not_a_500(client, ar_fees, ar_users):
    from receivables.services.referrals import read_status_file

    client.force_login(ar_users["tech"])
    response = client.get(reverse("receivables:referral_candidates"), {"as_of": "0001-01-05"})
    assert response.status_code == 200
    assert "Enter a date between 2000 and 2099." in response.content.decode()
    rows, errors = read_status_file(
        "referral_id,status,amount_collected,agency_fee,status_date\nREF-¹²,paid,1,0,2026-11-01\n"
    )
    assert rows and rows[0].errors
    _, errors = read_status_file("referral_id,status\n" + '"' + "x" * 200000 + '"\n')
    assert errors
