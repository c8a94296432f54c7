"""The thresholds that meter reads are checked against, from settings
(`UTILITY_READ_CHECKS`, each overridable from the environment; see settings.py).

- high: the read's use per day is more than `high_factor` times the account's own
  average use per day over its reads of the last `history_days` (counted from the
  account's start if it started later). Reads under `high_min_hcf` are never high: an
  account that used almost nothing would otherwise flag any use at all.
- low: more than zero, and under `low_factor` times that average (zero on an occupied
  location has its own code).
- Neither is judged before the account has `min_history_days` of measured reads.
- rollover: a reading lower than the one before is the register wrapping past zero when
  the use that implies, 10**dials - previous + reading, is under `rollover_max_share` of
  the register's span (10**dials); otherwise it is "lower than the last read, not a
  rollover".
- missing: a meter at a location with an active account has no read within
  `window_days` either side of its cycle's read day.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings


@dataclass(frozen=True)
class ReadChecks:
    high_factor: Decimal
    low_factor: Decimal
    history_days: int
    min_history_days: int
    high_min_hcf: Decimal
    rollover_max_share: Decimal
    window_days: int

    def as_sql_params(self) -> dict:
        return {
            "high_factor": self.high_factor,
            "low_factor": self.low_factor,
            "history_days": self.history_days,
            "min_history_days": self.min_history_days,
            "high_min_hcf": self.high_min_hcf,
            "rollover_max_share": self.rollover_max_share,
        }


def read_checks() -> ReadChecks:
    """The thresholds in force (read at each call, so a test may change the setting)."""
    values = settings.UTILITY_READ_CHECKS
    return ReadChecks(
        high_factor=Decimal(str(values["HIGH_FACTOR"])),
        low_factor=Decimal(str(values["LOW_FACTOR"])),
        history_days=int(values["HISTORY_DAYS"]),
        min_history_days=int(values["MIN_HISTORY_DAYS"]),
        high_min_hcf=Decimal(str(values["HIGH_MIN_HCF"])),
        rollover_max_share=Decimal(str(values["ROLLOVER_MAX_SHARE"])),
        window_days=int(values["WINDOW_DAYS"]),
    )
