"""The chart of accounts: list, search and export; accounts, funds, departments and object
codes kept by the Administrator; CSV import, checked first and then all or nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode, Subledger
from ledger.services import (
    ChartImportInvalid,
    LineSpec,
    create_department,
    create_fund,
    create_object_code,
    import_chart,
    open_account,
    plan_chart_import,
    post_entry,
    set_account_active,
    update_account,
    update_fund,
    update_object_code,
)
from ledger.services.chart_import import IMPORT_COLUMNS, MAX_IMPORT_BYTES
from millbrae_finance.audit import audit_events
from millbrae_finance.roles import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HEADER = ",".join(IMPORT_COLUMNS)
# A new fund with two accounts: one in a new department and object, one in known ones.
PARKING = (
    HEADER
    + "\n601,Parking Fund,special revenue,2100,Police,4610,Parking fines,revenue,,yes,,yes"
    + "\n601,Parking Fund,special_revenue,0000,Non-departmental,1010,Pooled cash,asset,"
    + "Parking: cash,yes,,yes\n"
)


def upload(text: str | bytes, name: str = "chart.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_to(number: str, user) -> None:
    """Post an entry to an account, so journal lines point at it."""
    post_entry(
        entry_date=dt.date(2026, 11, 15),
        lines=[LineSpec(number, Decimal("10.00")), LineSpec("101-1100-4411", Decimal("-10.00"))],
        memo="Test",
        source_module="test",
        idempotency_key=f"chart-test-{number}",
        prepared_by=user,
    )


def numbers(response) -> list[str]:
    return [account.number for account in response.context["page"]]


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


# ---------------------------------------------------------------- account list


def test_account_list_shows_the_chart_by_number_to_readers(client, chart, auditor):
    client.force_login(auditor)
    response = client.get(reverse("ledger:account_list"))
    assert response.status_code == 200
    assert numbers(response) == sorted(chart)
    page = response.content.decode()
    assert "101-0000-1010" in page
    assert "General Fund: Pooled cash" in page
    assert "Chart of accounts" in page
    # Reading is not changing: no links to the Administrator's screens.
    assert reverse("ledger:account_create") not in page
    assert reverse("ledger:chart_import") not in page


def test_account_list_is_not_for_the_counter(client, chart, clerk):
    client.force_login(clerk)
    assert client.get(reverse("ledger:account_list")).status_code == 403


def test_account_list_filters(admin_client, chart):
    url = reverse("ledger:account_list")
    water = Fund.objects.get(code="501")
    finance = Department.objects.get(code="1100")
    assert set(numbers(admin_client.get(url, {"fund": water.pk}))) == {
        n for n in chart if n.startswith("501-")
    }
    assert numbers(admin_client.get(url, {"department": finance.pk})) == [
        "101-1100-4411",
        "101-1100-5210",
        "501-1100-4411",
        "501-1100-5210",
    ]
    assert numbers(admin_client.get(url, {"account_type": "revenue"})) == [
        "101-1100-4411",
        "501-1100-4411",
    ]
    Account.objects.filter(number="501-1100-5210").update(is_active=False)
    Account.objects.filter(number="501-0000-1010").update(control_subledger=Subledger.DEPOSITS)
    assert numbers(admin_client.get(url, {"active": "no"})) == ["501-1100-5210"]
    assert len(numbers(admin_client.get(url, {"active": "yes"}))) == len(chart) - 1
    assert numbers(admin_client.get(url, {"control": "any"})) == ["501-0000-1010"]
    assert numbers(admin_client.get(url, {"control": "deposits"})) == ["501-0000-1010"]
    assert numbers(admin_client.get(url, {"control": "ap"})) == []
    assert len(numbers(admin_client.get(url, {"control": "none"}))) == len(chart) - 1


def test_account_list_searches_by_number_with_or_without_dashes_and_by_name(admin_client, chart):
    url = reverse("ledger:account_list")
    assert numbers(admin_client.get(url, {"q": "501-1100"})) == ["501-1100-4411", "501-1100-5210"]
    assert numbers(admin_client.get(url, {"q": "5011100"})) == ["501-1100-4411", "501-1100-5210"]
    assert numbers(admin_client.get(url, {"q": "4411"})) == ["101-1100-4411", "501-1100-4411"]
    assert numbers(admin_client.get(url, {"q": "water fund: POSTAGE"})) == ["501-1100-5210"]
    assert numbers(admin_client.get(url, {"q": "no such account"})) == []
    assert "No accounts match." in admin_client.get(url, {"q": "zzz"}).content.decode()


def test_account_list_answers_htmx_with_the_results_fragment(admin_client, chart):
    response = admin_client.get(
        reverse("ledger:account_list"), {"q": "postage"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "<html" not in html
    assert "2 accounts" in html
    assert "101-1100-5210" in html
    # Back after a search restores the whole page.
    response = admin_client.get(
        reverse("ledger:account_list"),
        {"q": "postage"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_account_list_bad_filter_shows_the_error_not_a_500(admin_client, chart):
    response = admin_client.get(reverse("ledger:account_list"), {"fund": "abc", "active": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert numbers(response) == []


def test_account_list_paginates(admin_client, chart, monkeypatch):
    monkeypatch.setattr("ledger.views.chart.ACCOUNTS_PER_PAGE", 4)
    url = reverse("ledger:account_list")
    assert numbers(admin_client.get(url)) == sorted(chart)[:4]
    response = admin_client.get(url, {"page": 2})
    assert numbers(response) == sorted(chart)[4:8]
    assert "Page 2 of 3" in response.content.decode()


def test_account_list_exports_csv_with_the_filters(client, chart, auditor):
    client.force_login(auditor)
    response = client.get(reverse("ledger:account_list"), {"q": "4411", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == (
        "number,fund,fund_name,fund_type,department,department_name,object,object_name,"
        "account_type,normal_balance,account_name,allows_posting,control_subledger,active"
    )
    assert lines[1:] == [
        "101-1100-4411,101,General Fund,general,1100,Finance,4411,Water sales,revenue,credit,"
        "General Fund: Water sales,True,,True",
        "501-1100-4411,501,Water Fund,enterprise,1100,Finance,4411,Water sales,revenue,credit,"
        "Water Fund: Water sales,True,,True",
    ]


def test_account_list_query_count_does_not_grow_with_the_chart(
    admin_client, chart, django_assert_num_queries
):
    url = reverse("ledger:account_list")
    # Session, user, roles; count and page of accounts; the fund and department choices;
    # the session saved again (idle timeout) in a savepoint: 10, however long the chart.
    with django_assert_num_queries(10):
        admin_client.get(url, {"q": "10"})
    fund = Fund.objects.get(code="101")
    for code in range(6000, 6030):
        department = Department.objects.create(code=str(code), name=f"Dept {code}")
        open_account(
            fund=fund,
            department=department,
            object_code=ObjectCode.objects.get(code="5210"),
            actor=None,
        )
    with django_assert_num_queries(10):
        response = admin_client.get(url, {"q": "10"})
    assert len(numbers(response)) == 40  # every number of fund 101 has a 10


# ---------------------------------------------------------------- account create and edit


def test_account_create_shows_the_form_and_the_number_as_segments_are_chosen(admin_client, chart):
    url = reverse("ledger:account_create")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Choose a fund, a department and an object" in response.content.decode()
    segments = {
        "fund": Fund.objects.get(code="501").pk,
        "department": Department.objects.get(code="0000").pk,
        "object_code": ObjectCode.objects.get(code="4411").pk,
    }
    response = admin_client.get(url, segments, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<dl id="identity"')
    assert "501-0000-4411" in html
    assert "Revenue" in html
    assert "Credit" in html
    assert "already exists" not in html
    segments["object_code"] = ObjectCode.objects.get(code="1010").pk
    response = admin_client.get(url, segments, headers={"HX-Request": "true"})
    assert "501-0000-1010 Water Fund: Pooled cash already exists." in response.content.decode()
    # Half chosen, or garbage: no number yet, no error.
    response = admin_client.get(url, {"fund": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Choose a fund" in response.content.decode()


def test_account_create_opens_the_account(admin_client, chart):
    response = admin_client.post(
        reverse("ledger:account_create"),
        {
            "fund": Fund.objects.get(code="501").pk,
            "department": Department.objects.get(code="0000").pk,
            "object_code": ObjectCode.objects.get(code="4411").pk,
            "name": "Water sales, unallocated",
            "allows_posting": "on",
            "is_active": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("ledger:account_list")
    assert "Account 501-0000-4411 Water sales, unallocated opened." in response.content.decode()
    account = Account.objects.get(number="501-0000-4411")
    assert (account.account_type, account.normal_balance) == ("revenue", "credit")
    assert account.allows_posting and account.is_active
    assert account.control_subledger == ""


def test_account_create_refuses_a_taken_number_and_a_bad_control_flag(admin_client, chart):
    url = reverse("ledger:account_create")
    data = {
        "fund": Fund.objects.get(code="101").pk,
        "department": Department.objects.get(code="0000").pk,
        "object_code": ObjectCode.objects.get(code="1010").pk,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Account 101-0000-1010 already exists." in response.content.decode()
    data["object_code"] = ObjectCode.objects.get(code="4411").pk
    response = admin_client.post(url, data | {"control_subledger": "utility_ar"})
    assert response.status_code == 200
    assert "A control account is an asset or a liability" in response.content.decode()
    response = admin_client.post(url, data | {"fund": "", "control_subledger": "nope"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Account.objects.filter(number="101-0000-4411").exists()


def test_account_create_is_for_the_administrator_only(client, chart, technician):
    client.force_login(technician)
    url = reverse("ledger:account_create")
    assert client.get(url).status_code == 403
    data = {
        "fund": Fund.objects.get(code="501").pk,
        "department": Department.objects.get(code="0000").pk,
        "object_code": ObjectCode.objects.get(code="4411").pk,
    }
    assert client.post(url, data).status_code == 403
    assert not Account.objects.filter(number="501-0000-4411").exists()


def test_account_edit_changes_everything_while_nothing_is_posted(admin_client, chart):
    account = Account.objects.get(number="501-1100-5210")
    url = reverse("ledger:account_edit", args=[account.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Account 501-1100-5210" in response.content.decode()
    assert "Journal lines are posted" not in response.content.decode()
    response = admin_client.post(
        url,
        {
            "fund": account.fund_id,
            "department": Department.objects.get(code="0000").pk,
            "object_code": account.object_code_id,
            "name": "Postage, water billing",
            "control_subledger": "",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.number == "501-0000-5210"
    assert account.name == "Postage, water billing"
    assert not account.allows_posting
    assert not account.is_active


def test_account_edit_refuses_new_segments_once_posted_to(
    admin_client, chart, november, administrator
):
    account = Account.objects.get(number="101-0000-1010")
    post_to(account.number, administrator)
    url = reverse("ledger:account_edit", args=[account.pk])
    response = admin_client.get(url)
    page = response.content.decode()
    assert "Its number is its identity" in page
    assert 'name="fund" disabled' in page or "disabled" in page.split('name="fund"')[1][:200]
    # A page opened before the first posting still sends the segments: refused, clearly.
    data = {
        "fund": Fund.objects.get(code="501").pk,
        "department": account.department_id,
        "object_code": account.object_code_id,
        "name": "Cash",
        "allows_posting": "on",
        "is_active": "on",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "101-0000-1010 has journal lines, and its number is its identity" in (
        response.content.decode()
    )
    account.refresh_from_db()
    assert (account.number, account.name) == ("101-0000-1010", "General Fund: Pooled cash")
    # The name and flags may change (a browser sends no disabled fields), but not whether
    # it controls a subledger.
    del data["fund"], data["department"], data["object_code"]
    response = admin_client.post(url, data | {"control_subledger": "deposits"})
    assert response.status_code == 200
    assert "whether it controls a subledger cannot change" in response.content.decode()
    response = admin_client.post(url, data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.number, account.name, account.control_subledger) == (
        "101-0000-1010",
        "Cash",
        "",
    )


def test_account_deactivate_and_reactivate(admin_client, chart):
    account = Account.objects.get(number="501-1100-5210")
    url = reverse("ledger:account_set_active", args=[account.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Deactivate 501-1100-5210" in response.content.decode()
    response = admin_client.post(url, {"active": "no"}, follow=True)
    assert "deactivated: it takes no postings" in response.content.decode()
    account.refresh_from_db()
    assert not account.is_active
    # A double-click asks again for the same state: nothing changes, nothing fails.
    assert admin_client.post(url, {"active": "no"}).status_code == 302
    account.refresh_from_db()
    assert not account.is_active
    assert "Reactivate" in admin_client.get(url).content.decode()
    admin_client.post(url, {"active": "yes"})
    account.refresh_from_db()
    assert account.is_active
    assert admin_client.post(url, {"active": "maybe"}).status_code == 200


def test_account_deactivate_is_for_the_administrator_only(client, chart, supervisor):
    client.force_login(supervisor)
    account = Account.objects.get(number="501-1100-5210")
    url = reverse("ledger:account_set_active", args=[account.pk])
    assert client.post(url, {"active": "no"}).status_code == 403
    account.refresh_from_db()
    assert account.is_active


# ---------------------------------------------------------------- funds, departments, objects


def test_fund_list_for_readers_with_account_counts(client, chart, auditor):
    client.force_login(auditor)
    response = client.get(reverse("ledger:fund_list"))
    assert response.status_code == 200
    rows = {row.code: row for row in response.context["rows"]}
    assert rows["501"].name == "Water Fund"
    assert rows["501"].type_label == "Enterprise"
    assert rows["501"].account_count == 5
    assert reverse("ledger:fund_create") not in response.content.decode()
    assert client.get(reverse("ledger:department_list")).status_code == 200
    response = client.get(reverse("ledger:object_code_list"))
    assert "Due from other funds" in response.content.decode()


def test_fund_create_and_edit(admin_client, chart):
    response = admin_client.post(
        reverse("ledger:fund_create"),
        {"code": "601", "name": "Parking Fund", "fund_type": "special_revenue", "is_active": "on"},
        follow=True,
    )
    assert "Fund 601 Parking Fund added." in response.content.decode()
    fund = Fund.objects.get(code="601")
    response = admin_client.post(
        reverse("ledger:fund_create"),
        {"code": "601", "name": "Again", "fund_type": "general"},
    )
    assert response.status_code == 200
    assert "There is already a fund 601." in response.content.decode()
    response = admin_client.post(
        reverse("ledger:fund_create"), {"code": "61", "name": "", "fund_type": "municipal"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A fund code is 3 digits" in html
    assert "Select a valid choice" in html
    url = reverse("ledger:fund_edit", args=[fund.pk])
    assert "Parking Fund" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url, {"code": "602", "name": "Parking and Transit", "fund_type": "special_revenue"}
    )
    assert response.status_code == 302
    fund.refresh_from_db()
    assert (fund.code, fund.name, fund.is_active) == ("602", "Parking and Transit", False)


def test_a_used_segment_keeps_its_code_and_an_object_code_its_type(admin_client, chart):
    water = Fund.objects.get(code="501")
    response = admin_client.post(
        reverse("ledger:fund_edit", args=[water.pk]),
        {"code": "511", "name": "Water Fund", "fund_type": "enterprise", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "is part of the number of its 5 account(s) and cannot change" in (
        response.content.decode()
    )
    sales = ObjectCode.objects.get(code="4411")
    url = reverse("ledger:object_code_edit", args=[sales.pk])
    response = admin_client.post(
        url, {"code": "4411", "name": "Water sales", "account_type": "expenditure"}
    )
    assert response.status_code == 200
    assert "its type cannot change" in response.content.decode()
    sales.refresh_from_db()
    assert sales.account_type == AccountType.REVENUE
    # Renaming is fine.
    response = admin_client.post(
        url,
        {
            "code": "4411",
            "name": "Metered water sales",
            "account_type": "revenue",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    sales.refresh_from_db()
    assert sales.name == "Metered water sales"


def test_department_and_object_code_create(admin_client, chart):
    response = admin_client.post(
        reverse("ledger:department_create"), {"code": "2100", "name": "Police", "is_active": "on"}
    )
    assert response.status_code == 302
    assert Department.objects.get(code="2100").name == "Police"
    response = admin_client.post(
        reverse("ledger:object_code_create"),
        {"code": "4610", "name": "Parking fines", "account_type": "revenue", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ObjectCode.objects.get(code="4610").account_type == "revenue"
    response = admin_client.post(
        reverse("ledger:department_create"), {"code": "21000", "name": "Too long"}
    )
    assert response.status_code == 200


def test_segment_screens_are_for_the_administrator_only(client, chart, technician):
    client.force_login(technician)
    assert client.get(reverse("ledger:fund_list")).status_code == 200
    response = client.post(
        reverse("ledger:fund_create"), {"code": "601", "name": "X", "fund_type": "general"}
    )
    assert response.status_code == 403
    assert not Fund.objects.filter(code="601").exists()
    department = Department.objects.get(code="1100")
    response = client.post(
        reverse("ledger:department_edit", args=[department.pk]), {"code": "1100", "name": "X"}
    )
    assert response.status_code == 403
    assert client.get(reverse("ledger:object_code_create")).status_code == 403


# ---------------------------------------------------------------- services


def test_open_account_derives_number_type_and_normal_balance(chart, administrator):
    account = open_account(
        fund=Fund.objects.get(code="101"),
        department=Department.objects.get(code="1100"),
        object_code=ObjectCode.objects.get(code="2110"),
        name="",
        control_subledger=Subledger.AP,
        is_active=False,
        actor=administrator,
    )
    account.refresh_from_db()
    assert account.number == "101-1100-2110"
    assert account.name == "General Fund: Due to other funds"
    assert (account.account_type, account.normal_balance) == ("liability", "credit")
    assert (account.control_subledger, account.is_active) == ("ap", False)


def test_open_account_refuses_inactive_segments(chart, administrator):
    fund = Fund.objects.get(code="101")
    update_fund(
        fund,
        code="101",
        name="General Fund",
        fund_type=FundType.GENERAL,
        is_active=False,
        actor=administrator,
    )
    with pytest.raises(ValidationError) as refused:
        open_account(
            fund=fund,
            department=Department.objects.get(code="0000"),
            object_code=ObjectCode.objects.get(code="4411"),
            actor=administrator,
        )
    assert "inactive" in refused.value.message_dict["fund"][0]


def test_update_account_refuses_to_renumber_an_account_with_lines(chart, november, administrator):
    account = Account.objects.get(number="501-0000-1010")
    post_to(account.number, administrator)
    with pytest.raises(ValidationError) as refused:
        update_account(
            account,
            fund=account.fund,
            department=Department.objects.get(code="1100"),
            object_code=account.object_code,
            name="Cash",
            allows_posting=True,
            control_subledger="",
            is_active=True,
            actor=administrator,
        )
    assert list(refused.value.message_dict) == ["department"]
    assert "its number is its identity" in refused.value.message_dict["department"][0]
    account.refresh_from_db()
    assert (account.number, account.name) == ("501-0000-1010", "Water Fund: Pooled cash")


def test_update_object_code_type_changes_only_while_unused(chart, administrator):
    unused = create_object_code(
        code="4999", name="Other", account_type=AccountType.REVENUE, actor=administrator
    )
    unused = update_object_code(
        unused, code="5999", name="Other", account_type="expenditure", is_active=True,
        actor=administrator,
    )  # fmt: skip
    assert (unused.code, unused.account_type) == ("5999", "expenditure")
    with pytest.raises(ValidationError):
        update_object_code(
            ObjectCode.objects.get(code="5210"), code="5210", name="Postage",
            account_type="asset", is_active=True, actor=administrator,
        )  # fmt: skip


def test_chart_services_write_the_audit_trail(chart, administrator):
    fund = create_fund(code="601", name="Parking", fund_type="special_revenue", actor=administrator)
    department = create_department(code="2100", name="Police", actor=administrator)
    account = open_account(
        fund=fund,
        department=department,
        object_code=ObjectCode.objects.get(code="1010"),
        actor=administrator,
    )
    set_account_active(account, active=False, actor=administrator)
    set_account_active(account, active=False, actor=administrator)
    labels = [e.pgh_label for e in audit_events(model=Account, object_id=str(account.pk))]
    assert sorted(labels) == ["insert", "update"]


# ---------------------------------------------------------------- import


def test_import_previews_then_imports_on_confirm(admin_client, chart):
    url = reverse("ledger:chart_import")
    assert "Download a template CSV" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"file": upload(PARKING)})
    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.is_valid
    assert [(c.action, c.kind, c.code) for c in plan.changes] == [
        ("create", "fund", "601"),
        ("create", "department", "2100"),
        ("create", "object code", "4610"),
        ("create", "account", "601-2100-4610"),
        ("create", "account", "601-0000-1010"),
    ]
    page = response.content.decode()
    assert "Import these changes" in page
    assert "601-2100-4610" in page
    assert not Fund.objects.filter(code="601").exists()  # a preview saves nothing

    response = admin_client.post(url, {"content": PARKING, "confirm": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("ledger:account_list")
    assert "Chart imported: 1 fund created, 1 department created" in response.content.decode()
    fines = Account.objects.select_related("fund", "department", "object_code").get(
        number="601-2100-4610"
    )
    assert (fines.fund.name, fines.fund.fund_type) == ("Parking Fund", "special_revenue")
    assert (fines.department.name, fines.object_code.name) == ("Police", "Parking fines")
    assert (fines.account_type, fines.normal_balance) == ("revenue", "credit")
    assert fines.name == "Parking Fund: Parking fines"
    assert Account.objects.get(number="601-0000-1010").name == "Parking: cash"


def test_import_is_all_or_nothing(admin_client, chart, administrator):
    text = PARKING + "601,,,2100,,4620,Admin citations,revenue,,perhaps,,yes\n"
    response = admin_client.post(reverse("ledger:chart_import"), {"file": upload(text)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "allows_posting &#x27;perhaps&#x27; is not yes or no." in page
    assert "Import these changes" not in page
    assert not Fund.objects.filter(code="601").exists()
    with pytest.raises(ChartImportInvalid) as invalid:
        import_chart(text, actor=administrator)
    assert [(row.line, row.errors) for row in invalid.value.plan.bad_rows] == [
        (4, ["allows_posting 'perhaps' is not yes or no."])
    ]
    assert not Fund.objects.filter(code="601").exists()
    assert not ObjectCode.objects.filter(code="4610").exists()


def test_import_twice_changes_nothing_the_second_time(admin_client, chart, administrator):
    first = import_chart(PARKING, actor=administrator)
    assert len(first.changes) == 5
    events = audit_events().count()
    second = import_chart(PARKING, actor=administrator)
    assert second.changes == []
    assert second.unchanged_accounts == 2
    assert second.summary == "2 accounts unchanged"
    assert audit_events().count() == events
    response = admin_client.post(reverse("ledger:chart_import"), {"file": upload(PARKING)})
    assert "already matches this file" in response.content.decode()
    assert "Import these changes" not in response.content.decode()


def test_import_updates_known_accounts_and_renames_segments(chart, administrator):
    text = (
        HEADER + "\n"
        "501,Water Enterprise,,1100,,4411,,revenue,Water sales - metered,no,,no\n"
        "501,,,0000,,1010,,,,yes,deposits,yes\n"
        "101,,,0000,,1010,,,,,,\n"
    )
    plan = plan_chart_import(text)
    assert plan.is_valid, plan.bad_rows
    assert [(c.action, c.kind, c.code, c.detail) for c in plan.changes] == [
        ("update", "fund", "501", "name: Water Fund → Water Enterprise"),
        (
            "update",
            "account",
            "501-1100-4411",
            "allows posting: yes → no; is active: yes → no; name: Water Fund: Water sales → "
            "Water sales - metered",
        ),
        ("update", "account", "501-0000-1010", "control subledger: (none) → deposits"),
    ]
    assert plan.unchanged_accounts == 1
    import_chart(text, actor=administrator)
    sales = Account.objects.get(number="501-1100-4411")
    assert (sales.name, sales.allows_posting, sales.is_active) == (
        "Water sales - metered",
        False,
        False,
    )
    assert Account.objects.get(number="501-0000-1010").control_subledger == "deposits"
    assert Fund.objects.get(code="501").name == "Water Enterprise"
    assert Account.objects.get(number="101-0000-1010").name == "General Fund: Pooled cash"


def test_import_lists_each_bad_row_with_its_line_number(admin_client, chart):
    rows = [
        "601,Parking,municipal,2100,Police,4610,Fines,revenue,,yes,,yes",  # 2
        "60,Parking,general,2100,Police,4610,Fines,revenue,,yes,,yes",  # 3
        "101,,,1100,,4411,,expenditure,,yes,,yes",  # 4
        "101,,,1100,,5210,,,,yes,,yes",  # 5
        "101,,,1100,,5210,,,,yes,,yes",  # 6
        "101,,,0000,,1310,,,,sure,,yes",  # 7
        "101,,,0000,,2110,,,,yes,payroll,yes",  # 8
        "701,,,0000,,1010,,,,yes,,yes",  # 9
        "101,,,1100,,4411,,,,yes,utility_ar,yes",  # 10
        "101,,,0000,,1010," + "x" * 121 + ",,,yes,,yes",  # 11
        '101,,,0000,,3100,"Fund balance","fund balance",,yes,,yes,extra',  # 12
        "101,General,,0000,,4411,,,,yes,,yes",  # 13
        "101,General Fund,,2200,,4411,,,,yes,,yes",  # 14
    ]
    response = admin_client.post(
        reverse("ledger:chart_import"), {"file": upload(HEADER + "\n" + "\n".join(rows))}
    )
    assert response.status_code == 200
    plan = response.context["plan"]
    errors = {row.line: " ".join(row.errors) for row in plan.bad_rows}
    assert "fund_type 'municipal' is not one of: general, special_revenue" in errors[2]
    assert "fund '60' is not a 3-digit code. (A spreadsheet drops leading zeros" in errors[3]
    assert "object 4411 is a revenue object code, not expenditure" in errors[4]
    assert errors[6] == "account 101-1100-5210 is on line 5 already."
    assert errors[7] == "allows_posting 'sure' is not yes or no."
    assert "control_subledger 'payroll' is not one of: utility_ar" in errors[8]
    assert errors[9] == "fund 701 is new: give its fund_name and fund_type."
    assert "a control account is an asset or a liability" in errors[10]
    assert errors[11] == "object_name is 121 characters long; at most 100."
    assert errors[12] == "13 cells; the header has 12 columns."
    assert "fund_name of fund 101 is 'General Fund' here, 'General' on line 13." in errors[14]
    assert 5 not in errors
    assert not Fund.objects.filter(code="601").exists()
    page = response.content.decode()
    for line in errors:
        assert f'<td class="num">{line}</td>' in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\xff\xfe\x00f\x00u\x00n\x00d", "The file is not UTF-8 text."),
        (b"fund,name\n1,2\n", "Line 1: missing column(s): fund_name, fund_type"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is not UTF-8 text."),
        (b"\n\n  \n", "The file is empty."),
        (HEADER.encode(), "The file has a header but no rows."),
        ((HEADER + ",fund\n").encode(), "column(s) named twice: fund"),
        ((HEADER + ",colour\n").encode(), "unknown column(s): colour"),
        ((HEADER + '\n101,"' + "x" * 200_000 + '"\n').encode(), "not readable as CSV"),
        ((HEADER + "\n101,a\x00b\n").encode(), "NUL characters"),
        (('"' + HEADER).encode(), "missing column(s)"),
        (b"x" * (MAX_IMPORT_BYTES + 1), "The file is larger than 2 MB: split it in two."),
    ],
)
def test_import_answers_bad_files_with_a_message_not_a_500(admin_client, chart, content, message):
    response = admin_client.post(reverse("ledger:chart_import"), {"file": upload(content)})
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Fund.objects.exclude(code__in=["101", "501"]).exists()


def test_import_without_a_file_or_with_garbage_fields(admin_client, chart):
    url = reverse("ledger:chart_import")
    response = admin_client.post(url, {})
    assert response.status_code == 200
    assert "Choose a CSV file to import." in response.content.decode()
    response = admin_client.post(url, {"content": "", "confirm": "yes"})
    assert "Choose a CSV file to import." in response.content.decode()
    response = admin_client.post(url, {"content": "garbage", "confirm": "yes"})
    assert response.status_code == 200
    assert "missing column(s)" in response.content.decode()


def test_import_checks_again_on_confirm(admin_client, chart, administrator):
    url = reverse("ledger:chart_import")
    assert admin_client.post(url, {"file": upload(PARKING)}).context["plan"].is_valid
    # Between preview and confirm, someone makes object 4610 an expenditure.
    create_object_code(code="4610", name="Fines", account_type="expenditure", actor=administrator)
    response = admin_client.post(url, {"content": PARKING, "confirm": "yes"})
    assert response.status_code == 200
    assert "object 4610 is a expenditure object code, not revenue" in response.content.decode()
    assert not Fund.objects.filter(code="601").exists()


def test_import_accepts_labels_any_case_and_a_byte_order_mark(chart, administrator):
    text = (
        "\ufeff"
        + HEADER.upper()
        + "\r\n601,Parking Fund,Special Revenue,0000,,1110,Parking receivable,Asset,,Yes,"
        "Miscellaneous accounts receivable,TRUE\r\n"
    )
    plan = import_chart(text, actor=administrator)
    assert plan.is_valid
    account = Account.objects.get(number="601-0000-1110")
    assert (account.account_type, account.control_subledger) == ("asset", "misc_ar")


def test_import_template_downloads_and_imports_cleanly(admin_client, chart):
    response = admin_client.get(reverse("ledger:chart_import_template"))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == HEADER
    plan = plan_chart_import(text)
    assert plan.is_valid, plan.bad_rows


def test_an_exported_chart_imports_again_unchanged(admin_client, chart):
    response = admin_client.get(reverse("ledger:account_list"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    plan = plan_chart_import(text)
    assert plan.is_valid, plan.bad_rows
    assert plan.changes == []
    assert plan.unchanged_accounts == len(chart)
    # The derived columns are checked, not ignored.
    bad = text.replace("101-1100-4411,101,", "101-1100-4412,101,").replace(
        ",revenue,credit,General", ",revenue,debit,General"
    )
    errors = {row.line: row.errors for row in plan_chart_import(bad).bad_rows}
    assert len(errors) == 1
    assert (
        "number 101-1100-4412 is not fund-department-object (101-1100-4411)"
        in (next(iter(errors.values()))[0])
    )


def test_import_is_for_the_administrator_only(client, chart, supervisor):
    client.force_login(supervisor)
    url = reverse("ledger:chart_import")
    assert client.get(url).status_code == 403
    assert client.post(url, {"content": PARKING, "confirm": "yes"}).status_code == 403
    assert client.get(reverse("ledger:chart_import_template")).status_code == 403
    assert not Fund.objects.filter(code="601").exists()


# ---------------------------------------------------------------- roles and navigation


@pytest.mark.parametrize(
    ("name", "readers_allowed"),
    [
        ("ledger:account_list", True),
        ("ledger:fund_list", True),
        ("ledger:department_list", True),
        ("ledger:object_code_list", True),
        ("ledger:account_create", False),
        ("ledger:fund_create", False),
        ("ledger:department_create", False),
        ("ledger:object_code_create", False),
        ("ledger:chart_import", False),
        ("ledger:chart_import_template", False),
    ],
)
def test_chart_pages_answer_each_role(client, chart, name, readers_allowed):
    for role in Role:
        client.force_login(make_user(role, username=f"u-{role.name}"))
        status = client.get(reverse(name)).status_code
        if role == Role.ADMINISTRATOR:
            assert status == 200, role
        elif role == Role.COUNTER_CLERK:
            assert status == 403, role
        else:
            assert status == (200 if readers_allowed else 403), role


def test_chart_of_accounts_is_in_the_navigation(client, chart, technician, clerk):
    client.force_login(technician)
    nav = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("ledger:account_list")}">Accounts' in nav
    client.force_login(clerk)
    assert reverse("ledger:account_list") not in client.get(reverse("home")).content.decode()


def test_control_flag_is_fixed_once_an_account_has_lines(
    chart, november, technician, administrator
):
    cash = chart["501-0000-1010"]
    post_entry(
        entry_date=dt.date(2026, 11, 15),
        lines=[LineSpec(cash, Decimal("5.00")), LineSpec("501-1100-4411", Decimal("-5.00"))],
        memo="x",
        source_module="test",
        idempotency_key="ctl-1",
        prepared_by=technician,
    )
    with pytest.raises(ValidationError, match="whether it controls a subledger cannot change"):
        update_account(
            cash,
            fund=cash.fund,
            department=cash.department,
            object_code=cash.object_code,
            name=cash.name,
            allows_posting=True,
            control_subledger="utility_ar",
            is_active=True,
            actor=administrator,
        )


def test_import_refuses_a_control_flag_change_on_an_account_with_lines(chart, november, technician):
    post_entry(
        entry_date=dt.date(2026, 11, 15),
        lines=[
            LineSpec(chart["501-0000-1010"], Decimal("5.00")),
            LineSpec("501-1100-4411", Decimal("-5.00")),
        ],
        memo="x",
        source_module="test",
        idempotency_key="ctl-2",
        prepared_by=technician,
    )
    plan = plan_chart_import(HEADER + "\n501,,,0000,,1010,,,,yes,deposits,yes\n")
    assert not plan.is_valid
    assert "whether it controls a subledger cannot change" in str(plan.bad_rows)
