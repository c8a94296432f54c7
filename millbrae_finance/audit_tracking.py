"""How a model is put on the audit trail: `track` instead of `pghistory.track`."""

from typing import Any

import pghistory
from django.db import models


def track(*trackers: Any, **kwargs: Any) -> Any:
    """`pghistory.track`, with the two indexes the audit trail reads its event table by.

    (pgh_created_at, pgh_id): the trail reads each event table newest first, a page at a
    time, from a position (millbrae_finance.audit); through this index a page reads at
    most a page of rows from each table however many events it holds. pgh_id breaks the
    ties: every event one transaction writes has the same time (the demo's reads are one
    INSERT).

    (pgh_obj_id, pgh_id): one record's events (its history page), and the event before
    each one, which pghistory's diff reads (`pgh_obj_id = x AND pgh_id < y ORDER BY
    pgh_id DESC LIMIT 1`). With only pghistory's index on pgh_obj_id, a planner without
    statistics (rows loaded in the same transaction: the demo under a test) walked the
    primary key backwards instead, reading the whole table for every event shown.
    """
    meta = dict(kwargs.pop("meta", None) or {})
    # Unnamed: Django names them from the event table, the same way on every run.
    meta["indexes"] = [
        *meta.get("indexes", ()),
        models.Index(fields=["pgh_created_at", "pgh_id"]),
        models.Index(fields=["pgh_obj", "pgh_id"]),
    ]
    return pghistory.track(*trackers, meta=meta, **kwargs)
