-- An account with journal lines keeps its identity (number and segments), its type and
-- normal balance, and whether it controls a subledger: changing any of them would rewrite
-- the meaning of what is already posted. Name and flags (active, allows posting) may change.
CREATE FUNCTION ledger_account_fixed_once_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.number, NEW.fund_id, NEW.department_id, NEW.object_code_id, NEW.account_type,
        NEW.normal_balance, NEW.control_subledger)
       IS DISTINCT FROM
       (OLD.number, OLD.fund_id, OLD.department_id, OLD.object_code_id, OLD.account_type,
        OLD.normal_balance, OLD.control_subledger)
       AND EXISTS (SELECT 1 FROM ledger_journalline WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'ledger: account % has journal lines; its number, type and control flag cannot change', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_account_fixed_once_posted
    BEFORE UPDATE ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_account_fixed_once_posted();
