-- Bill runs, bills and the utility AR subledger, guarded by the database whatever wrote
-- the rows (core PostgreSQL only: triggers, no btree_gist exclusion constraint).
--
-- 1. A cycle is billed once for any day: the periods of its runs that are not discarded
--    never overlap. The advisory lock on the cycle serialises two runs starting at once.
-- 2. A run posted or discarded is history: it never changes again.
-- 3. Bills, their lines and a run's exception rows are written while the run computes,
--    never changed after, and deleted only with a run that has not been approved.
--    Statement-level checks (transition tables), so a bulk write of a hundred thousand
--    rows pays one check, not one per row.
-- 4. The utility AR subledger is append-only, and every movement names a utility AR
--    control account.
--
-- Some references of the bulk tables are checked here, once per statement, instead of by
-- a foreign key (a foreign key checks each row on its own: measured, about 4 us a row a
-- key, 6 s for a bill run's 700,000 lines with two more keys): a line's run and rate
-- version and revenue account, a bill's run, a movement's control account and journal
-- entry. Each is a row the database
-- never deletes (bill runs, approved rate versions, accounts posted to, journal entries).

CREATE FUNCTION utility_billing_billrun_checks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    other record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'utility_billing: bill run % is history and cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN ('posted', 'discarded') THEN
        RAISE EXCEPTION 'utility_billing: bill run % is % and cannot change', OLD.id, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status = 'discarded' THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('utility_billing_billrun:' || NEW.cycle_id));
    SELECT id, period_start, period_end INTO other
      FROM utility_billing_billrun
     WHERE cycle_id = NEW.cycle_id
       AND status <> 'discarded'
       AND id <> NEW.id
       AND daterange(period_start, period_end, '[]')
           && daterange(NEW.period_start, NEW.period_end, '[]')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: bill run % overlaps bill run % (% to %) of the same cycle',
            NEW.id, other.id, other.period_start, other.period_end
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER utility_billing_billrun_checks
    BEFORE INSERT OR UPDATE OR DELETE ON utility_billing_billrun
    FOR EACH ROW EXECUTE FUNCTION utility_billing_billrun_checks();


-- What was billed never changes.
CREATE FUNCTION utility_billing_bill_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.run_id, NEW.account_id, NEW.period_start, NEW.period_end, NEW.service_class,
        NEW.meter_size, NEW.read_ids, NEW.estimated, NEW.consumption, NEW.previous_balance,
        NEW.amount, NEW.due_date)
       IS DISTINCT FROM
       (OLD.run_id, OLD.account_id, OLD.period_start, OLD.period_end, OLD.service_class,
        OLD.meter_size, OLD.read_ids, OLD.estimated, OLD.consumption, OLD.previous_balance,
        OLD.amount, OLD.due_date) THEN
        RAISE EXCEPTION 'utility_billing: bill % was billed and cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER utility_billing_bill_fixed
    BEFORE UPDATE ON utility_billing_bill
    FOR EACH ROW EXECUTE FUNCTION utility_billing_bill_fixed();

CREATE FUNCTION utility_billing_billline_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'utility_billing: bill line % was billed and cannot change', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER utility_billing_billline_fixed
    BEFORE UPDATE ON utility_billing_billline
    FOR EACH ROW EXECUTE FUNCTION utility_billing_billline_fixed();

-- Rows of a run are written while it computes.
CREATE FUNCTION utility_billing_run_rows_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_run record;
BEGIN
    SELECT w.run_id, coalesce(r.status, 'missing') AS status INTO found_run
      FROM (SELECT DISTINCT run_id FROM written) w
      LEFT JOIN utility_billing_billrun r ON r.id = w.run_id
     WHERE r.id IS NULL OR r.status <> 'computing'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: bill run % is %: % rows are written only while it computes',
            found_run.run_id, found_run.status, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;

-- A line is its bill's run's, and names a rate version and a revenue account that exist.
CREATE FUNCTION utility_billing_billline_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wrong bigint;
BEGIN
    SELECT w.id INTO wrong
      FROM written w JOIN utility_billing_bill b ON b.id = w.bill_id
     WHERE b.run_id <> w.run_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: bill line % names another run than its bill', wrong
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT v.rate_version_id INTO wrong
      FROM (SELECT DISTINCT rate_version_id FROM written WHERE rate_version_id IS NOT NULL) v
     WHERE NOT EXISTS (SELECT 1 FROM utility_billing_rateversion r WHERE r.id = v.rate_version_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: rate version % does not exist', wrong
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT w.revenue_account_id INTO wrong
      FROM (SELECT DISTINCT revenue_account_id FROM written) w
     WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.id = w.revenue_account_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: account % does not exist', wrong
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

-- ... and deleted only with a run not approved (a discarded run, or one computed again).
CREATE FUNCTION utility_billing_run_rows_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_run record;
BEGIN
    SELECT r.id, r.status INTO found_run
      FROM (SELECT DISTINCT run_id FROM written) w
      JOIN utility_billing_billrun r ON r.id = w.run_id
     WHERE r.status IN ('approved', 'posted')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: bill run % is %: its % rows cannot be deleted',
            found_run.id, found_run.status, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER utility_billing_bill_written
    AFTER INSERT ON utility_billing_bill REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_run_rows_written();
CREATE TRIGGER utility_billing_bill_deleted
    AFTER DELETE ON utility_billing_bill REFERENCING OLD TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_run_rows_deleted();
CREATE TRIGGER utility_billing_billline_written
    AFTER INSERT ON utility_billing_billline REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_run_rows_written();
CREATE TRIGGER utility_billing_billline_references
    AFTER INSERT ON utility_billing_billline REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_billline_references();
CREATE TRIGGER utility_billing_billline_deleted
    AFTER DELETE ON utility_billing_billline REFERENCING OLD TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_run_rows_deleted();
CREATE TRIGGER utility_billing_billrunexception_written
    AFTER INSERT ON utility_billing_billrunexception REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_run_rows_written();
CREATE TRIGGER utility_billing_billrunexception_deleted
    AFTER DELETE ON utility_billing_billrunexception REFERENCING OLD TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_run_rows_deleted();


CREATE FUNCTION utility_billing_utilitytransaction_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'utility_billing: utility AR movement % is history and cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RAISE EXCEPTION 'utility_billing: utility AR movement % is history and cannot be changed', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER utility_billing_utilitytransaction_append_only
    BEFORE UPDATE OR DELETE ON utility_billing_utilitytransaction
    FOR EACH ROW EXECUTE FUNCTION utility_billing_utilitytransaction_append_only();

CREATE FUNCTION utility_billing_utilitytransaction_control() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wrong bigint;
BEGIN
    SELECT w.control_account_id INTO wrong
      FROM (SELECT DISTINCT control_account_id FROM written) w
      LEFT JOIN ledger_account a ON a.id = w.control_account_id
     WHERE a.id IS NULL OR a.control_subledger <> 'utility_ar'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: account % is not a utility AR control account', wrong
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT w.journal_entry_id INTO wrong
      FROM (SELECT DISTINCT journal_entry_id FROM written WHERE journal_entry_id IS NOT NULL) w
     WHERE NOT EXISTS (SELECT 1 FROM ledger_journalentry e WHERE e.id = w.journal_entry_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: journal entry % does not exist', wrong
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER utility_billing_utilitytransaction_control
    AFTER INSERT ON utility_billing_utilitytransaction REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION utility_billing_utilitytransaction_control();
