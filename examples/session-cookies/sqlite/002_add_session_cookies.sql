-- migrate:up
CREATE TABLE session_cookies (
  id VARCHAR(36) PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  platform VARCHAR(50) NOT NULL,
  cookies TEXT NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_session_user_platform ON session_cookies (user_id, platform);
CREATE INDEX idx_session_expires ON session_cookies (expires_at);

-- migrate:down
DROP TABLE session_cookies;
