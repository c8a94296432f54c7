-- The words the counter finds a utility account by, kept on the account so one GIN index
-- answers a search (core PostgreSQL only: no pg_trgm). A search word matches the start of
-- any of these words: the account number, the customer's name, the service address
-- (both lines) and the parcel number's parts ("021-200-001": 021, 200, 001 and
-- 021200001). A generated column cannot read the customer or the location, so triggers
-- keep the words: the account's own on insert and on any update naming the columns they
-- come from (Django's save() names every column), the customer's when its name changes,
-- the location's when its address or parcel number does. A bulk load with triggers off
-- fills them with the function (utility_billing/benchmarks.py does).

CREATE FUNCTION utility_billing_account_search_vector(
    account_number text, customer bigint, location bigint
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT to_tsvector(
        'simple',
        coalesce(account_number, '')
        || ' ' || coalesce((SELECT name FROM receivables_customer WHERE id = customer), '')
        || ' ' || coalesce((
            SELECT address_line1 || ' ' || address_line2
                   || ' ' || translate(parcel_number, '-', ' ')
                   || ' ' || regexp_replace(parcel_number, '[^0-9A-Za-z]', '', 'g')
              FROM utility_billing_servicelocation WHERE id = location), ''))
$$;

CREATE FUNCTION utility_billing_account_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := utility_billing_account_search_vector(
        NEW.number, NEW.customer_id, NEW.location_id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER utility_billing_account_search_words
    BEFORE INSERT OR UPDATE OF number, customer_id, location_id, search_vector
    ON utility_billing_utilityaccount
    FOR EACH ROW EXECUTE FUNCTION utility_billing_account_search_words();

CREATE FUNCTION utility_billing_customer_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE utility_billing_utilityaccount SET search_vector = NULL WHERE customer_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER utility_billing_customer_search_words
    AFTER UPDATE OF name ON receivables_customer
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION utility_billing_customer_search_words();

CREATE FUNCTION utility_billing_location_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE utility_billing_utilityaccount SET search_vector = NULL WHERE location_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER utility_billing_location_search_words
    AFTER UPDATE OF address_line1, address_line2, parcel_number
    ON utility_billing_servicelocation
    FOR EACH ROW WHEN (
        (OLD.address_line1, OLD.address_line2, OLD.parcel_number)
        IS DISTINCT FROM (NEW.address_line1, NEW.address_line2, NEW.parcel_number))
    EXECUTE FUNCTION utility_billing_location_search_words();

-- The accounts already there.
UPDATE utility_billing_utilityaccount SET search_vector = NULL;
