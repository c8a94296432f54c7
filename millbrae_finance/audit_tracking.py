"""How a model is put on the audit trail: `track` instead of `pghistory.track`."""

from typing import Any

import pghistory
from django.db import models


def track(*trackers: Any, **kwargs: Any) -> Any:
    """`pghistory.track`, with an index on the event table's (pgh_created_at, pgh_id).

    The audit trail reads each event table newest first, a page at a time, from a
    position (millbrae_finance.audit): through this index a page reads at most a page of
    rows from each table however many events it holds. pgh_id breaks the ties: every
    event one transaction writes has the same time (the demo's reads are one INSERT).
    """
    meta = dict(kwargs.pop("meta", None) or {})
    # Unnamed: Django names it from the event table, the same way on every run.
    meta["indexes"] = [*meta.get("indexes", ()), models.Index(fields=["pgh_created_at", "pgh_id"])]
    return pghistory.track(*trackers, meta=meta, **kwargs)
