-- Sealed values (bank account numbers, tax IDs): the app's role may insert a row and
-- read its id, never its value (grants in millbrae_finance/db_roles.py). A role that may
-- see one whole reads it through this function, one value at a time: owned by the owner
-- and run with the owner's rights, it is the only door to a value, and a list cannot be
-- read through a join or a SELECT * by mistake.
CREATE OR REPLACE FUNCTION payables_unseal(sealed_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT value FROM public.payables_sealedvalue WHERE id = sealed_id
$$;

-- Sealed rows never change and are never deleted: a new value is a new row.
CREATE OR REPLACE FUNCTION payables_sealedvalue_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payables_sealedvalue rows are never changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

DROP TRIGGER IF EXISTS payables_sealedvalue_immutable ON payables_sealedvalue;
CREATE TRIGGER payables_sealedvalue_immutable
    BEFORE UPDATE OR DELETE ON payables_sealedvalue
    FOR EACH ROW EXECUTE FUNCTION payables_sealedvalue_immutable();
