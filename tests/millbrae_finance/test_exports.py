import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from pypdf import PdfReader

from millbrae_finance.csv_export import csv_cell, queryset_csv_response
from millbrae_finance.pdf import render_pdf


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("12.50"), "12.50"),
        (Decimal("-3.00"), "-3.00"),
        (None, ""),
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("@cmd", "'@cmd"),
        ("-12.5", "-12.5"),
        ("Main St", "Main St"),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.django_db
def test_queryset_csv_response_streams_rows():
    User.objects.create_user("ann", first_name="Ann")
    User.objects.create_user("bob", first_name="+Bob")
    response = queryset_csv_response(
        "users.csv",
        User.objects.order_by("username"),
        [("User", "username"), ("First", "first_name")],
    )
    assert response["Content-Disposition"] == 'attachment; filename="users.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == ["User,First", "ann,Ann", "bob,'+Bob"]


def test_render_pdf_renders_a_template_with_static_css():
    pdf = render_pdf(
        "millbrae_finance/pdf/audit_history.html",
        {"record_name": "Test record #7", "events": [], "usernames": {}},
    )
    assert pdf.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "City of Millbrae" in text
    assert "History of Test record #7" in text
    # The footer comes from @page rules in static/css/pdf.css: the stylesheet was loaded.
    assert "Page 1 of 1" in text
