"""Journal entries on the screens: posted entries (list, detail, reversal) and manual
journal entries from draft to approval, with segregation of duties and CSV import."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import (
    Account,
    AccountBalance,
    JournalDraft,
    JournalDraftStatus,
    JournalEntry,
    JournalLine,
)
from ledger.services import (
    LineSpec,
    approve_journal_draft,
    close_period,
    create_fiscal_year,
    post_entry,
    reject_journal_draft,
    reverse_posted_entry,
    save_journal_draft,
    submit_journal_draft,
)
from millbrae_finance.audit import audit_events
from millbrae_finance.roles import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

D = Decimal
NOV = dt.date(2026, 11, 15)
POSTAGE = "101-1100-5210"
CASH = "101-0000-1010"
WATER_SALES = "501-1100-4411"
WATER_CASH = "501-0000-1010"


@pytest.fixture
def senior(db):
    return make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN)


@pytest.fixture
def books(chart, november):
    """The small chart and an open November 2026."""
    return chart


def lines(*pairs) -> list[LineSpec]:
    return [
        LineSpec(account=number, amount=D(amount), memo=f"m{i}")
        for i, (number, amount) in enumerate(pairs, start=1)
    ]


def balanced() -> list[LineSpec]:
    return lines((POSTAGE, "250.00"), (CASH, "-250.00"))


def draft_for(user, *, key="jd-1", day=NOV, specs=None, submit=False) -> JournalDraft:
    return save_journal_draft(
        None,
        actor=user,
        entry_date=day,
        memo="Postage for the November bills",
        lines=balanced() if specs is None else specs,
        idempotency_key=key,
        submit=submit,
    )


def post_sample(user, key="je-1") -> JournalEntry:
    return post_entry(
        entry_date=NOV,
        lines=lines((WATER_CASH, "125.40"), (WATER_SALES, "-125.40")),
        memo="Water sales, counter",
        source_module="cashiering",
        source_document="R-1001",
        idempotency_key=key,
        prepared_by=user,
    )


# ---------------------------------------------------------------- services


def test_draft_submit_approve_posts_exactly_the_draft_lines(books, technician, senior):
    draft = draft_for(technician)
    assert draft.status == JournalDraftStatus.DRAFT
    assert [(li.line_number, li.account.number, li.amount) for li in draft.lines.all()] == [
        (1, POSTAGE, D("250.00")),
        (2, CASH, D("-250.00")),
    ]
    draft = submit_journal_draft(draft, actor=technician)
    assert draft.status == JournalDraftStatus.SUBMITTED
    assert draft.submitted_at is not None

    draft = approve_journal_draft(draft, actor=senior)
    draft.refresh_from_db()
    assert draft.status == JournalDraftStatus.POSTED
    assert (draft.decided_by, draft.entry_id) == (senior, draft.entry.pk)
    entry = draft.entry
    assert (entry.source_module, entry.source_document) == ("ledger", f"JD-{draft.pk}")
    assert (entry.prepared_by, entry.approved_by) == (technician, senior)
    assert (entry.entry_date, entry.memo) == (NOV, "Postage for the November bills")
    assert list(entry.lines.order_by("id").values_list("account__number", "amount", "memo")) == [
        (POSTAGE, D("250.00"), "m1"),
        (CASH, D("-250.00"), "m2"),
    ]
    kept = {b.account.number: (b.debits, b.credits) for b in AccountBalance.objects.all()}
    assert kept == {POSTAGE: (D("250.00"), D("0.00")), CASH: (D("0.00"), D("250.00"))}
    # The audit trail has the draft's life: created, submitted, posted.
    labels = [e.pgh_label for e in audit_events(model=JournalDraft, object_id=str(draft.pk))]
    assert labels.count("insert") == 1
    assert labels.count("update") >= 2
    assert audit_events(model=JournalDraft.lines.rel.related_model).count() == 2


def test_draft_across_funds_posts_with_interfund_lines(books, technician, senior):
    specs = lines(("501-1100-5210", "40.00"), (CASH, "-40.00"))
    draft = draft_for(technician, specs=specs, submit=True)
    entry = approve_journal_draft(draft, actor=senior).entry
    assert entry.lines.count() == 4
    assert JournalLine.objects.filter(entry=entry, memo="Interfund").count() == 2


def test_preparer_can_never_approve_or_reject_their_own_draft(books, senior):
    draft = draft_for(senior, submit=True)
    with pytest.raises(ValidationError, match="another senior"):
        approve_journal_draft(draft, actor=senior)
    with pytest.raises(ValidationError, match="another senior"):
        reject_journal_draft(draft, actor=senior, reason="Mine")
    draft.refresh_from_db()
    assert draft.status == JournalDraftStatus.SUBMITTED
    assert JournalEntry.objects.count() == 0


def test_a_technician_cannot_approve(books, technician):
    draft = draft_for(make_user(Role.ACCOUNTING_TECHNICIAN, "other_tech"), submit=True)
    with pytest.raises(ValidationError, match="Only a senior"):
        approve_journal_draft(draft, actor=technician)
    assert JournalEntry.objects.count() == 0


def test_approving_twice_posts_once(books, technician, senior, supervisor):
    draft = draft_for(technician, submit=True)
    first = approve_journal_draft(draft, actor=senior)
    again = approve_journal_draft(draft, actor=senior)
    assert again.entry_id == first.entry_id
    assert JournalEntry.objects.count() == 1
    assert JournalLine.objects.count() == 2
    # Someone else approving it afterwards is told it is posted; nothing more is posted.
    with pytest.raises(ValidationError, match="is posted"):
        approve_journal_draft(draft, actor=supervisor)
    assert JournalEntry.objects.count() == 1


def test_reject_sends_the_draft_back_and_it_can_be_resubmitted(books, technician, senior):
    draft = draft_for(technician, submit=True)
    with pytest.raises(ValidationError):
        reject_journal_draft(draft, actor=senior, reason="   ")
    draft = reject_journal_draft(draft, actor=senior, reason="Wrong department")
    assert draft.status == JournalDraftStatus.REJECTED
    assert (draft.decided_by, draft.rejection_reason) == (senior, "Wrong department")
    with pytest.raises(ValidationError, match="not waiting for approval"):
        approve_journal_draft(draft, actor=senior)
    draft = save_journal_draft(
        draft,
        actor=technician,
        entry_date=NOV,
        memo="Postage, corrected",
        lines=lines(("101-1100-5210", "260.00"), (CASH, "-260.00")),
    )
    assert draft.status == JournalDraftStatus.DRAFT
    draft = submit_journal_draft(draft, actor=technician)
    assert (draft.status, draft.rejection_reason, draft.decided_by) == ("submitted", "", None)
    entry = approve_journal_draft(draft, actor=senior).entry
    assert entry.lines.get(account__number=POSTAGE).amount == D("260.00")


def test_approving_into_a_closed_period_leaves_the_draft_submitted(
    books, november, technician, senior, supervisor
):
    draft = draft_for(technician, submit=True)
    close_period(november, actor=supervisor, reason="November closed")
    with pytest.raises(ValidationError, match="closed"):
        approve_journal_draft(draft, actor=senior)
    draft.refresh_from_db()
    assert (draft.status, draft.entry_id, draft.decided_by_id) == ("submitted", None, None)
    assert JournalEntry.objects.count() == 0


def test_submit_requires_two_balanced_lines_in_an_open_period(
    books, november, technician, supervisor
):
    draft = draft_for(technician, specs=lines((POSTAGE, "250.00"), (CASH, "-249.99")))
    with pytest.raises(ValidationError, match=r"differ by 0\.01"):
        submit_journal_draft(draft, actor=technician)
    draft = draft_for(technician, key="jd-2", specs=lines((POSTAGE, "250.00")))
    with pytest.raises(ValidationError, match="at least two lines"):
        submit_journal_draft(draft, actor=technician)
    draft = draft_for(technician, key="jd-3", day=dt.date(2031, 1, 5))
    with pytest.raises(ValidationError, match="No fiscal period"):
        submit_journal_draft(draft, actor=technician)
    close_period(november, actor=supervisor, reason="November closed")
    with pytest.raises(ValidationError, match="closed to posting"):
        draft_for(technician, key="jd-4", submit=True)
    assert not JournalDraft.objects.filter(idempotency_key="jd-4").exists()
    assert JournalDraft.objects.filter(status="submitted").count() == 0


def test_saving_the_same_form_twice_makes_one_draft(books, technician):
    first = draft_for(technician, key="jd-same")
    again = draft_for(technician, key="jd-same")
    assert again.pk == first.pk
    assert JournalDraft.objects.count() == 1
    assert first.lines.count() == 2
    with pytest.raises(ValidationError, match="already used"):
        draft_for(make_user(Role.ACCOUNTING_TECHNICIAN, "other_tech"), key="jd-same")


def test_only_the_preparer_changes_a_draft_and_only_while_editable(books, technician, senior):
    draft = draft_for(technician)
    with pytest.raises(ValidationError, match="Only the preparer"):
        save_journal_draft(draft, actor=senior, entry_date=NOV, memo="Changed", lines=balanced())
    with pytest.raises(ValidationError, match="Only the preparer"):
        submit_journal_draft(draft, actor=senior)
    draft = submit_journal_draft(draft, actor=technician)
    with pytest.raises(ValidationError, match="waiting for approval; it can no longer"):
        save_journal_draft(
            draft, actor=technician, entry_date=NOV, memo="Changed", lines=balanced()
        )


def test_draft_lines_must_be_active_posting_accounts(books, technician):
    Account.objects.filter(number=CASH).update(is_active=False)
    with pytest.raises(ValidationError, match="not an active posting account"):
        draft_for(technician)
    assert JournalDraft.objects.count() == 0


def test_reverse_posted_entry_links_both_ways_and_posts_once(books, technician, senior):
    entry = post_sample(technician)
    reversal = reverse_posted_entry(entry, actor=senior, entry_date=NOV, idempotency_key="r-1")
    assert reversal.reverses == entry
    assert JournalEntry.objects.get(pk=entry.pk).reversed_by == reversal
    assert sorted(reversal.lines.values_list("amount", flat=True)) == [D("-125.40"), D("125.40")]
    again = reverse_posted_entry(entry, actor=senior, entry_date=NOV, idempotency_key="r-1")
    assert again == reversal
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_posted_entry(entry, actor=senior, entry_date=NOV, idempotency_key="r-2")
    assert JournalEntry.objects.count() == 2


def test_reverse_into_a_closed_period_or_a_date_without_one_is_refused(
    books, november, technician, senior, supervisor
):
    entry = post_sample(technician)
    with pytest.raises(ValidationError) as caught:
        reverse_posted_entry(
            entry, actor=senior, entry_date=dt.date(2031, 1, 1), idempotency_key="r-1"
        )
    assert "entry_date" in caught.value.message_dict
    close_period(november, actor=supervisor, reason="November closed")
    with pytest.raises(ValidationError, match="closed"):
        reverse_posted_entry(entry, actor=senior, entry_date=NOV, idempotency_key="r-2")
    assert JournalEntry.objects.count() == 1


def test_database_refuses_a_self_decided_draft(books, technician):
    from django.db import IntegrityError, transaction

    draft = draft_for(technician)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalDraft.objects.filter(pk=draft.pk).update(decided_by=technician)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalDraft.objects.filter(pk=draft.pk).update(status="posted")


# ---------------------------------------------------------------- entry list and detail


def test_entry_list_filters_paginates_and_pins_its_queries(client, books, technician, auditor):
    post_sample(technician)
    for index in range(3):
        post_entry(
            entry_date=dt.date(2026, 11, 20 + index),
            lines=lines((POSTAGE, "10.00"), (CASH, "-10.00")),
            memo=f"Stamps {index}",
            source_module="ledger",
            source_document=f"DOC-{index}",
            idempotency_key=f"stamps-{index}",
            prepared_by=technician,
        )
    client.force_login(auditor)
    url = reverse("ledger:entry_list")
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "4 entries" in page
    assert "Water sales, counter" in page and "R-1001" in page
    assert "$125.40" in page

    def shown(params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [entry.memo for entry in response.context["page"]]

    assert shown({"source_module": "cashiering"}) == ["Water sales, counter"]
    assert shown({"account": "501-"}) == ["Water sales, counter"]
    assert shown({"account": POSTAGE}) == ["Stamps 2", "Stamps 1", "Stamps 0"]
    assert shown({"text": "doc-1"}) == ["Stamps 1"]
    assert shown({"date_from": "2026-11-21", "date_to": "2026-11-21"}) == ["Stamps 1"]
    period = JournalEntry.objects.first().period
    assert len(shown({"period": period.pk})) == 4
    # Garbage in the filters: errors beside them, no 500, no results.
    response = client.get(url, {"period": "x", "date_from": "nope", "page": "zz"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    response = client.get(url, {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert "The end date is before the start date." in response.content.decode()

    # The page costs the same number of queries with 4 entries or 40.
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(36):
        post_entry(
            entry_date=NOV,
            lines=lines((POSTAGE, "1.00"), (CASH, "-1.00")),
            memo=f"More {index}",
            source_module="ledger",
            idempotency_key=f"more-{index}",
            prepared_by=technician,
            approved_by=auditor,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 40
    # Session, user, roles, count, the period choices, the page (session save: 3).
    assert len(many) == len(few) == 9, [q["sql"] for q in many.captured_queries]


def test_entry_list_htmx_fragment_and_csv(client, books, technician):
    post_sample(technician)
    client.force_login(technician)
    response = client.get(reverse("ledger:entry_list"), headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    assert "<html" not in fragment
    response = client.get(reverse("ledger:entry_list"), {"format": "csv", "text": "water"})
    assert response["Content-Type"] == "text/csv"
    rows = b"".join(response.streaming_content).decode().strip().splitlines()
    assert rows[0].startswith("entry,date,period,source module,source document,entry memo,account")
    assert len(rows) == 3
    assert ",501-0000-1010," in rows[1] and ",125.40,," in rows[1]
    assert ",501-1100-4411," in rows[2] and ",,125.40," in rows[2]


def test_entry_detail_shows_the_entry_its_lines_and_reversal_links(
    client, books, technician, senior, auditor
):
    entry = post_sample(technician)
    reversal = reverse_posted_entry(entry, actor=senior, entry_date=NOV, idempotency_key="r-1")
    client.force_login(auditor)
    response = client.get(reverse("ledger:entry_detail", args=[entry.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        f"Journal entry {entry.number}",
        "2026-11-15",
        "FY 2027 P05 (Nov 2026)",
        "cashiering",
        "R-1001",
        "Water sales, counter",
        "t_tech",
        WATER_CASH,
        "Water Fund: Water sales",
        "$125.40",
        f"JE {reversal.number}",
        "Reversed by",
    ):
        assert text in page, text
    assert "Post the reversal" not in page  # an auditor reads only
    page = client.get(reverse("ledger:entry_detail", args=[reversal.pk])).content.decode()
    assert "Reverses" in page and f"JE {entry.number}" in page
    assert client.get(reverse("ledger:entry_detail", args=[999999])).status_code == 404


def test_entry_reverse_through_the_screen(client, books, technician, senior):
    entry = post_sample(technician)
    client.force_login(senior)
    detail = client.get(reverse("ledger:entry_detail", args=[entry.pk]))
    assert "Post the reversal" in detail.content.decode()
    key = detail.context["form"]["idempotency_key"].value()
    assert key
    url = reverse("ledger:entry_reverse", args=[entry.pk])
    data = {"entry_date": "2026-11-30", "memo": "Keyed twice", "idempotency_key": key}
    response = client.post(url, data)
    reversal = JournalEntry.objects.get(reverses=entry)
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:entry_detail", args=[reversal.pk])
    assert reversal.memo == "Keyed twice"
    # A double-click: the same form again posts nothing new.
    response = client.post(url, data)
    assert response.status_code == 302
    assert JournalEntry.objects.filter(reverses=entry).count() == 1
    # A second reversal with a fresh form is refused with a message, not a 500.
    response = client.post(url, data | {"idempotency_key": "another"})
    assert response.status_code == 200
    assert "already reversed" in response.content.decode()


def test_entry_reverse_bad_input_shows_a_message_beside_the_date(
    client, books, november, technician, senior, supervisor
):
    entry = post_sample(technician)
    client.force_login(senior)
    url = reverse("ledger:entry_reverse", args=[entry.pk])
    response = client.post(url, {"entry_date": "2031-01-01", "idempotency_key": "k1"})
    assert response.status_code == 200
    assert response.context["form"].errors["entry_date"] == ["No fiscal period covers 2031-01-01."]
    close_period(november, actor=supervisor, reason="November closed")
    response = client.post(url, {"entry_date": "2026-11-30", "idempotency_key": "k2"})
    assert response.status_code == 200
    assert "closed to posting" in response.context["form"].errors["entry_date"][0]
    for garbage in ({"entry_date": "2026-02-31"}, {}, {"entry_date": "x" * 5000}):
        response = client.post(url, garbage)
        assert response.status_code == 200
    assert JournalEntry.objects.count() == 1
    # Next year's July, in a fiscal year that exists: fine.
    create_fiscal_year(2028)
    response = client.post(url, {"entry_date": "2027-07-01", "idempotency_key": "k3"})
    assert response.status_code == 302


def test_a_reversal_cannot_be_reversed(client, books, technician, senior):
    entry = post_sample(technician)
    reversal = reverse_posted_entry(entry, actor=senior, entry_date=NOV, idempotency_key="r-1")
    client.force_login(senior)
    url = reverse("ledger:entry_reverse", args=[reversal.pk])
    response = client.post(url, {"entry_date": "2026-11-30", "idempotency_key": "r-2"})
    assert response.status_code == 200
    assert "itself a reversal" in response.content.decode()
    assert "Post the reversal" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.ACCOUNTING_TECHNICIAN, Role.AUDITOR, Role.COUNTER_CLERK])
def test_entry_reverse_is_refused_to_roles_that_may_not(client, books, technician, role):
    entry = post_sample(technician)
    client.force_login(make_user(role, f"u_{role.name.lower()}"))
    url = reverse("ledger:entry_reverse", args=[entry.pk])
    response = client.post(url, {"entry_date": "2026-11-30", "idempotency_key": "k"})
    assert response.status_code == 403
    assert JournalEntry.objects.count() == 1


# ---------------------------------------------------------------- the manual entry form


def form_data(*rows, key="form-key-1", action="save", day="2026-11-15", memo="Postage"):
    data = {
        "entry_date": day,
        "memo": memo,
        "idempotency_key": key,
        "action": action,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for index, row in enumerate(rows):
        for name, value in zip(("account", "debit", "credit", "memo"), row, strict=False):
            data[f"lines-{index}-{name}"] = value
    return data


def test_new_entry_form_has_blank_rows_and_a_one_time_key(client, books, technician):
    client.force_login(technician)
    response = client.get(reverse("ledger:journal_create"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('name="lines-') >= 4 * 4
    assert 'name="lines-TOTAL_FORMS" value="4"' in page
    assert 'list="account-options"' in page
    assert "No amounts yet" in page
    first = response.context["form"]["idempotency_key"].value()
    second = client.get(reverse("ledger:journal_create")).context["form"]["idempotency_key"].value()
    assert first and second and first != second


def test_save_a_draft_from_the_form_then_submit_it(client, books, technician):
    client.force_login(technician)
    url = reverse("ledger:journal_create")
    data = form_data(
        (POSTAGE, "1,250.00", "", "Bills"), (CASH, "", "$1,250.00", ""), ("", "", "", "")
    )
    response = client.post(url, data)
    draft = JournalDraft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:journal_detail", args=[draft.pk])
    assert draft.status == "draft"
    assert list(draft.lines.values_list("account__number", "amount", "memo")) == [
        (POSTAGE, D("1250.00"), "Bills"),
        (CASH, D("-1250.00"), ""),
    ]
    # The same form posted again (a double-click) makes no second draft.
    client.post(url, data)
    assert JournalDraft.objects.count() == 1

    page = client.get(response["Location"]).content.decode()
    assert "Submit for approval" in page and "Approve and post" not in page
    response = client.post(reverse("ledger:journal_submit", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"
    page = client.get(reverse("ledger:journal_detail", args=[draft.pk])).content.decode()
    assert "Waiting for approval" in page
    assert "Submit for approval" not in page


def test_a_new_entry_without_its_form_key_is_refused_not_a_500(client, books, technician):
    client.force_login(technician)
    data = form_data((POSTAGE, "80", "", ""), (CASH, "", "80", ""), key="")
    response = client.post(reverse("ledger:journal_create"), data)
    assert response.status_code == 200
    assert "This form has expired" in response.content.decode()
    assert JournalDraft.objects.count() == 0


def test_save_and_submit_in_one_step(client, books, technician):
    client.force_login(technician)
    data = form_data((POSTAGE, "80", "", ""), (CASH, "", "80", ""), action="submit")
    response = client.post(reverse("ledger:journal_create"), data)
    assert response.status_code == 302
    assert JournalDraft.objects.get().status == "submitted"


def test_invalid_lines_come_back_with_200_and_messages_beside_them(client, books, technician):
    client.force_login(technician)
    url = reverse("ledger:journal_create")
    data = form_data(
        ("999-9999-9999", "5.00", "", ""),
        (POSTAGE, "5.00", "5.00", ""),
        (CASH, "-5.00", "", ""),
        (CASH, "5.001", "", ""),
        (CASH, "abc", "", ""),
        ("", "7.00", "", ""),
        (CASH, "", "", "memo only"),
        day="not a date",
        memo="",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    form, lines_ = response.context["form"], response.context["lines"]
    assert form.errors["entry_date"] == ["Enter a valid date."]
    assert "memo" in form.errors
    errors = [dict(f.errors) for f in lines_.forms]
    assert errors[1]["credit"] == ["Enter a debit or a credit, not both."]
    assert "Amounts are positive" in errors[2]["debit"][0]
    assert "no more than 2 decimal places" in errors[3]["debit"][0]
    assert errors[4]["debit"] == ["Enter a number."]
    assert errors[5]["account"] == ["Choose an account."]
    assert errors[6]["debit"] == ["Enter a debit or a credit amount."]
    assert JournalDraft.objects.count() == 0
    # With the rows fixed but one account unknown, the account is named beside it.
    data = form_data(("999-9999-9999", "5.00", "", ""), (CASH, "", "5.00", ""))
    response = client.post(url, data)
    assert response.context["lines"].forms[0].errors["account"] == [
        "There is no account 999-9999-9999."
    ]
    # Submitting an unbalanced entry: the draft is not saved, the reason is shown.
    data = form_data((POSTAGE, "5.00", "", ""), (CASH, "", "4.00", ""), action="submit")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Debits and credits differ by 1.00" in response.content.decode()
    assert JournalDraft.objects.count() == 0


def test_add_and_remove_lines_and_recalculate_totals(client, books, technician):
    client.force_login(technician)
    url = reverse("ledger:journal_create")
    rows = [(POSTAGE, "250.00", "", "a"), (CASH, "", "200.00", "b")]
    # Without JavaScript: the whole page again, one more row, nothing saved.
    response = client.post(url, form_data(*rows, action="add"))
    assert response.status_code == 200
    assert len(response.context["lines"].forms) == 3
    page = response.content.decode()
    assert 'value="250.00"' in page and 'value="Postage"' in page
    assert "Out of balance by $50.00: debits exceed credits" in page
    assert "This field is required" not in page
    # With HTMX: only the lines fragment.
    hx = {"HX-Request": "true"}
    response = client.post(url, form_data(*rows, action="add"), headers=hx)
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="journal-lines">')
    assert 'name="lines-TOTAL_FORMS" value="3"' in fragment
    response = client.post(url, form_data(*rows, action="remove-0"), headers=hx)
    fragment = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="1"' in fragment
    assert POSTAGE not in fragment and CASH in fragment
    # Recalculating returns the totals footer only.
    response = client.post(url, form_data(*rows, action="recalc"), headers=hx)
    fragment = response.content.decode().strip()
    assert fragment.startswith('<tfoot id="journal-totals"')
    assert "$250.00" in fragment and "$200.00" in fragment
    assert "Out of balance by $50.00" in fragment
    rows[1] = (CASH, "", "250", "b")
    response = client.post(url, form_data(*rows, action="recalc"), headers=hx)
    assert "Balanced" in response.content.decode()
    assert JournalDraft.objects.count() == 0
    # Garbage row counts and actions: no 500.
    for bad in ("abc", "-5", "100000"):
        data = form_data(*rows, action="add") | {"lines-TOTAL_FORMS": bad}
        assert client.post(url, data).status_code == 200
    for action in ("remove-99", "remove-x", "recalc", "nonsense"):
        assert client.post(url, form_data(*rows, action=action)).status_code == 200
    data = form_data(*rows) | {"lines-TOTAL_FORMS": "abc"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert JournalDraft.objects.count() == 0


def test_preparer_edits_their_draft_others_only_read_it(client, books, technician, senior):
    draft = draft_for(technician)
    client.force_login(technician)
    url = reverse("ledger:journal_edit", args=[draft.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["lines"].forms) == 2 + 2
    assert response.context["form"]["memo"].value() == "Postage for the November bills"
    data = form_data((POSTAGE, "300.00", "", ""), (CASH, "", "300.00", ""), key="", memo="More")
    response = client.post(url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.memo == "More"
    assert draft.lines.get(line_number=1).amount == D("300.00")

    client.force_login(senior)
    response = client.get(url)
    assert response.status_code == 200
    assert "who prepared" in response.content.decode()
    assert client.post(url, data).status_code == 403
    response = client.post(reverse("ledger:journal_submit", args=[draft.pk]))
    assert response.status_code == 200
    assert "Only the preparer" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


# ---------------------------------------------------------------- approval on the screens


def test_approve_button_is_hidden_from_the_preparer_and_refused_if_pressed(
    client, books, senior, supervisor
):
    draft = draft_for(senior, submit=True)
    client.force_login(senior)
    page = client.get(reverse("ledger:journal_detail", args=[draft.pk])).content.decode()
    assert "Approve and post" not in page
    assert "Reject and send back" not in page
    assert "You prepared this entry" in page
    response = client.post(reverse("ledger:journal_approve", args=[draft.pk]))
    assert response.status_code == 200
    assert "another senior accounting technician" in response.content.decode()
    response = client.post(reverse("ledger:journal_reject", args=[draft.pk]), {"reason": "x"})
    assert response.status_code == 200
    assert JournalEntry.objects.count() == 0
    draft.refresh_from_db()
    assert draft.status == "submitted"

    client.force_login(supervisor)
    page = client.get(reverse("ledger:journal_detail", args=[draft.pk])).content.decode()
    assert "Approve and post" in page and "Reject and send back" in page


def test_approve_on_the_screen_posts_once_and_shows_the_entry(client, books, technician, senior):
    draft = draft_for(technician, submit=True)
    client.force_login(senior)
    url = reverse("ledger:journal_approve", args=[draft.pk])
    response = client.post(url)
    draft.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:entry_detail", args=[draft.entry_id])
    response = client.post(url)  # the double-click
    assert response.status_code == 302
    assert JournalEntry.objects.count() == 1
    page = client.get(reverse("ledger:entry_detail", args=[draft.entry_id])).content.decode()
    assert f"JD-{draft.pk}" in page
    assert "$250.00" in page and POSTAGE in page and CASH in page
    assert f"is approved and posted as JE {draft.entry.number}" in page


def test_approve_into_a_closed_period_shows_why_and_keeps_the_draft(
    client, books, november, technician, senior, supervisor
):
    draft = draft_for(technician, submit=True)
    close_period(november, actor=supervisor, reason="November closed")
    client.force_login(senior)
    response = client.post(reverse("ledger:journal_approve", args=[draft.pk]))
    assert response.status_code == 200
    assert "is closed to posting" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert JournalEntry.objects.count() == 0


def test_reject_on_the_screen_needs_a_reason(client, books, technician, supervisor):
    draft = draft_for(technician, submit=True)
    client.force_login(supervisor)
    url = reverse("ledger:journal_reject", args=[draft.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"reason": "Use department 1200"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.rejection_reason) == ("rejected", "Use department 1200")
    client.force_login(technician)
    page = client.get(reverse("ledger:journal_detail", args=[draft.pk])).content.decode()
    assert "Use department 1200" in page and "Edit" in page


@pytest.mark.parametrize("role", [Role.COUNTER_CLERK, Role.AUDITOR, Role.ADMINISTRATOR])
def test_roles_that_may_not_prepare_or_approve_get_403(client, books, technician, role):
    draft = draft_for(technician, submit=True)
    client.force_login(make_user(role, f"u_{role.name.lower()}"))
    assert client.post(reverse("ledger:journal_approve", args=[draft.pk])).status_code == 403
    assert client.post(reverse("ledger:journal_reject", args=[draft.pk])).status_code == 403
    data = form_data((POSTAGE, "1", "", ""), (CASH, "", "1", ""))
    assert client.post(reverse("ledger:journal_create"), data).status_code == 403
    assert client.get(reverse("ledger:journal_account_search"), {"q": "1"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "submitted"
    reads = client.get(reverse("ledger:journal_detail", args=[draft.pk])).status_code
    assert reads == (403 if role == Role.COUNTER_CLERK else 200)


def test_technician_may_not_approve_on_the_screen(client, books, senior, technician):
    draft = draft_for(senior, submit=True)
    client.force_login(technician)
    assert client.post(reverse("ledger:journal_approve", args=[draft.pk])).status_code == 403
    page = client.get(reverse("ledger:journal_detail", args=[draft.pk])).content.decode()
    assert "Approve and post" not in page


def test_journal_list_filters_and_pins_its_queries(client, books, technician, senior):
    for index in range(3):
        draft_for(technician, key=f"jd-{index}", submit=index == 0)
    client.force_login(senior)
    url = reverse("ledger:journal_list")
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert "3 entries" in response.content.decode()
    assert len(client.get(url, {"status": "submitted"}).context["page"]) == 1
    assert len(client.get(url, {"mine": "on"}).context["page"]) == 0
    first = JournalDraft.objects.order_by("id").first()
    assert [d.pk for d in client.get(url, {"text": first.number}).context["page"]] == [first.pk]
    assert client.get(url, {"status": "bogus"}).status_code == 200
    for index in range(3, 20):
        draft_for(technician, key=f"jd-{index}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    # Session, user, roles, count, the page (session save: 3).
    assert len(many) == len(few) == 8, [q["sql"] for q in many.captured_queries]


# ---------------------------------------------------------------- home page and search


def test_work_queues_list_drafts_to_approve_but_never_your_own(
    client, books, technician, senior, supervisor
):
    theirs = draft_for(technician, key="jd-t", submit=True)
    mine = draft_for(senior, key="jd-s", submit=True)
    client.force_login(senior)
    page = client.get(reverse("home")).content.decode()
    assert "Journal entries to approve" in page
    assert reverse("ledger:journal_detail", args=[theirs.pk]) in page
    assert (
        f"{mine.number} ·" not in page.split("Journal entries to approve")[1].split("</section>")[0]
    )
    client.force_login(supervisor)
    page = client.get(reverse("home")).content.decode()
    assert f"{theirs.number} ·" in page and f"{mine.number} ·" in page
    client.force_login(technician)
    draft_for(technician, key="jd-open")
    page = client.get(reverse("home")).content.decode()
    assert "Journal entries to approve" not in page
    assert "Your draft journal entries" in page


def test_account_search_matches_number_or_name_of_active_posting_accounts(
    client, books, technician
):
    Account.objects.filter(number="501-1100-5210").update(is_active=False)
    Account.objects.filter(number="101-0000-1310").update(allows_posting=False)
    client.force_login(technician)
    url = reverse("ledger:journal_account_search")

    def found(**params) -> str:
        response = client.get(url, params, headers={"HX-Request": "true"})
        assert response.status_code == 200
        return response.content.decode()

    page = found(q="postage")
    assert 'value="101-1100-5210"' in page
    assert "501-1100-5210" not in page
    page = found(q="1310")
    assert "501-0000-1310" in page and "101-0000-1310" not in page
    assert 'value="501-0000-1010"' in found(q="water cash")
    # From a line's own field: HTMX names the field that asked.
    response = client.get(
        url,
        {"lines-3-account": "4411"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "lines-3-account"},
    )
    assert "501-1100-4411" in response.content.decode()
    assert found(q="").strip() == ""
    # The name under a chosen account, or why there is none.
    assert found(**{"lines-0-account": POSTAGE, "show": "name"}).strip() == "General Fund: Postage"
    assert "501-1100-5210 is not an account for manual entries" in found(
        q="501-1100-5210", show="name"
    )
    assert found(q="%_\\'\"<script>" * 20).strip() == ""


# ---------------------------------------------------------------- CSV import


def upload(text: str | bytes, name="entry.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


def import_post(client, content, key="imp-1", **extra):
    data = {"entry_date": "2026-11-15", "memo": "Imported postage", "idempotency_key": key}
    return client.post(reverse("ledger:journal_import"), data | extra | {"file": upload(content)})


def test_import_a_valid_file_creates_a_draft_for_approval(client, books, technician, senior):
    client.force_login(technician)
    assert client.get(reverse("ledger:journal_import")).status_code == 200
    content = (
        "\ufeffAccount, Debit ,Credit,Memo\n"
        f'{POSTAGE},"1,000.00",,November bills\n'
        f"{CASH},,1000,\n"
        ",,,\n"
    )
    response = import_post(client, content)
    draft = JournalDraft.objects.get()
    assert response.status_code == 302
    assert (draft.status, draft.source_file, draft.prepared_by) == (
        "draft",
        "entry.csv",
        technician,
    )
    assert list(draft.lines.values_list("account__number", "amount", "memo")) == [
        (POSTAGE, D("1000.00"), "November bills"),
        (CASH, D("-1000.00"), ""),
    ]
    assert JournalEntry.objects.count() == 0
    assert "Imported 2 lines" in client.get(response["Location"]).content.decode()
    # The same form again makes no second draft.
    import_post(client, content)
    assert JournalDraft.objects.count() == 1
    # It then goes through approval like any draft.
    submit_journal_draft(draft, actor=technician)
    assert approve_journal_draft(draft, actor=senior).entry.lines.count() == 2


def test_import_validates_every_row_first_and_imports_nothing_on_error(client, books, technician):
    Account.objects.filter(number="101-0000-1310").update(is_active=False)
    client.force_login(technician)
    content = (
        "account,debit,credit,memo\n"
        f"{POSTAGE},100.00,,ok\n"  # line 2 is fine
        "999-9999-9999,5.00,,\n"  # 3 unknown account
        "101-0000-1310,5.00,,\n"  # 4 inactive
        f"{CASH},5.00,5.00,\n"  # 5 both
        f"{CASH},-5.00,,\n"  # 6 negative
        f"{CASH},five,,\n"  # 7 not a number
        f"{CASH},5.005,,\n"  # 8 three decimals
        f"{CASH},,,only a memo\n"  # 9 neither
        f"{CASH},1,2,3,4,5\n"  # 10 too many cells
    )
    response = import_post(client, content)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors[0] == "Line 3: there is no account 999-9999-9999."
    assert errors[1] == "Line 4: account 101-0000-1310 does not accept postings."
    assert errors[2] == "Line 5: both a debit and a credit."
    assert errors[3].startswith("Line 6: amounts are positive")
    assert errors[4].startswith("Line 7: debit 'five': Enter a number.")
    assert errors[5].startswith("Line 8: debit '5.005'") and "2 decimal places" in errors[5]
    assert errors[6] == "Line 9: neither a debit nor a credit."
    assert errors[7] == "Line 10: more cells than columns."
    assert len(errors) == 8
    assert "Line 3: there is no account 999-9999-9999." in response.content.decode()
    assert JournalDraft.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"account,debit,credit\n{POSTAGE},10.00,\n{CASH},,9.99\n", "Out of balance"),
        (f"account,debit,credit\n{POSTAGE},10.00,\n", "at least two lines"),
        ("account,debit,credit\n", "no lines"),
        ("", "The submitted file is empty."),
        ("\n\n", "must name the columns"),
        ("acct,dr,cr\n1,2,3\n", "missing: account, debit, credit"),
        (b"\xff\xfe\x00garbage\x00", "not text in UTF-8"),
        ('account,debit,credit\n"unterminated,1,\n', "Line"),
        ("account,debit,credit\n" + f"{POSTAGE},1.00,\n" * 201, "at most 200 lines"),
    ],
)
def test_import_refuses_bad_files_with_a_clear_message(client, books, technician, content, message):
    client.force_login(technician)
    response = import_post(client, content)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert JournalDraft.objects.count() == 0


def test_import_form_garbage_is_not_a_500(client, books, technician, clerk):
    client.force_login(technician)
    response = client.post(reverse("ledger:journal_import"), {"entry_date": "x"})
    assert response.status_code == 200
    # A NUL byte (PostgreSQL text cannot hold one) is refused with a message, in a file
    # and in the account search.
    response = import_post(client, "account,debit,credit\n101-0000-1010,1.00\x00,\n")
    assert response.status_code == 200
    assert "NUL characters" in response.content.decode()
    response = client.get(reverse("ledger:journal_account_search"), {"q": "\x00abc"})
    assert response.status_code == 200
    client.force_login(clerk)
    assert import_post(client, "account,debit,credit\n").status_code == 403


# ---------------------------------------------------------------- role matrix samples


def role_matrix_samples(users: dict) -> dict:
    """Real objects for the role matrix's journal URLs (idempotent: the matrix asks for
    them once per URL). The draft is another technician's, submitted, so that every role
    that may read it gets its page."""
    from ledger.models import AccountType, Department, Fund, FundType, ObjectCode
    from ledger.services import create_account

    create_fiscal_year(2027)
    fund, _ = Fund.objects.get_or_create(
        code="101", defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )
    department, _ = Department.objects.get_or_create(code="0000", defaults={"name": "Non-dept"})
    numbers = []
    for code, name, kind in [
        ("1010", "Pooled cash", AccountType.ASSET),
        ("4920", "Misc revenue", AccountType.REVENUE),
    ]:
        obj, _ = ObjectCode.objects.get_or_create(
            code=code, defaults={"name": name, "account_type": kind}
        )
        number = f"101-0000-{code}"
        if not Account.objects.filter(number=number).exists():
            create_account(fund=fund, department=department, object_code=obj)
        numbers.append(number)
    preparer = users[Role.ACCOUNTING_TECHNICIAN]
    entry = post_entry(
        entry_date=NOV,
        lines=[LineSpec(numbers[0], D("1.00")), LineSpec(numbers[1], D("-1.00"))],
        memo="Role matrix sample",
        source_module="ledger",
        idempotency_key="role-matrix-sample",
        prepared_by=preparer,
    )
    draft = save_journal_draft(
        None,
        actor=preparer,
        entry_date=NOV,
        memo="Role matrix sample",
        lines=[LineSpec(numbers[0], D("1.00")), LineSpec(numbers[1], D("-1.00"))],
        idempotency_key="role-matrix-sample",
        submit=True,
    )
    by_entry = {"pk": entry.pk}
    by_draft = {"pk": draft.pk}
    return {
        "ledger:entry_detail": by_entry,
        "ledger:entry_reverse": by_entry,
        "ledger:journal_detail": by_draft,
        "ledger:journal_edit": by_draft,
        "ledger:journal_submit": by_draft,
        "ledger:journal_approve": by_draft,
        "ledger:journal_reject": by_draft,
    }


# ---------------------------------------------------------------- control accounts


@pytest.fixture
def misc_ar(books) -> Account:
    """An asset made the control account of miscellaneous receivables."""
    Account.objects.filter(number="101-0000-1310").update(control_subledger="misc_ar")
    return Account.objects.get(number="101-0000-1310")


def test_manual_entries_never_touch_a_control_account(client, misc_ar, technician):
    specs = lines((misc_ar.number, "10.00"), (CASH, "-10.00"))
    with pytest.raises(ValidationError, match="control account of miscellaneous"):
        draft_for(technician, specs=specs)
    client.force_login(technician)
    data = form_data((misc_ar.number, "10.00", "", ""), (CASH, "", "10.00", ""))
    response = client.post(reverse("ledger:journal_create"), data)
    assert response.status_code == 200
    assert (
        "control account of miscellaneous"
        in response.context["lines"].forms[0].errors["account"][0]
    )
    response = import_post(client, f"account,debit,credit\n{misc_ar.number},1,\n{CASH},,1\n")
    assert "Line 2: 101-0000-1310 is the control account" in response.content.decode()
    search = reverse("ledger:journal_account_search")
    assert misc_ar.number not in client.get(search, {"q": "1310"}).content.decode()
    assert JournalDraft.objects.count() == 0


def test_an_entry_on_a_control_account_is_reversed_in_its_module(
    client, misc_ar, technician, senior
):
    entry = post_entry(
        entry_date=NOV,
        lines=lines((misc_ar.number, "40.00"), (CASH, "-40.00")),
        memo="Invoice 77",
        source_module="receivables",
        source_document="INV-77",
        idempotency_key="inv-77",
        prepared_by=technician,
    )
    client.force_login(senior)
    page = client.get(reverse("ledger:entry_detail", args=[entry.pk])).content.decode()
    assert "Post the reversal" not in page
    assert "reversed in the receivables module" in page
    url = reverse("ledger:entry_reverse", args=[entry.pk])
    response = client.post(url, {"entry_date": "2026-11-30", "idempotency_key": "k"})
    assert response.status_code == 200
    assert "Reverse it in its module" in response.content.decode()
    assert JournalEntry.objects.count() == 1


def test_entry_list_filter_errors_reach_their_fields_under_htmx(client, books, auditor):
    client.force_login(auditor)
    response = client.get(
        reverse("ledger:entry_list"),
        {"date_from": "2026-12-01", "date_to": "2026-11-01"},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    assert 'id="id_date_to_error" role="alert" hx-swap-oob="true"' in fragment
    assert "before" in fragment.split('id="id_date_to_error"')[1][:300]


def test_year_end_adjustment_posts_to_period_13_through_the_screens(
    client, books, technician, senior
):
    client.force_login(technician)
    rows = [(POSTAGE, "12.00", "", ""), (CASH, "", "12.00", "")]
    # Only June 30 goes to the adjustment period.
    data = form_data(*rows, day="2027-06-29", action="submit") | {"adjustment_period": "on"}
    response = client.post(reverse("ledger:journal_create"), data)
    assert response.status_code == 200
    assert "Only an entry dated June 30" in response.content.decode()
    data = form_data(*rows, day="2027-06-30", action="submit", key="k-adj") | {
        "adjustment_period": "on"
    }
    response = client.post(reverse("ledger:journal_create"), data)
    assert response.status_code == 302
    draft = JournalDraft.objects.get(idempotency_key="k-adj")
    assert draft.adjustment_period
    assert "year-end adjustment (period 13)" in client.get(response["Location"]).content.decode()
    client.force_login(senior)
    client.post(reverse("ledger:journal_approve", args=[draft.pk]))
    draft.refresh_from_db()
    assert (draft.entry.period.number, draft.entry.entry_date) == (13, dt.date(2027, 6, 30))


@pytest.mark.parametrize(
    ("typed", "amount"), [("1,250.00", "1250.00"), ("$80", "80"), (" 12.5 ", "12.5")]
)
def test_amounts_are_read_as_people_type_money(typed, amount):
    from ledger.forms.journals import _amount

    assert _amount(typed) == D(amount)


@pytest.mark.parametrize("typed", ["1e3", "12..5", "1 000", "ten"])
def test_amounts_refuse_what_is_not_money(typed):
    from ledger.forms.journals import _amount

    with pytest.raises(ValidationError):
        _amount(typed)


def test_account_names_are_found_for_a_number_followed_by_its_name(books):
    from ledger.queries.journals import account_names

    names = account_names([POSTAGE, f"{CASH} General Fund: Pooled cash", "", "999-0000-0000"])
    assert set(names) == {POSTAGE, f"{CASH} General Fund: Pooled cash"}
    assert names[f"{CASH} General Fund: Pooled cash"] == "General Fund: Pooled cash"
