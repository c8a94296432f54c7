"""Receivables reads, one module per area; the customer and fee queries are re-exported
here because that is where the rest of the app has always found them."""

from receivables.queries.customers import *  # noqa: F403
