"""Receivables forms, one module per area; the customer and fee forms are re-exported
here because that is where the rest of the app has always found them."""

from receivables.forms.customers import *  # noqa: F403
from receivables.forms.customers import new_merge_key  # noqa: F401
