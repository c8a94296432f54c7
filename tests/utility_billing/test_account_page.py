"""The account page: each tab a real URL (?tab=bills) giving the whole page with the tab
selected; with HTMX, only the tabs and the panel. A fixed number of queries a tab,
however long the account's history; notes added from the Notes tab."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.utility_billing.test_adjustments import billed  # noqa: F401 (a fixture)
from utility_billing.models import AccountNote, ServiceOrder
from utility_billing.queries.account_tabs import ACCOUNT_TABS

pytestmark = pytest.mark.django_db
TABS = [key for key, _, _ in ACCOUNT_TABS]
# Session, user, groups, the account, its balance, messages... and the tab's own: a page
# of rows and its count (the Reads tab: the chart's bills too; the summary: services,
# meter, neighbours; the Deposits tab: deposits, referral and owner notices too).
MAX_QUERIES = 12


def url(account) -> str:
    return reverse("utility_billing:account_detail", args=[account.pk])


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_a_whole_page_without_htmx(client, billed, tab):  # noqa: F811
    account = billed["accounts"]["A2"]
    client.force_login(billed["clerk"])
    response = client.get(url(account), {"tab": tab})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and f"Account {account.number}" in html
    assert f'href="?tab={tab}" hx-get="?tab={tab}"' in html
    tabs = html.split('<nav class="tabs"')[1].split("</nav>")[0]
    assert tabs.count('aria-current="page"') == 1
    selected = tabs.split('aria-current="page"')[0].rsplit("<a ", 1)[1]
    assert f"?tab={tab}" in selected


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_a_fragment_with_htmx(client, billed, tab):  # noqa: F811
    account = billed["accounts"]["A2"]
    client.force_login(billed["auditor"])
    response = client.get(url(account), {"tab": tab}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.strip().startswith('<div id="account-tabs">')
    assert "HX-Request" in response.get("Vary", "")


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_reads_a_fixed_number_of_queries(
    client,
    billed,  # noqa: F811
    tab,
    django_assert_max_num_queries,
):
    account = billed["accounts"]["A2"]
    client.force_login(billed["tech"])
    client.get(url(account), {"tab": tab})  # warm the session
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url(account), {"tab": tab}).status_code == 200
    # More history: the same count.
    for n in range(30):
        AccountNote.objects.create(account=account, text=f"note {n}", created_by=billed["tech"])
        ServiceOrder.objects.create(
            location=account.location, account=account, kind="re_read", requested_by=billed["tech"]
        )
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url(account), {"tab": tab, "page": "2"}).status_code == 200


def test_the_tabs_show_what_the_account_has(client, billed):  # noqa: F811
    account = billed["accounts"]["A2"]
    client.force_login(billed["tech"])
    bills = client.get(url(account), {"tab": "bills"}).content.decode()
    assert "336.50" in bills and "2026-11-05" in bills
    reads = client.get(url(account), {"tab": "reads"}).content.decode()
    assert "<svg" in reads and "Nov 26: 25 HCF" in reads and "Oct 26: 7 HCF" in reads
    summary = client.get(url(account)).content.decode()
    assert "Balance" in summary and "Services" in summary
    deposits = client.get(url(account), {"tab": "deposits"}).content.decode()
    assert "None asked" in deposits
    adjustments = client.get(url(account), {"tab": "adjustments"}).content.decode()
    assert "Leak adjustment" in adjustments  # the prepare buttons, for a technician
    client.force_login(billed["auditor"])
    adjustments = client.get(url(account), {"tab": "adjustments"}).content.decode()
    assert "Leak adjustment</a>" not in adjustments
    # An unknown tab opens the summary; a bad page number the last page.
    assert client.get(url(account), {"tab": "nope", "page": "x"}).status_code == 200


def test_notes_are_added_from_the_notes_tab(client, billed):  # noqa: F811
    account = billed["accounts"]["A1"]
    note_url = reverse("utility_billing:account_note_create", args=[account.pk])
    client.force_login(billed["tech"])
    blank = client.post(note_url, {"text": "  "})
    assert blank.status_code == 200 and "text" in blank.context["note_form"].errors
    assert not AccountNote.objects.exists()
    response = client.post(note_url, {"text": "Customer called about a high bill."})
    assert response.status_code == 302 and response["Location"].endswith("?tab=notes")
    page = client.get(response["Location"]).content.decode()
    assert "Customer called about a high bill." in page
    client.force_login(billed["auditor"])
    assert client.post(note_url, {"text": "x"}).status_code == 403
    assert "Add note" not in client.get(url(account), {"tab": "notes"}).content.decode()
    assert AccountNote.objects.count() == 1
    event = AccountNote.pgh_event_model
    assert event.objects.count() == 1


def test_the_chart_scales_to_a_round_top():
    from utility_billing.charts import consumption_chart

    chart = consumption_chart([("Oct 26", Decimal("7")), ("Nov 26", Decimal("25"))])
    assert [line.label for line in chart.gridlines] == ["0", "12.5", "25", "37.5", "50"]
    assert chart.bars[0].height < chart.bars[1].height
    empty = consumption_chart([])
    assert empty.bars == [] and empty.description == "No use billed yet."
