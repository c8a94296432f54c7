"""The SQL that works out a read's consumption and exceptions, for any number of reads at
once (one read entered by hand, a 50,000-row file): two UPDATE statements over the reads
named by id (an array, unnested so that each read is found by its key), never a save per
read. Thresholds are bound from utility_billing.read_checks.

A read is measured from its meter's previous read: the latest earlier read since the
meter's installation that is not set aside for a re-read. The first read after
installation is measured from the install reading (none recorded: it is the baseline,
zero). Reading lower than the previous: a rollover when the wrap is plausible (see
read_checks), else "lower than the last read, not a rollover" with no consumption until
someone settles it.
"""

# Step 1: previous read, consumption (HCF: register units times the multiplier, to the
# thousandth) and rollover. An accepted read that is lower than its previous bills zero.
MEASURE_SQL = """
WITH target AS (
    SELECT r.id, r.meter_id, r.read_date, r.reading, r.exception_status,
           m.dials, m.multiplier, m.install_date, m.install_reading
      FROM unnest(%(ids)s::bigint[]) AS named(id)
      JOIN utility_billing_meterread r ON r.id = named.id
      JOIN utility_billing_meter m ON m.id = r.meter_id
),
measured AS (
    SELECT t.*, p.id AS previous_id, COALESCE(p.reading, t.install_reading) AS base,
           power(10::numeric, t.dials) AS span
      FROM target t
      LEFT JOIN LATERAL (
            SELECT p.id, p.reading
              FROM utility_billing_meterread p
             WHERE p.meter_id = t.meter_id
               AND p.read_date < t.read_date
               AND p.read_date >= t.install_date
               AND p.exception_status <> 're_read_requested'
             ORDER BY p.read_date DESC
             LIMIT 1
      ) p ON true
),
worked AS (
    SELECT id, previous_id, multiplier, exception_status,
           CASE
               WHEN base IS NULL THEN 0
               WHEN reading >= base THEN reading - base
               WHEN span - base + reading < span * %(rollover_max_share)s
                   THEN span - base + reading
           END AS units,
           base IS NOT NULL AND reading < base
               AND span - base + reading < span * %(rollover_max_share)s AS rolled_over
      FROM measured
)
UPDATE utility_billing_meterread r
   SET previous_read_id = w.previous_id,
       rolled_over = w.rolled_over,
       consumption = CASE
           WHEN w.units IS NOT NULL THEN round(w.units * w.multiplier, 3)
           WHEN w.exception_status = 'accepted' THEN 0
       END
  FROM worked w
 WHERE r.id = w.id
"""

# Step 2: the exception codes of the reads nobody has settled (no exception yet, or an
# open one); accepted, corrected and re-read reads keep theirs. High and low compare use
# per day with the account's own history: the billable, measured reads at the location
# in the `history_days` before the read, from the start of the active account there.
CODES_SQL = """
WITH target AS (
    SELECT r.id, r.location_id, r.read_date, r.kind, r.consumption,
           r.previous_read_id IS NULL AND (m.install_reading IS NULL
                                           OR r.read_date = m.install_date) AS first_read,
           r.read_date - COALESCE(p.read_date, m.install_date) AS days,
           p.kind AS previous_kind
      FROM unnest(%(ids)s::bigint[]) AS named(id)
      JOIN utility_billing_meterread r ON r.id = named.id
      JOIN utility_billing_meter m ON m.id = r.meter_id
      LEFT JOIN utility_billing_meterread p ON p.id = r.previous_read_id
     WHERE r.exception_status IN ('none', 'open')
),
judged AS (
    SELECT t.*, occupant.started AS occupied_since, history.used, history.days AS history_days
      FROM target t
      LEFT JOIN LATERAL (
            SELECT max(a.start_date) AS started
              FROM utility_billing_utilityaccount a
             WHERE a.location_id = t.location_id
               AND a.status = 'active'
               AND a.start_date <= t.read_date
               AND (a.end_date IS NULL OR a.end_date >= t.read_date)
      ) occupant ON true
      LEFT JOIN LATERAL (
            SELECT sum(h.consumption) AS used, sum(h.read_date - hp.read_date) AS days
              FROM utility_billing_meterread h
              JOIN utility_billing_meterread hp ON hp.id = h.previous_read_id
             WHERE h.location_id = t.location_id
               AND h.read_date < t.read_date
               AND h.read_date >= GREATEST(
                       t.read_date - %(history_days)s,
                       COALESCE(occupant.started, t.read_date - %(history_days)s))
               AND h.exception_status IN ('none', 'accepted', 'corrected')
               AND h.consumption IS NOT NULL
      ) history ON true
),
coded AS (
    SELECT id, array_remove(ARRAY[
        CASE WHEN consumption IS NULL THEN 'negative_no_rollover' END,
        CASE WHEN NOT first_read AND days > 0 AND history_days >= %(min_history_days)s
                  AND consumption >= %(high_min_hcf)s
                  AND consumption * history_days > %(high_factor)s * used * days
             THEN 'high' END,
        CASE WHEN NOT first_read AND days > 0 AND history_days >= %(min_history_days)s
                  AND used > 0 AND consumption > 0
                  AND consumption * history_days < %(low_factor)s * used * days
             THEN 'low' END,
        CASE WHEN NOT first_read AND consumption = 0 AND occupied_since IS NOT NULL
             THEN 'zero_occupied' END,
        CASE WHEN kind = 'estimated' AND previous_kind = 'estimated'
             THEN 'consecutive_estimates' END
    ], NULL)::varchar(25)[] AS codes
      FROM judged
),
settled AS (
    SELECT id, codes, CASE WHEN cardinality(codes) = 0 THEN 'none' ELSE 'open' END AS status
      FROM coded
)
UPDATE utility_billing_meterread r
   SET exception_codes = c.codes, exception_status = c.status
  FROM settled c
 WHERE r.id = c.id
   -- Most reads are clean and were written clean: left alone, they cost no second write
   -- and no second audit row.
   AND (r.exception_codes <> c.codes OR r.exception_status <> c.status)
"""

# Staged rows (a file's or a route sheet's) beside what the database knows of their
# meters: one answer row per staged row, in line order.
CHECK_STAGED_SQL = """
SELECT s.line, m.id, m.status, m.install_date, m.removal_date, m.dials,
       last.read_date, dup.id IS NOT NULL
  FROM {staged} s
  LEFT JOIN utility_billing_meter m ON m.serial = s.serial
  LEFT JOIN LATERAL (
        SELECT max(r.read_date) AS read_date
          FROM utility_billing_meterread r
         WHERE r.meter_id = m.id AND r.read_date >= m.install_date
  ) last ON true
  LEFT JOIN utility_billing_meterread dup
         ON dup.meter_id = m.id AND dup.read_date = s.read_date
 ORDER BY s.line
"""

# The staged rows' meters, locked in id order (the order every meter service takes them)
# so that a meter change or another import cannot slip a read in between the checks and
# the insert.
LOCK_STAGED_METERS_SQL = """
SELECT m.id
  FROM utility_billing_meter m
 WHERE m.serial IN (SELECT serial FROM {staged})
 ORDER BY m.id
   FOR UPDATE
"""

# A slice of the staged rows (by `seq`: date order, then serial) into the reads table.
INSERT_STAGED_SQL = """
INSERT INTO utility_billing_meterread
       (meter_id, location_id, read_date, reading, kind, source, entered_by_id, entered_at,
        rolled_over, exception_status, exception_codes, note)
SELECT m.id, m.location_id, s.read_date, s.reading, s.kind, s.source, %(actor)s, now(),
       false, 'none', '{{}}', s.note
  FROM {staged} s
  JOIN utility_billing_meter m ON m.serial = s.serial
 WHERE s.seq > %(after)s AND s.seq <= %(upto)s
 ORDER BY s.seq
RETURNING id
"""

# A re-read order is done when an actual read of its meter comes in.
COMPLETE_RE_READS_SQL = """
UPDATE utility_billing_serviceorder o
   SET status = 'completed', completed_at = now(), completed_by_id = %(actor)s
 WHERE o.kind = 're_read'
   AND o.status IN ('open', 'scheduled')
   AND o.meter_id IN (SELECT meter_id FROM utility_billing_meterread
                       WHERE id = ANY(%(ids)s) AND kind = 'actual')
"""
