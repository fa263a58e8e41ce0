-- migrate:up
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  phone TEXT,
  stripe_customer_id TEXT,
  unit_system TEXT NOT NULL DEFAULT 'metric',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_accounts_phone ON accounts (phone);

-- migrate:down
DROP TABLE accounts;
