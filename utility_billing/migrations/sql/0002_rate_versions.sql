-- Rates as data, guarded by the database whatever wrote the rows (core PostgreSQL only,
-- no btree_gist, so triggers rather than an exclusion constraint).
--
-- 1. The approved versions of one rate schedule never overlap in dates: on any day at
--    most one version bills, or a bill could charge either. The advisory lock on the
--    schedule serialises two approvals, so each sees the other's committed row.
-- 2. An approved version's use tiers run from zero, each from where the last ended, the
--    last open-ended: no gap (units billed at no rate) and no overlap (units billed
--    twice). A version bills by tiers or at a uniform rate, not both.
-- 3. An approved or retired version is what was billed: its charge lines never change,
--    it is never deleted, and of its own columns only the end date may be set (when a
--    later version supersedes an open-ended one) and its status go approved -> retired.

CREATE FUNCTION utility_billing_rateversion_checks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cur record;
    other record;
    tier record;
    expected numeric := 0;
    open_seen boolean := false;
BEGIN
    -- Deferred to commit, NEW is the row as it was when the event was queued; a later
    -- change in the same transaction (a superseded version given its end date) queued its
    -- own event. Check the row as it is now.
    SELECT * INTO cur FROM utility_billing_rateversion WHERE id = NEW.id;
    IF NOT FOUND OR cur.status <> 'approved' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('utility_billing_rateversion:' || cur.schedule_id));
    SELECT id, effective_from, effective_to INTO other
      FROM utility_billing_rateversion
     WHERE schedule_id = cur.schedule_id
       AND status = 'approved'
       AND id <> cur.id
       AND daterange(effective_from, effective_to, '[]')
           && daterange(cur.effective_from, cur.effective_to, '[]')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'utility_billing: rate version % overlaps approved version % (% to %)',
            cur.id, other.id, other.effective_from, coalesce(other.effective_to::text, 'open-ended')
            USING ERRCODE = 'exclusion_violation';
    END IF;

    IF EXISTS (SELECT 1 FROM utility_billing_ratecharge
                WHERE version_id = cur.id AND kind = 'volumetric_tier')
       AND EXISTS (SELECT 1 FROM utility_billing_ratecharge
                    WHERE version_id = cur.id AND kind = 'volumetric_uniform') THEN
        RAISE EXCEPTION 'utility_billing: rate version % has both tiers and a uniform rate', cur.id
            USING ERRCODE = 'check_violation';
    END IF;
    FOR tier IN
        SELECT tier_from, tier_to FROM utility_billing_ratecharge
         WHERE version_id = cur.id AND kind = 'volumetric_tier'
         ORDER BY tier_from
    LOOP
        IF open_seen THEN
            RAISE EXCEPTION 'utility_billing: rate version % has a tier after the open-ended one', cur.id
                USING ERRCODE = 'check_violation';
        END IF;
        IF tier.tier_from <> expected THEN
            RAISE EXCEPTION 'utility_billing: rate version % tiers have a % at % HCF', cur.id,
                CASE WHEN tier.tier_from > expected THEN 'gap' ELSE 'overlap' END, expected
                USING ERRCODE = 'check_violation';
        END IF;
        IF tier.tier_to IS NULL THEN
            open_seen := true;
        ELSE
            expected := tier.tier_to;
        END IF;
    END LOOP;
    IF expected > 0 AND NOT open_seen THEN
        RAISE EXCEPTION 'utility_billing: rate version % last tier is not open-ended', cur.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

-- Deferred: a service inserting a version and then its lines is checked at commit.
CREATE CONSTRAINT TRIGGER utility_billing_rateversion_checks
    AFTER INSERT OR UPDATE OF schedule_id, status, effective_from, effective_to
    ON utility_billing_rateversion
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION utility_billing_rateversion_checks();

CREATE FUNCTION utility_billing_rateversion_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'utility_billing: rate version % is % and cannot be deleted', OLD.id, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (to_jsonb(NEW) - 'effective_to' - 'status' - 'retired_by_id' - 'retired_at' - 'notes')
       IS DISTINCT FROM
       (to_jsonb(OLD) - 'effective_to' - 'status' - 'retired_by_id' - 'retired_at' - 'notes')
       OR (NEW.status <> OLD.status AND NOT (OLD.status = 'approved' AND NEW.status = 'retired'))
       OR (NEW.effective_to IS DISTINCT FROM OLD.effective_to
           AND (OLD.effective_to IS NOT NULL OR OLD.status <> 'approved'))
    THEN
        RAISE EXCEPTION 'utility_billing: rate version % is % and cannot be changed', OLD.id, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER utility_billing_rateversion_fixed
    BEFORE UPDATE OR DELETE ON utility_billing_rateversion
    FOR EACH ROW EXECUTE FUNCTION utility_billing_rateversion_fixed();

CREATE FUNCTION utility_billing_ratecharge_draft_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO version_status FROM utility_billing_rateversion WHERE id = OLD.version_id;
        IF version_status IS DISTINCT FROM 'draft' AND version_status IS NOT NULL THEN
            RAISE EXCEPTION 'utility_billing: the charges of % rate version % cannot change',
                version_status, OLD.version_id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO version_status FROM utility_billing_rateversion WHERE id = NEW.version_id;
        IF version_status IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'utility_billing: the charges of % rate version % cannot change',
                version_status, NEW.version_id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER utility_billing_ratecharge_draft_only
    BEFORE INSERT OR UPDATE OR DELETE ON utility_billing_ratecharge
    FOR EACH ROW EXECUTE FUNCTION utility_billing_ratecharge_draft_only();
