"""The supervisor's screens after the close: find a receipt, reverse it, record a returned
check; each refused (403) to the roles it is not for, a bad input shown beside its field."""

import re
from decimal import Decimal

from django.urls import reverse

from cashiering.models import ReceiptReversal, ReturnedCheck
from cashiering.services.closing import CountSpec, close_and_count
from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
from tests.receivables.conftest import ar_chart, ar_fees, ar_users  # noqa: F401  (fixtures)

D = Decimal
UA = "utility-account"


def _receipt(counter, *, close=True):
    a1 = counter["billing"]["accounts"]["A1"]
    receipt = post_receipt(
        counter["session"],
        items=[ItemSpec(UA, a1.number, D("60.00"), customer=a1.customer.name)],
        tenders=[
            TenderSpec("check", D("50.00"), check_number="8801"),
            TenderSpec("cash", D("10.00")),
        ],
        idempotency_key="views-after-close",
        actor=counter["users"]["clerk"],
    )
    if close:
        close_and_count(counter["session"], spec=CountSpec(), actor=counter["users"]["clerk"])
    return receipt


def _field_error(page: str, field: str) -> str:
    """The text of the error block right under a field."""
    found = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip() if found else ""


def test_the_supervisor_finds_receipts_by_number_day_and_clerk(client, counter):
    users = counter["users"]
    receipt = _receipt(counter, close=False)
    url = reverse("cashiering:receipt_list")
    for who in ("clerk", "tech"):
        client.force_login(users[who])
        assert client.get(url).status_code == 403
    client.force_login(users["supervisor"])
    page = client.get(url, {"number": "D1-000001"}).content.decode()
    assert reverse("cashiering:receipt_detail", args=[receipt.pk]) in page
    assert client.get(url, {"number": "1", "day": "2026-12-20"}).content.decode().count("D1-000001")
    assert "No receipt matches." in client.get(url, {"number": "D1-000002"}).content.decode()
    assert "No receipt matches." in client.get(url, {"day": "2026-12-19"}).content.decode()
    page = client.get(url, {"clerk": users["clerk"].pk}).content.decode()
    assert "D1-000001" in page
    fragment = client.get(url, {"number": "D1-1"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    assert b"D1-000001" in fragment.content


def test_a_supervisor_reverses_a_receipt_from_its_page(client, counter):
    users = counter["users"]
    receipt = _receipt(counter)
    detail = reverse("cashiering:receipt_detail", args=[receipt.pk])
    url = reverse("cashiering:receipt_reverse", args=[receipt.pk])
    for who in ("clerk", "senior", "auditor"):
        client.force_login(users[who])
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x"}).status_code == 403
        assert "Reverse…" not in client.get(detail).content.decode()
    client.force_login(users["supervisor"])
    assert "Reverse…" in client.get(detail).content.decode()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "required" in _field_error(response.content.decode(), "reason")

    response = client.post(url, {"reason": "Paid the wrong account"})
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail).content.decode()
    assert "is reversed" in page and "Paid the wrong account" in page and "Reversed" in page
    assert "Reverse…" not in page
    # Again (a double-click): the same one reversal.
    assert client.post(url, {"reason": "again"}).status_code == 302
    assert ReceiptReversal.objects.get().reason == "Paid the wrong account"


def test_an_open_sessions_receipt_is_not_reversed_and_says_why(client, counter):
    receipt = _receipt(counter, close=False)
    client.force_login(counter["users"]["supervisor"])
    response = client.post(
        reverse("cashiering:receipt_reverse", args=[receipt.pk]), {"reason": "too soon"}
    )
    assert response.status_code == 200
    assert "still open" in _field_error(response.content.decode(), "reason")
    assert not ReceiptReversal.objects.exists()


def test_a_lead_records_a_returned_check_from_the_receipt(client, counter, ar_fees):  # noqa: F811
    users = counter["users"]
    receipt = _receipt(counter)
    check = receipt.tenders.get(kind="check")
    detail = reverse("cashiering:receipt_detail", args=[receipt.pk])
    url = reverse("cashiering:receipt_return_check", args=[receipt.pk])
    for who in ("clerk", "tech", "auditor"):
        client.force_login(users[who])
        assert client.get(url).status_code == 403
    client.force_login(users["senior"])
    assert "Returned check…" in client.get(detail).content.decode()
    form = client.get(url).content.decode()
    assert 'value="50.00"' in form and "Check 8801, 50.00" in form
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    data = {"tender": check.pk, "amount": "50.01", "bank_reason": "NSF", "idempotency_key": key}

    response = client.post(url, data)
    assert response.status_code == 200
    assert "was for 50.00" in _field_error(response.content.decode(), "amount")
    response = client.post(url, {**data, "amount": "50.00", "bank_reason": ""})
    assert "required" in _field_error(response.content.decode(), "bank_reason")

    response = client.post(url, {**data, "amount": "50.00"})
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail, follow=True).content.decode()
    assert "Check 8801 is recorded as returned" in page and "Returned checks" in page
    assert "Invoice INV-" in page and "12/20/2027" in page
    assert "Returned check…" not in page and "Reverse…" not in page
    # The same form again: one record; a new form for the same check: refused beside it.
    assert client.post(url, {**data, "amount": "50.00"}).status_code == 302
    assert ReturnedCheck.objects.count() == 1
    response = client.post(url, {**data, "amount": "50.00", "idempotency_key": "another"})
    assert response.status_code == 200
    assert "already returned" in _field_error(response.content.decode(), "tender")
