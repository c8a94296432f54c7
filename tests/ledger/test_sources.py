from ledger.sources import register_source_documents, source_document_url


def test_source_documents_resolve_through_the_module_that_registered_them():
    register_source_documents(
        "testmod", lambda ref: f"/test/{ref}/" if ref.startswith("T-") else None
    )
    assert source_document_url("testmod", "T-7") == "/test/T-7/"
    assert source_document_url("testmod", "X-7") is None
    assert source_document_url("testmod", "") is None
    assert source_document_url("unknown", "T-7") is None
