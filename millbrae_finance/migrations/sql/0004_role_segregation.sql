-- Segregation of duties, held by the database so that no screen, shell or raw SQL can
-- break it (millbrae_finance.roles.NOT_WITH_ADMINISTRATOR says the same in Python):
-- the Administrator, who grants roles, never also holds a role that takes, prepares,
-- approves or audits money.
CREATE FUNCTION millbrae_user_groups_segregated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    conflicting text;
BEGIN
    -- One membership change per user at a time: two transactions adding Administrator
    -- and Finance Supervisor at once would otherwise each see only their own row. The
    -- lock is held to commit, and the queries below see what committed before it.
    PERFORM pg_advisory_xact_lock(hashtext('auth_user_groups'), NEW.user_id);
    IF EXISTS (
        SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
         WHERE ug.user_id = NEW.user_id AND g.name = 'Administrator'
    ) THEN
        SELECT string_agg(g.name, ', ' ORDER BY g.name) INTO conflicting
          FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
         WHERE ug.user_id = NEW.user_id
           AND g.name IN ('Counter Clerk', 'Accounting Technician',
                          'Senior Accounting Technician', 'Finance Supervisor', 'Auditor');
        IF conflicting IS NOT NULL THEN
            RAISE EXCEPTION 'millbrae: user % cannot hold the Administrator role together with %', NEW.user_id, conflicting
                USING ERRCODE = 'integrity_constraint_violation',
                      HINT = 'Segregation of duties: whoever grants roles does not handle or audit money.';
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER millbrae_user_groups_segregated
    AFTER INSERT OR UPDATE ON auth_user_groups
    FOR EACH ROW EXECUTE FUNCTION millbrae_user_groups_segregated();

-- The six roles are read by name everywhere: renaming one (or renaming another group to
-- a freed name) or deleting it would move every member into or out of a role at once,
-- unseen by the role rules above. Roles are created by migration 0002 and stay.
CREATE FUNCTION millbrae_role_groups_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name IN ('Counter Clerk', 'Accounting Technician', 'Senior Accounting Technician',
                    'Finance Supervisor', 'Auditor', 'Administrator')
       AND (TG_OP = 'DELETE' OR NEW.name IS DISTINCT FROM OLD.name) THEN
        RAISE EXCEPTION 'millbrae: the role % cannot be renamed or deleted', OLD.name
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER millbrae_role_groups_fixed
    BEFORE UPDATE OR DELETE ON auth_group
    FOR EACH ROW EXECUTE FUNCTION millbrae_role_groups_fixed();
