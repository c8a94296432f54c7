-- The misc AR and fines AR subledgers are append-only: a movement, once written, is
-- never edited or deleted (a correction is a new movement). The one change allowed is
-- the customer it belongs to, which a customer merge moves to the surviving customer.
CREATE OR REPLACE FUNCTION receivables_artransaction_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'AR transaction % is history and cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (to_jsonb(NEW) - 'customer_id') IS DISTINCT FROM (to_jsonb(OLD) - 'customer_id') THEN
        RAISE EXCEPTION 'AR transaction % is history and cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS receivables_artransaction_append_only ON receivables_artransaction;
CREATE TRIGGER receivables_artransaction_append_only
    BEFORE UPDATE OR DELETE ON receivables_artransaction
    FOR EACH ROW EXECUTE FUNCTION receivables_artransaction_append_only();
