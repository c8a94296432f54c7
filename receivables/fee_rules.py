"""The calculation rules a fee may have. models.py takes its choices from here; the
calculation itself is receivables.queries.fees."""

from django.db import models


class FeeRule(models.TextChoices):
    FLAT = "flat", "Flat amount"
    PER_UNIT = "per_unit", "Per unit"
    PERCENT = "percent", "Percentage of a base amount"
    TIERED = "tiered", "Tiered by units"
