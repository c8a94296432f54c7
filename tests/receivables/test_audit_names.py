"""The audit trail names a document by its number and shows amounts as money."""

import pytest
from django.urls import reverse

from tests.receivables.conftest import make_citation, make_customer, make_invoice

pytestmark = pytest.mark.django_db


def test_audit_trail_names_a_citation_by_its_number_and_shows_money(client, ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], number="P7700123")
    client.force_login(ar_users["auditor"])

    response = client.get(reverse("audit_log"), {"model": "receivables.Citation"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Citation P7700123" in html
    assert f"Citation #{citation.pk}<" not in html
    # Issuing the citation raised its balance from nothing to the fine.
    assert "$0.00</del> → <ins>$45.00" in html
    assert "45.0<" not in html and "0.0<" not in html


def test_audit_history_of_an_invoice_is_titled_by_its_number(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="80.00")
    client.force_login(ar_users["auditor"])

    url = reverse("audit_history", args=["receivables.Invoice", invoice.pk])
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>Invoice {invoice.number}: history</h1>" in html
    assert "$80.00" in html
    assert "80.0<" not in html


def test_audit_history_names_the_journal_entry_a_document_posted(client, ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="80.00")
    assert invoice.journal_entry_id is not None
    client.force_login(ar_users["auditor"])

    url = reverse("audit_history", args=["receivables.Invoice", invoice.pk])
    html = client.get(url).content.decode()

    assert f"Journal entry {invoice.journal_entry.number}" in html
    assert f"<ins>{invoice.journal_entry_id}</ins>" not in html
