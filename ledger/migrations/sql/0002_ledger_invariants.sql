-- The ledger's invariants, enforced by PostgreSQL so that no bug and no raw SQL breaks them.
-- Each trigger is named ledger_<table>_<rule>.

-- An entry remembers the (top-level) transaction that created it: lines may be added to an
-- entry only in that transaction, so a posted entry can never gain a line later.
ALTER TABLE ledger_journalentry
    ADD COLUMN created_xact xid8 NOT NULL DEFAULT pg_current_xact_id();

-- Entries and their lines are posted when written: never updated, never deleted.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % rows are posted and cannot be changed or deleted; post a reversing entry', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER ledger_journalentry_immutable
    BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalline_immutable
    BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- An entry goes only into an open period, and its date must fall in the period.
CREATE FUNCTION ledger_check_entry_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p ledger_fiscalperiod%ROWTYPE;
BEGIN
    -- FOR SHARE: a supervisor closing this period waits for this posting to commit, and a
    -- posting waits for a close in progress, so nothing slips into a period as it closes.
    SELECT * INTO p FROM ledger_fiscalperiod WHERE id = NEW.period_id FOR SHARE;
    IF p.status <> 'open' THEN
        RAISE EXCEPTION 'ledger: period % is closed', NEW.period_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.entry_date < p.start_date OR NEW.entry_date > p.end_date THEN
        RAISE EXCEPTION 'ledger: entry date % is outside period % (% to %)',
            NEW.entry_date, NEW.period_id, p.start_date, p.end_date
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_journalentry_open_period
    BEFORE INSERT ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_period();

-- A line: to an active posting account, on an entry created in this transaction and not
-- yet checked for balance, in an open period; its fund is taken from the account.
CREATE FUNCTION ledger_check_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a ledger_account%ROWTYPE;
    e ledger_journalentry%ROWTYPE;
    period_status text;
BEGIN
    SELECT * INTO a FROM ledger_account WHERE id = NEW.account_id;
    IF NOT FOUND OR NOT a.is_active OR NOT a.allows_posting THEN
        RAISE EXCEPTION 'ledger: account % is inactive or does not allow posting', COALESCE(a.number, NEW.account_id::text)
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.fund_id := a.fund_id;

    SELECT * INTO e FROM ledger_journalentry WHERE id = NEW.entry_id;
    IF e.created_xact <> pg_current_xact_id() THEN
        RAISE EXCEPTION 'ledger: entry % is posted; lines cannot be added to it', NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.entry_id <= COALESCE(NULLIF(current_setting('ledger.balanced_through', true), ''), '0')::bigint THEN
        RAISE EXCEPTION 'ledger: entry % was already checked for balance; lines cannot be added to it', NEW.entry_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT status INTO period_status FROM ledger_fiscalperiod WHERE id = e.period_id FOR SHARE;
    IF period_status <> 'open' THEN
        RAISE EXCEPTION 'ledger: period % is closed', e.period_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_journalline_valid
    BEFORE INSERT ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_check_line();

-- At commit, each new entry must have at least two lines and sum to zero, in total and
-- within every fund. The check runs once per entry (a constraint trigger on the entry,
-- not on each line, keeps a bill-run entry of many lines linear). Entries are checked in
-- id order; once one is checked, ledger_check_line refuses more lines for it.
CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line_count bigint;
    bad_fund bigint;
    bad_total numeric;
BEGIN
    PERFORM set_config('ledger.balanced_through', GREATEST(NEW.id,
        COALESCE(NULLIF(current_setting('ledger.balanced_through', true), ''), '0')::bigint)::text, true);
    SELECT count(*) INTO line_count FROM ledger_journalline WHERE entry_id = NEW.id;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'ledger: entry % has % line(s); an entry needs at least two', NEW.id, line_count
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT fund_id, sum(amount) INTO bad_fund, bad_total
        FROM ledger_journalline WHERE entry_id = NEW.id
        GROUP BY fund_id HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: entry % does not balance in fund %: off by %', NEW.id, bad_fund, bad_total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced
    AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

-- Balances are derived from lines only: never below zero, never deleted.
CREATE TRIGGER ledger_accountbalance_no_delete
    BEFORE DELETE ON ledger_accountbalance
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
