-- Invariants that rest on nothing the session can change. The app connects as a role that
-- owns nothing (millbrae_finance/db_roles.py); these functions are SECURITY DEFINER,
-- owned by the migrating owner, so they may write what the app's role may only read.

-- 1. "Already checked for balance" lives on the entry row, which only the owner may
-- update, instead of a session setting the session could reset (set_config).
ALTER TABLE ledger_journalentry ADD COLUMN balance_checked boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION ledger_check_entry_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p ledger_fiscalperiod%ROWTYPE;
BEGIN
    -- Never trusted from the caller: an entry starts unchecked, in this transaction.
    NEW.balance_checked := false;
    NEW.created_xact := pg_current_xact_id();
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

CREATE OR REPLACE FUNCTION ledger_check_line() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF e.balance_checked THEN
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

CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    line_count bigint;
    bad_fund bigint;
    bad_total numeric;
BEGIN
    -- Marked first: from here on ledger_check_line refuses more lines for this entry,
    -- whatever the session does to its settings or its constraint modes.
    UPDATE ledger_journalentry SET balance_checked = true WHERE id = NEW.id;
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

-- Entries are immutable but for that one mark, false to true, which only the owner's
-- balance check makes (the app's role has no UPDATE on the table at all).
CREATE FUNCTION ledger_journalentry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NOT OLD.balance_checked AND NEW.balance_checked
       AND (to_jsonb(NEW) - 'balance_checked') = (to_jsonb(OLD) - 'balance_checked') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledger: % rows are posted and cannot be changed or deleted; post a reversing entry', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

DROP TRIGGER ledger_journalentry_immutable ON ledger_journalentry;
CREATE TRIGGER ledger_journalentry_immutable
    BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_journalentry_refuse_change();

-- 2. Kept balances change only as a consequence of posting lines: one upsert per INSERT
-- statement of lines (a bill run's COPY too), in account order so that two postings
-- touching the same accounts lock their balance rows in the same order.
CREATE FUNCTION ledger_add_to_balances() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO ledger_accountbalance (account_id, period_id, debits, credits)
    SELECT l.account_id, e.period_id,
           COALESCE(SUM(l.amount) FILTER (WHERE l.amount > 0), 0),
           COALESCE(-SUM(l.amount) FILTER (WHERE l.amount < 0), 0)
      FROM new_lines l JOIN ledger_journalentry e ON e.id = l.entry_id
     GROUP BY l.account_id, e.period_id
     ORDER BY l.account_id, e.period_id
    ON CONFLICT (account_id, period_id) DO UPDATE
       SET debits = ledger_accountbalance.debits + EXCLUDED.debits,
           credits = ledger_accountbalance.credits + EXCLUDED.credits;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_journalline_balances
    AFTER INSERT ON ledger_journalline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_add_to_balances();

-- Anything else that writes a balance (not from inside a trigger) is refused, the
-- owner included: only the posting of lines moves a balance.
CREATE FUNCTION ledger_accountbalance_only_from_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: account balances change only by posting lines'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER ledger_accountbalance_only_from_lines
    BEFORE INSERT OR UPDATE ON ledger_accountbalance
    FOR EACH ROW WHEN (pg_trigger_depth() < 1)
    EXECUTE FUNCTION ledger_accountbalance_only_from_lines();

-- 3. A period's status changes only with who (a Finance Supervisor) and why, both set in
-- the same statement, and each change is logged where the app's role may only read.
CREATE FUNCTION ledger_fiscalperiod_status_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        IF (NEW.status_changed_at, NEW.status_changed_by_id, NEW.status_reason)
           IS DISTINCT FROM (OLD.status_changed_at, OLD.status_changed_by_id, OLD.status_reason) THEN
            RAISE EXCEPTION 'ledger: who changed period %''s status, when and why cannot be rewritten', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status_changed_by_id IS NULL
       OR btrim(COALESCE(NEW.status_reason, '')) = ''
       OR NEW.status_changed_at IS NOT DISTINCT FROM OLD.status_changed_at THEN
        RAISE EXCEPTION 'ledger: period % changes status only with who, when and why recorded', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM auth_user u
          JOIN auth_user_groups ug ON ug.user_id = u.id
          JOIN auth_group g ON g.id = ug.group_id
         WHERE u.id = NEW.status_changed_by_id AND u.is_active AND g.name = 'Finance Supervisor'
    ) THEN
        RAISE EXCEPTION 'ledger: only an active Finance Supervisor closes or reopens a period'
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.status_changed_at := now();
    INSERT INTO ledger_periodstatuschange (period_id, from_status, to_status, changed_by_id, reason, changed_at)
        VALUES (OLD.id, OLD.status, NEW.status, NEW.status_changed_by_id, btrim(NEW.status_reason), now());
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_fiscalperiod_status_change
    BEFORE UPDATE ON ledger_fiscalperiod
    FOR EACH ROW EXECUTE FUNCTION ledger_fiscalperiod_status_change();

-- The log is append-only.
CREATE TRIGGER ledger_periodstatuschange_immutable
    BEFORE UPDATE OR DELETE ON ledger_periodstatuschange
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
