-- migrate:up
-- Failed logins tracked in the database so every worker shares the counts.
CREATE TABLE login_attempts (
  id SERIAL PRIMARY KEY,
  client_ip VARCHAR(45) NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 1,
  first_attempt_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  locked_until TIMESTAMP
);
CREATE INDEX ix_login_attempts_client_ip ON login_attempts (client_ip);

-- migrate:down
DROP TABLE login_attempts;
