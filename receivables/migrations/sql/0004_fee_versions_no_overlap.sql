-- The approved versions of a fee code never overlap in dates: on any day at most one rate
-- is in effect, or the calculator and invoices could charge either. Core PostgreSQL only
-- (no btree_gist exclusion constraint), so a trigger looks for an overlapping version.
-- The advisory lock on the code serialises two approvals of the same code, so each sees
-- the other's committed row (READ COMMITTED takes a fresh snapshot per statement).
CREATE FUNCTION receivables_fee_versions_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    other record;
BEGIN
    IF NEW.status <> 'approved' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('receivables_fee:' || NEW.code));
    SELECT id, effective_from, effective_to INTO other
      FROM receivables_fee
     WHERE code = NEW.code
       AND status = 'approved'
       AND id <> NEW.id
       AND daterange(effective_from, effective_to, '[]')
           && daterange(NEW.effective_from, NEW.effective_to, '[]')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'receivables: fee % version % overlaps approved version % (% to %)',
            NEW.code, NEW.id, other.id, other.effective_from, coalesce(other.effective_to::text, 'open-ended')
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER receivables_fee_versions_no_overlap
    AFTER INSERT OR UPDATE OF code, status, effective_from, effective_to ON receivables_fee
    FOR EACH ROW EXECUTE FUNCTION receivables_fee_versions_no_overlap();
