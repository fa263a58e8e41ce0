-- migrate:up
# MySQL commits each of these statements on its own: if the second one fails, the column stays
# and `dbdoctor status` shows 003 as partially applied (1 of 2 statements).
ALTER TABLE accounts ADD COLUMN active_trail_id INT UNSIGNED NULL,
  ADD CONSTRAINT fk_accounts_active_trail FOREIGN KEY (active_trail_id) REFERENCES custom_routes (id);
CREATE INDEX ix_accounts_active_trail_id ON accounts (active_trail_id);

-- migrate:down
ALTER TABLE accounts DROP FOREIGN KEY fk_accounts_active_trail;
DROP INDEX ix_accounts_active_trail_id ON accounts;
ALTER TABLE accounts DROP COLUMN active_trail_id;
