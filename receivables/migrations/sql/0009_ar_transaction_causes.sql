-- Name what caused each AR movement written before movements carried their cause, in
-- the forms the code writes from now on:
--   a posted movement (charge, credit, reduction, dismissal, write-off): its entry's
--     idempotency key, e.g. receivables-invoice-12;
--   a penalty batch's charge: PB-000007:rule-3:invoice-12:1 (batch, rule, document,
--     occurrence: unique already, by receivables_artx_*_penalty_once);
--   a payment: its key was not kept, so the movement's own id stands in for it:
--     payment-movement-81:invoice-12.
-- The subledger is append-only (receivables_artransaction_append_only refuses any
-- change but the customer), and the audit triggers installed after migrate do not know
-- the new column yet: this one fill runs with the table's own triggers off, as the
-- owner, inside the migration's transaction.
ALTER TABLE receivables_artransaction DISABLE TRIGGER USER;

UPDATE receivables_artransaction t
   SET cause = CASE
       WHEN t.kind = 'penalty' AND t.penalty_batch_id IS NOT NULL AND t.rule_id IS NOT NULL
       THEN 'PB-' || CASE WHEN t.penalty_batch_id < 1000000
                          THEN lpad(t.penalty_batch_id::text, 6, '0')
                          ELSE t.penalty_batch_id::text END
            || ':rule-' || t.rule_id
            || ':' || CASE WHEN t.invoice_id IS NOT NULL THEN 'invoice-' || t.invoice_id
                           ELSE 'citation-' || t.citation_id END
            || ':' || t.occurrence
       WHEN t.kind = 'payment' OR e.idempotency_key IS NULL
       THEN t.kind || '-movement-' || t.id
            || ':' || CASE WHEN t.invoice_id IS NOT NULL THEN 'invoice-' || t.invoice_id
                           ELSE 'citation-' || t.citation_id END
       ELSE e.idempotency_key
   END
  FROM receivables_artransaction s
  LEFT JOIN ledger_journalentry e ON e.id = s.journal_entry_id
 WHERE s.id = t.id;

-- Should two movements share one entry (no code wrote that, but old data is old data),
-- the second and later are told apart by their id.
UPDATE receivables_artransaction t
   SET cause = t.cause || ':movement-' || t.id
  FROM (SELECT id, row_number() OVER (PARTITION BY cause ORDER BY id) AS n
          FROM receivables_artransaction) d
 WHERE d.id = t.id AND d.n > 1;

ALTER TABLE receivables_artransaction ENABLE TRIGGER USER;
