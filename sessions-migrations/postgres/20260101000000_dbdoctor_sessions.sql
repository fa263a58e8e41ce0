-- Session and login-throttle tables for dbdoctor/sessions. Times are epoch milliseconds.
-- migrate:up
CREATE TABLE dbdoctor_sessions (
  key TEXT PRIMARY KEY,
  data JSONB NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'abandoned')),
  created_at BIGINT NOT NULL,
  last_activity BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ttl_ms BIGINT NOT NULL
);
CREATE INDEX dbdoctor_sessions_expires_at ON dbdoctor_sessions (expires_at);
CREATE INDEX dbdoctor_sessions_status ON dbdoctor_sessions (status, last_activity);
CREATE TABLE dbdoctor_login_attempts (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start BIGINT NOT NULL,
  locked_until BIGINT
);

-- migrate:down
DROP TABLE dbdoctor_login_attempts;
DROP TABLE dbdoctor_sessions;
