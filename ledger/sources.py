"""Where an entry came from: each module registers how to open its source documents, so
an account inquiry or an entry can drill down to the invoice, bill or receipt behind it.
The ledger imports no module; modules register from AppConfig.ready()."""

from collections.abc import Callable

SourceResolver = Callable[[str], str | None]

_resolvers: dict[str, SourceResolver] = {}


def register_source_documents(module: str, resolver: SourceResolver) -> None:
    """`resolver` takes a source document reference (e.g. "INV-1042") and returns the URL
    of its page, or None when it is not one of the module's documents."""
    _resolvers[module] = resolver


def source_document_url(source_module: str, source_document: str) -> str | None:
    resolver = _resolvers.get(source_module)
    if resolver is None or not source_document:
        return None
    return resolver(source_document)
