-- migrate:up
CREATE TABLE survey_flows (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(120) NOT NULL UNIQUE,
  trigger_keyword VARCHAR(40) NOT NULL UNIQUE,
  intro_message TEXT,
  questions_json TEXT NOT NULL,
  completion_message TEXT,
  linked_event_id INTEGER REFERENCES events (id),
  is_active BOOLEAN NOT NULL DEFAULT 1,
  start_count INTEGER NOT NULL DEFAULT 0,
  completion_count INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_survey_flows_linked_event_id ON survey_flows (linked_event_id);

-- migrate:down
DROP TABLE survey_flows;
