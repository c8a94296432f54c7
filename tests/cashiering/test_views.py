"""The cashiering screens: opening a drawer, the counter (search, cart, tenders, post),
receipts and their PDFs, sessions; each refused (403) to the roles it is not for, and a
clerk never reading a colleague's session."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cashiering.models import CashSession, Receipt
from millbrae_finance.roles import Role
from tests.cashiering.conftest import make_drawer, make_session
from tests.conftest import TEST_PASSWORD, make_user

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


def _pdf_text(response) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def _fill(client, account, **fields):
    """Add the account to the cart and post the receipt form with `fields`."""
    client.post(
        reverse("cashiering:cart_add"), {"kind": "utility-account", "reference": account.number}
    )
    page = client.get(reverse("cashiering:counter"))
    key = page.context["form"]["idempotency_key"].value()
    data = {"idempotency_key": key, "action": "post", **fields}
    return data


def test_a_clerk_opens_a_drawer_with_the_counted_float(client, ub_users):
    drawer = make_drawer()
    client.force_login(ub_users["clerk"])
    page = client.get(reverse("cashiering:home"))
    assert page.status_code == 200 and "Open the drawer" in page.content.decode()
    bad = client.post(reverse("cashiering:home"), {"drawer": drawer.pk, "opening_float": "-5"})
    assert bad.status_code == 200 and CashSession.objects.count() == 0
    response = client.post(
        reverse("cashiering:home"), {"drawer": drawer.pk, "opening_float": "150.00"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("cashiering:counter")
    assert CashSession.objects.get().opening_float == D("150.00")
    assert "Go to the counter" in client.get(reverse("cashiering:home")).content.decode()


def test_the_counter_without_a_session_says_to_open_one(client, ub_users):
    client.force_login(ub_users["clerk"])
    page = client.get(reverse("cashiering:counter"))
    assert page.status_code == 200
    assert "open a drawer" in page.content.decode()


def test_the_counter_finds_an_account_by_part_of_its_street_as_you_type(client, counter):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    page = client.get(reverse("cashiering:counter"))
    assert "autofocus" in page.content.decode()
    fragment = client.get(reverse("cashiering:counter"), {"q": "elm"}, **HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert a1.number in html and 'id="results"' in html
    # Without JavaScript the same search answers the whole page.
    assert a1.number in client.get(reverse("cashiering:counter"), {"q": "elm"}).content.decode()


def test_a_clerk_takes_a_split_payment_and_gets_a_receipt(client, counter):
    clerk = counter["users"]["clerk"]
    client.force_login(clerk)
    a1 = counter["billing"]["accounts"]["A1"]
    data = _fill(client, a1, amount_0="144.80", cash="60.00", check="100.00", check_number="2201")

    preview = client.post(reverse("cashiering:counter"), {**data, "action": "update"})
    assert preview.status_code == 200
    assert preview.context["totals"]["check"].change_due == D("15.20")
    assert Receipt.objects.count() == 0

    response = client.post(reverse("cashiering:counter"), data)
    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cashiering:receipt_detail", args=[receipt.pk])
    # A double-click: the same form again answers with the same receipt.
    again = client.post(reverse("cashiering:counter"), data)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Receipt.objects.count() == 1 and receipt.total == D("144.80")
    page = client.get(response["Location"]).content.decode()
    assert "D1-000001" in page and "Check 2201" in page and "15.20" in page
    # The cart is empty for the next customer.
    assert client.get(reverse("cashiering:counter")).context["form"].cart == []


def test_the_receipt_prints_in_letter_and_80mm_and_a_reprint_says_copy(client, counter):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    data = _fill(client, a1, amount_0="20.00", cash="20.00")
    client.post(reverse("cashiering:counter"), data)
    receipt = Receipt.objects.get()
    url = reverse("cashiering:receipt_print", args=[receipt.pk])
    first = client.get(url, {"size": "letter"})
    assert first["Content-Type"] == "application/pdf"
    assert "D1-000001" in _pdf_text(first) and "COPY" not in _pdf_text(first)
    narrow = client.get(url, {"size": "80mm"})
    reader = PdfReader(io.BytesIO(narrow.content))
    width_mm = float(reader.pages[0].mediabox.width) / 72 * 25.4
    assert round(width_mm) == 80
    assert "COPY" in _pdf_text(narrow)
    assert client.get(url, {"size": "a4"}).status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"cash": "5.00"}, "cash", "short"),
        ({"check": "30.00", "check_number": ""}, "check_number", "check number"),
        (
            {"card": "20.00", "card_last_four": "4111111111111111", "card_authorization": "A1"},
            "card_last_four",
            "",
        ),
        (
            {"card": "20.00", "card_last_four": "42x2", "card_authorization": "A1"},
            "card_last_four",
            "Four digits",
        ),
        ({"check": "30.00", "check_number": "9"}, "cash", "only cash is given change"),
        ({"cash": "abc"}, "cash", ""),
    ],
)
def test_bad_tenders_come_back_beside_the_field_and_nothing_posts(
    client, counter, fields, field, text
):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    data = _fill(client, a1, amount_0="20.00", **fields)
    response = client.post(reverse("cashiering:counter"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert text in " ".join(errors[field])
    assert Receipt.objects.count() == 0


def test_a_bad_amount_comes_back_on_its_row(client, counter):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    data = _fill(client, a1, amount_0="-3", cash="10.00")
    response = client.post(reverse("cashiering:counter"), data)
    assert response.status_code == 200 and "amount_0" in response.context["form"].errors
    assert Receipt.objects.count() == 0


def test_items_are_removed_and_unknown_targets_refused(client, counter):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    client.post(reverse("cashiering:cart_add"), {"kind": "utility-account", "reference": a1.number})
    client.post(reverse("cashiering:cart_add"), {"kind": "nope", "reference": "x"})
    client.post(reverse("cashiering:cart_add"), {"kind": "utility-account", "reference": "ZZZ"})
    assert len(client.session["cashiering_cart"]) == 1
    client.post(reverse("cashiering:cart_remove"), {"index": "0"})
    assert client.session["cashiering_cart"] == []


def test_a_clerk_sees_and_closes_only_their_own_session(client, counter):
    users = counter["users"]
    session = counter["session"]
    other_clerk = make_user(Role.COUNTER_CLERK, "other_clerk")
    client.force_login(other_clerk)
    assert client.get(reverse("cashiering:session_detail", args=[session.pk])).status_code == 404
    assert client.post(reverse("cashiering:session_close", args=[session.pk])).status_code == 404
    assert client.get(reverse("cashiering:session_list")).context["sessions"] == []
    client.force_login(users["supervisor"])
    assert client.get(reverse("cashiering:session_detail", args=[session.pk])).status_code == 200
    client.force_login(users["clerk"])
    response = client.post(reverse("cashiering:session_close", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "closed"


@pytest.mark.parametrize("role", ["auditor", "admin", "tech", "supervisor"])
def test_only_cashiers_use_the_counter(client, ub_users, role):
    client.force_login(ub_users[role])
    assert client.get(reverse("cashiering:counter")).status_code == 403
    assert client.post(reverse("cashiering:cart_add"), {}).status_code == 403


def test_role_matrix_samples_are_readable(client, ub_users):
    session = make_session(ub_users["clerk"])
    client.force_login(ub_users["auditor"])
    assert client.get(reverse("cashiering:session_detail", args=[session.pk])).status_code == 200
    assert client.get(reverse("cashiering:home")).status_code == 200
    client.force_login(ub_users["admin"])
    assert client.get(reverse("cashiering:home")).status_code == 403
    assert TEST_PASSWORD


def test_a_no_checks_customer_is_refused_beside_the_check(client, counter):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    a1.customer.do_not_accept_checks = True
    a1.customer.save()
    data = _fill(client, a1, amount_0="20.00", check="20.00", check_number="51")
    page = client.get(reverse("cashiering:counter")).content.decode()
    assert "Do not accept checks" in page
    response = client.post(reverse("cashiering:counter"), data)
    assert response.status_code == 200
    assert "may not pay by check" in " ".join(response.context["form"].errors["check"])
    assert Receipt.objects.count() == 0


def test_a_lead_approves_a_void_on_the_clerks_screen(client, counter):
    users = counter["users"]
    client.force_login(users["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    client.post(reverse("cashiering:counter"), _fill(client, a1, amount_0="20.00", cash="20.00"))
    receipt = Receipt.objects.get()
    page = client.get(reverse("cashiering:receipt_detail", args=[receipt.pk])).content.decode()
    assert "Void…" in page
    url = reverse("cashiering:receipt_void", args=[receipt.pk])
    assert client.get(url).status_code == 200
    wrong = client.post(
        url,
        {"reason": "Wrong account", "approver_username": "ub_senior", "approver_password": "nope"},
    )
    assert wrong.status_code == 200 and "approver_password" in wrong.context["form"].errors
    clerk_self = client.post(
        url,
        {
            "reason": "Wrong account",
            "approver_username": "ub_clerk",
            "approver_password": TEST_PASSWORD,
        },
    )
    assert "approver_username" in clerk_self.context["form"].errors
    response = client.post(
        url,
        {
            "reason": "Wrong account",
            "approver_username": "ub_senior",
            "approver_password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.is_void and receipt.void_approved_by == users["senior"]
    # The clerk is still the one logged in.
    assert int(client.session["_auth_user_id"]) == users["clerk"].pk
    assert "Void…" not in client.get(response["Location"]).content.decode()


def test_the_session_and_receipt_pages_read_a_fixed_number_of_queries(client, counter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt

    users = counter["users"]
    session = counter["session"]
    accounts = counter["billing"]["accounts"]

    def post(key: str, *names: str):
        return post_receipt(
            session,
            items=[ItemSpec("utility-account", accounts[n].number, D("1.00")) for n in names],
            tenders=[TenderSpec("cash", D(len(names)))],
            idempotency_key=key,
            actor=users["clerk"],
        )

    first = post("q-1", "A1")
    client.force_login(users["supervisor"])
    pages = lambda receipt: [  # noqa: E731
        reverse("cashiering:session_list"),
        reverse("cashiering:session_detail", args=[session.pk]),
        reverse("cashiering:receipt_detail", args=[receipt.pk]),
    ]

    def counts(receipt) -> list[int]:
        found = []
        for url in pages(receipt):
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    before = counts(first)
    more = post("q-2", "A1", "A2")
    post("q-3", "A2")
    assert counts(more) == before


def test_the_totals_as_you_type_write_nothing_to_the_cart(client, counter):
    client.force_login(counter["users"]["clerk"])
    a1 = counter["billing"]["accounts"]["A1"]
    data = _fill(client, a1, amount_0="20.00", cash="25.00")
    response = client.post(reverse("cashiering:counter"), {**data, "action": "update"}, **HTMX)
    assert response.status_code == 200
    assert response.context["totals"]["check"].change_due == D("5.00")
    assert client.session["cashiering_cart"][0]["amount"] == "245.05"
    client.post(reverse("cashiering:counter"), {**data, "action": "update"})
    assert client.session["cashiering_cart"][0]["amount"] == "20.00"
