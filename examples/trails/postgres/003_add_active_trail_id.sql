-- migrate:up
ALTER TABLE accounts ADD COLUMN active_trail_id INTEGER REFERENCES custom_routes (id);
CREATE INDEX ix_accounts_active_trail_id ON accounts (active_trail_id);

-- migrate:down
DROP INDEX ix_accounts_active_trail_id;
ALTER TABLE accounts DROP COLUMN active_trail_id;
