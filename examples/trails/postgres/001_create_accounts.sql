-- migrate:up
CREATE TABLE accounts (
  id SERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  phone TEXT,
  stripe_customer_id TEXT,
  unit_system TEXT NOT NULL DEFAULT 'metric',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_accounts_phone ON accounts (phone);

-- migrate:down
DROP TABLE accounts;
