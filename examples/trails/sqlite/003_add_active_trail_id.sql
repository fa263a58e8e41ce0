-- migrate:up
ALTER TABLE accounts ADD COLUMN active_trail_id INTEGER REFERENCES custom_routes (id);
CREATE INDEX ix_accounts_active_trail_id ON accounts (active_trail_id);

-- migrate:down transaction:false
-- SQLite cannot drop a column that is part of a foreign key, so this is the table rebuild
-- from SQLite's ALTER TABLE documentation. Foreign keys must be switched off OUTSIDE the
-- transaction, or DROP TABLE accounts would cascade-delete every custom_routes row.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP INDEX ix_accounts_active_trail_id;
CREATE TABLE accounts_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  phone TEXT,
  stripe_customer_id TEXT,
  unit_system TEXT NOT NULL DEFAULT 'metric',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO accounts_new (id, email, password_hash, phone, stripe_customer_id, unit_system, created_at, updated_at)
  SELECT id, email, password_hash, phone, stripe_customer_id, unit_system, created_at, updated_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
CREATE INDEX ix_accounts_phone ON accounts (phone);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
