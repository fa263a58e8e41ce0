-- Session and login-throttle tables for dbdoctor/sessions. Times are epoch milliseconds.
-- migrate:up
CREATE TABLE dbdoctor_sessions (
  key TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'abandoned')),
  created_at INTEGER NOT NULL,
  last_activity INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ttl_ms INTEGER NOT NULL
);
CREATE INDEX dbdoctor_sessions_expires_at ON dbdoctor_sessions (expires_at);
CREATE INDEX dbdoctor_sessions_status ON dbdoctor_sessions (status, last_activity);
CREATE TABLE dbdoctor_login_attempts (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  locked_until INTEGER
);

-- migrate:down
DROP TABLE dbdoctor_login_attempts;
DROP TABLE dbdoctor_sessions;
