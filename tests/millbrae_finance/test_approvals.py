"""Every document with PreparedAndDecided's columns carries the check that nobody decides
what they prepared, in its Meta and in the database (a Meta of its own could drop it)."""

import pytest
from django.apps import apps
from django.db import connection

from millbrae_finance.approvals import PreparedAndDecided

DOCUMENTS = sorted(
    (model for model in apps.get_models() if issubclass(model, PreparedAndDecided)),
    key=lambda model: model._meta.label,
)


def check_name(model) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}_approver_not_preparer"


def test_approvals_the_documents_that_share_the_columns():
    assert [model._meta.label for model in DOCUMENTS] == [
        "ledger.JournalDraft",
        "payables.Invoice",
        "payables.VendorBankChange",
        "receivables.CreditMemo",
        "receivables.WriteOff",
        "utility_billing.UtilityAdjustment",
    ]


@pytest.mark.parametrize("model", DOCUMENTS, ids=lambda model: model._meta.label)
def test_approvals_each_document_declares_the_check(model):
    assert check_name(model) in {constraint.name for constraint in model._meta.constraints}


@pytest.mark.django_db
@pytest.mark.parametrize("model", DOCUMENTS, ids=lambda model: model._meta.label)
def test_approvals_the_database_has_the_check(model):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert found[check_name(model)]["check"]
