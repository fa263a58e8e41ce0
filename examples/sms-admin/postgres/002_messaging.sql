-- migrate:up
CREATE TABLE message_logs (
  id SERIAL PRIMARY KEY,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  message_body TEXT NOT NULL,
  target VARCHAR(20) NOT NULL,
  event_id INTEGER REFERENCES events (id),
  status VARCHAR(20) DEFAULT 'sent',
  total_recipients INTEGER DEFAULT 0,
  success_count INTEGER DEFAULT 0,
  failure_count INTEGER DEFAULT 0,
  details TEXT
);
CREATE TABLE scheduled_messages (
  id SERIAL PRIMARY KEY,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  scheduled_at TIMESTAMP NOT NULL,
  message_body TEXT NOT NULL,
  target VARCHAR(20) NOT NULL,
  event_id INTEGER REFERENCES events (id),
  status VARCHAR(20) DEFAULT 'pending',
  test_mode BOOLEAN DEFAULT FALSE,
  processing_started_at TIMESTAMP,
  sent_at TIMESTAMP,
  error_message TEXT,
  message_log_id INTEGER REFERENCES message_logs (id)
);
CREATE TABLE unsubscribed_contacts (
  id SERIAL PRIMARY KEY,
  name VARCHAR(100),
  phone VARCHAR(20) NOT NULL UNIQUE,
  reason TEXT,
  source VARCHAR(50) NOT NULL DEFAULT 'manual',
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE suppressed_contacts (
  id SERIAL PRIMARY KEY,
  phone VARCHAR(20) NOT NULL UNIQUE,
  reason TEXT,
  category VARCHAR(20) NOT NULL,
  source VARCHAR(50),
  source_type VARCHAR(50),
  source_message_log_id INTEGER REFERENCES message_logs (id),
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- migrate:down
DROP TABLE suppressed_contacts;
DROP TABLE unsubscribed_contacts;
DROP TABLE scheduled_messages;
DROP TABLE message_logs;
