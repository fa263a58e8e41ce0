-- Session and login-throttle tables for dbdoctor/sessions (MySQL 8 / MariaDB 10.5 or later).
-- Times are epoch milliseconds. Keys are VARBINARY: compared byte for byte (no trailing-space
-- padding, no case folding), ordered by code point, up to 512 UTF-16 units (1,536 UTF-8 bytes).
-- The data is the exact JSON text the store wrote (utf8mb4, binary collation).
-- migrate:up
CREATE TABLE dbdoctor_sessions (
  `key` VARBINARY(1536) NOT NULL PRIMARY KEY,
  data LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'abandoned')),
  created_at BIGINT NOT NULL,
  last_activity BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ttl_ms BIGINT NOT NULL,
  INDEX dbdoctor_sessions_expires_at (expires_at),
  INDEX dbdoctor_sessions_status (status, last_activity)
) ENGINE = InnoDB;
CREATE TABLE dbdoctor_login_attempts (
  `key` VARBINARY(1536) NOT NULL PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start BIGINT NOT NULL,
  locked_until BIGINT
) ENGINE = InnoDB;

-- migrate:down
DROP TABLE dbdoctor_login_attempts;
DROP TABLE dbdoctor_sessions;
