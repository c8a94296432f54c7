"""Every data-entry form page puts the cursor in its first field (list filters keep their
own search-box focus); a NUL character is refused beside the field, on every form, with
one message, never dropped silently."""

import re

import pytest
from django.urls import reverse

from receivables.models import Citation, Customer, Invoice
from tests.receivables.conftest import make_citation, make_customer

pytestmark = pytest.mark.django_db
NUL_REFUSED = "Null characters are not allowed."


def autofocused(html: str) -> set[str]:
    """The names of the fields that carry autofocus."""
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    return {
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in tags
        if re.search(r"\sautofocus\b", tag)
    }


def error_beside(html: str, field: str) -> str:
    """The text of a field's error slot."""
    match = re.search(rf'<div class="error" id="id_{field}_error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error slot for {field}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


@pytest.mark.parametrize(
    ("role", "url_name", "first"),
    [
        ("tech", "receivables:customer_create", "kind"),
        ("supervisor", "receivables:customer_merge", "duplicate"),
        ("tech", "receivables:fee_create", "code"),
        ("tech", "receivables:citation_create", "number"),
        ("tech", "receivables:invoice_create", "customer"),
        ("tech", "receivables:write_off_create", "document"),
        ("supervisor", "receivables:penalty_rule_create", "code"),
    ],
)
def test_entry_form_pages_put_the_cursor_in_their_first_field(
    client, ar_fees, ar_users, role, url_name, first
):
    client.force_login(ar_users[role])
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert autofocused(response.content.decode()) == {first}


def test_a_citation_action_page_puts_the_cursor_in_its_first_field(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"])
    client.force_login(ar_users["tech"])
    page = client.get(reverse("receivables:citation_hearing", args=[citation.pk]))
    assert len(autofocused(page.content.decode())) == 1


def test_list_filters_keep_only_their_search_box_focus(client, ar_fees, ar_users):
    client.force_login(ar_users["tech"])
    assert autofocused(client.get(reverse("receivables:citation_list")).content.decode()) == {"q"}
    assert autofocused(client.get(reverse("receivables:invoice_list")).content.decode()) == set()


def test_a_refused_form_puts_the_cursor_in_the_field_at_fault(client, ar_fees, ar_users):
    client.force_login(ar_users["tech"])
    page = client.post(
        reverse("receivables:customer_create"),
        {"kind": "person", "name": "Lee, Ann", "email": "not an email"},
    ).content.decode()
    assert autofocused(page) == {"email"}


def test_a_nul_is_refused_beside_the_field_on_every_form(client, ar_fees, ar_users):
    customer = make_customer("Garcia, Maria")
    client.force_login(ar_users["tech"])
    cases = [
        # (url, method, data, field): a list's search box, an entry form's text, a
        # customer chosen by number, a model form's text.
        (reverse("receivables:customer_list"), "get", {"q": "Gar\x00cia"}, "q"),
        (reverse("receivables:citation_list"), "get", {"q": "P1\x00"}, "q"),
        (
            reverse("receivables:citation_create"),
            "post",
            {"number": "P55\x0055", "kind": "parking", "issue_date": "2026-10-05"},
            "number",
        ),
        (
            reverse("receivables:invoice_create"),
            "post",
            {"customer": f"{customer.number}\x00", "invoice_date": "2026-10-05"},
            "customer",
        ),
        (
            reverse("receivables:customer_create"),
            "post",
            {"kind": "person", "name": "Chen\x00", "email": "chen@example.com"},
            "name",
        ),
        (
            reverse("receivables:write_off_create"),
            "post",
            {"document": "P1\x00", "amount": "1.00", "reason": "x"},
            "document",
        ),
    ]
    for url, method, data, field in cases:
        response = getattr(client, method)(url, data)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert error_beside(html, field) == NUL_REFUSED, (url, error_beside(html, field))
    assert not Citation.objects.exists()
    assert not Invoice.objects.exists()
    assert Customer.objects.count() == 1


def test_no_form_field_drops_a_nul_silently():
    """The one rule lives in Django's CharField validator (millbrae_finance.forms.refuse_nul
    for fields that parse text): no form module strips a NUL on its own."""
    from pathlib import Path

    import receivables

    root = Path(receivables.__file__).parent.parent
    for module in [*root.glob("*/forms/*.py"), root / "millbrae_finance" / "forms.py"]:
        for line in module.read_text().splitlines():
            # An uploaded file's own name is not text a person typed into a field.
            if "upload.name" not in line:
                assert '.replace("\\x00", "")' not in line, (module, line)
