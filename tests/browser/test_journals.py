"""A manual journal entry in a real browser: a technician builds it line by line with
live totals and submits it; a senior approves it from the home page; the entry shows."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ledger.models import AccountType, Department, Fund, FundType, JournalDraft, ObjectCode
from ledger.services import create_account, create_fiscal_year
from millbrae_finance.roles import Role
from tests.browser.conftest import nav_to
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def books(db):
    today = timezone.localdate()
    create_fiscal_year(today.year + (1 if today.month >= 7 else 0))
    general = Fund.objects.create(code="101", name="General Fund", fund_type=FundType.GENERAL)
    nondept = Department.objects.create(code="0000", name="Non-departmental")
    finance = Department.objects.create(code="1100", name="Finance")
    cash = ObjectCode.objects.create(
        code="1010", name="Pooled cash", account_type=AccountType.ASSET
    )
    postage = ObjectCode.objects.create(
        code="5210", name="Postage", account_type=AccountType.EXPENDITURE
    )
    create_account(fund=general, department=nondept, object_code=cash)
    create_account(fund=general, department=finance, object_code=postage)


def test_technician_builds_a_balanced_entry_and_a_senior_approves_it(
    browser, page, live_server, screenshot, books
):
    make_user(Role.ACCOUNTING_TECHNICIAN)
    make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)
    log_in(page, live_server, "t_tech")
    nav_to(page, "Journals")
    page.click("text=New journal entry")
    page.wait_for_url("**/ledger/journals/new/")
    assert page.input_value("#id_entry_date") == f"{timezone.localdate():%Y-%m-%d}"
    page.fill("#id_memo", "Postage for the November utility bills")

    # Line 1: search the account by name, as you type; the matches fill the datalist.
    page.locator("#id_lines-0-account").press_sequentially("postage", delay=30)
    expect(page.locator("#account-options option")).to_have_count(1)
    option = page.locator("#account-options option").first
    assert option.get_attribute("value") == "101-1100-5210"
    assert "Postage" in option.inner_text()
    page.fill("#id_lines-0-account", option.get_attribute("value"))
    page.locator("#id_lines-0-debit").press_sequentially("1,250.00")
    # Leaving the field shows the chosen account's name under it.
    expect(page.locator("#id_lines-0-account_name")).to_have_text("General Fund: Postage")
    balance = page.locator("#balance")
    balance.filter(has_text="Out of balance by $1,250.00").wait_for()
    assert page.locator("#total-debits").inner_text() == "$1,250.00"
    assert page.locator("#total-credits").inner_text() == "$0.00"
    screenshot(page, "journal-new-out-of-balance")

    # Another row through HTMX, then line 2: the totals balance.
    rows = page.locator("table.journal-lines tbody tr")
    assert rows.count() == 4
    page.click("text=Add a line")
    expect(rows).to_have_count(5)
    assert page.input_value("#id_lines-0-debit") == "1,250.00"
    expect(page.locator("#id_lines-0-account_name")).to_have_text("General Fund: Postage")
    page.locator("#id_lines-1-account").press_sequentially("101-0000-10", delay=30)
    # (Evaluated JavaScript is refused by the page's CSP: wait on locators instead.)
    expect(page.locator('#account-options option[value="101-0000-1010"]')).to_have_count(1)
    page.fill("#id_lines-1-account", "101-0000-1010")
    page.locator("#id_lines-1-credit").press_sequentially("1250")
    balance.filter(has_text="Balanced").wait_for()
    assert page.locator("#total-credits").inner_text() == "$1,250.00"
    page.fill("#id_lines-1-memo", "Pooled cash")
    screenshot(page, "journal-new-balanced")

    page.click("text=Save and submit for approval")
    page.wait_for_url("**/ledger/journals/*/")
    assert "is saved and submitted for approval" in page.locator(".messages").inner_text()
    assert "Waiting for approval" in page.locator("h1").inner_text()
    assert page.locator("text=Approve and post").count() == 0  # never for the preparer
    assert page.problems == [], "\n".join(page.problems)
    assert page.locator("[style]").count() == 0
    screenshot(page, "journal-submitted")
    draft = JournalDraft.objects.get()

    # The senior finds it on the home page, approves it, and sees the posted entry.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    senior = context.new_page()
    problems: list[str] = []
    senior.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    log_in(senior, live_server, "t_senior")
    queue = senior.locator("section.queue", has_text="Journal entries to approve")
    assert draft.number in queue.inner_text()
    screenshot(senior, "journal-home-senior")
    queue.locator(f"text={draft.number}").click()
    senior.wait_for_url(f"**/ledger/journals/{draft.pk}/")
    screenshot(senior, "journal-to-approve")
    senior.click("text=Approve and post")
    senior.wait_for_url("**/ledger/entries/*/")
    assert "approved and posted" in senior.locator(".messages").inner_text()
    lines = senior.locator("table.lines tbody tr")
    assert lines.count() == 2
    assert "101-1100-5210" in lines.nth(0).inner_text()
    assert "$1,250.00" in lines.nth(0).inner_text()
    assert "101-0000-1010" in lines.nth(1).inner_text()
    assert "Pooled cash" in lines.nth(1).inner_text()
    facts = senior.locator("dl.facts").inner_text()
    assert draft.number in facts and "t_tech" in facts and "t_senior" in facts
    assert senior.locator("text=Post the reversal").count() == 1
    assert problems == []
    assert senior.locator("[style]").count() == 0
    screenshot(senior, "journal-entry-posted")
    context.close()


def test_entry_list_filters_in_place(page, live_server, screenshot, books):
    from decimal import Decimal

    from ledger.services import LineSpec, post_entry

    tech = make_user(Role.ACCOUNTING_TECHNICIAN)
    make_user(Role.AUDITOR)
    today = timezone.localdate()
    for index, memo in enumerate(["Stamps", "Envelopes", "Courier"]):
        post_entry(
            entry_date=today - dt.timedelta(days=index) if today.day > 3 else today,
            lines=[
                LineSpec("101-1100-5210", Decimal("12.50") * (index + 1)),
                LineSpec("101-0000-1010", Decimal("-12.50") * (index + 1)),
            ],
            memo=memo,
            source_module="ledger",
            source_document=f"DOC-{index}",
            idempotency_key=f"browser-{index}",
            prepared_by=tech,
        )
    log_in(page, live_server, "t_auditor")
    nav_to(page, "Entries")
    page.wait_for_url("**/ledger/entries/")
    assert "3 entries" in page.locator("#results").inner_text()
    page.fill("#id_text", "envel")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ledger/entries/?**text=envel**")
    page.locator("#results", has_text="1 entry").wait_for()
    assert "Envelopes" in page.locator("#results").inner_text()
    assert page.problems == []
    screenshot(page, "journal-entry-list")


def test_technician_imports_a_journal_file_and_sees_row_errors(
    page, live_server, screenshot, books
):
    make_user(Role.ACCOUNTING_TECHNICIAN)
    log_in(page, live_server, "t_tech")
    page.goto(f"{live_server.url}/ledger/journals/")
    page.click("text=Import from CSV")
    page.wait_for_url("**/ledger/journals/import/")
    page.fill("#id_memo", "Postage from the mail house invoice")
    bad = (
        "account,debit,credit,memo\n"
        "101-1100-5210,100.00,,Mail house\n"
        "999-9999-9999,5.00,,\n"
        "101-0000-1010,,99.999,\n"
    )
    page.set_input_files(
        "#id_file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    page.click("text=Check and import as a draft")
    errors = page.locator("#id_file_error")
    expect(errors).to_contain_text("Line 3: there is no account 999-9999-9999.")
    expect(errors).to_contain_text("Line 4: credit '99.999'")
    assert JournalDraft.objects.count() == 0
    screenshot(page, "journal-import-errors")

    good = "account,debit,credit,memo\n101-1100-5210,100.00,,Mail house\n101-0000-1010,,100,\n"
    page.set_input_files(
        "#id_file", files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    page.click("text=Check and import as a draft")
    page.wait_for_url("**/ledger/journals/*/")
    assert "Imported 2 lines from good.csv" in page.locator(".messages").inner_text()
    assert "Draft" in page.locator("h1").inner_text()
    nav_to(page, "Journals")
    expect(page.locator("#results")).to_contain_text("Postage from the mail house invoice")
    assert page.problems == []
    screenshot(page, "journal-list")


def test_the_entry_form_works_without_javascript(browser, live_server, screenshot, books):
    make_user(Role.ACCOUNTING_TECHNICIAN)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    log_in(page, live_server, "t_tech")
    page.goto(f"{live_server.url}/ledger/journals/new/")
    page.fill("#id_memo", "Office supplies")
    page.fill("#id_lines-0-account", "101-1100-5210")
    page.fill("#id_lines-0-debit", "75.20")
    page.fill("#id_lines-1-account", "101-0000-1010")
    page.fill("#id_lines-1-credit", "75.00")
    # A plain submit adds a row and adds up the totals, keeping what was typed.
    page.click("text=Add a line")
    page.wait_for_load_state()
    assert page.locator("table.journal-lines tbody tr").count() == 5
    assert page.input_value("#id_lines-0-debit") == "75.20"
    assert "Out of balance by $0.20" in page.locator("#balance").inner_text()
    assert page.locator("#id_lines-0-account_name").inner_text() == "General Fund: Postage"
    # Submitting out of balance: refused, with the reason, nothing saved.
    page.click("text=Save and submit for approval")
    page.wait_for_load_state()
    assert "Debits and credits differ by 0.20" in page.locator(".errors").first.inner_text()
    assert JournalDraft.objects.count() == 0
    page.fill("#id_lines-2-account", "nope")
    page.fill("#id_lines-2-debit", "1.2.3")
    page.click("text=Save draft >> nth=1")
    page.wait_for_load_state()
    assert "There is no account nope." in page.locator("#id_lines-2-account_error").inner_text()
    screenshot(page, "journal-form-errors-no-js")
    page.click("[aria-label='Remove line 3']")
    page.wait_for_load_state()
    page.fill("#id_lines-1-credit", "75.20")
    page.click("text=Save and submit for approval")
    page.wait_for_url("**/ledger/journals/*/")
    assert JournalDraft.objects.get().status == "submitted"
    context.close()
