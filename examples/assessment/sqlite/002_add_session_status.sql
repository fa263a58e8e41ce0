-- migrate:up
-- On SQLite the enum is a CHECKed TEXT column.
ALTER TABLE student_responses ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('active', 'completed', 'user_abandoned_not_completed'));
ALTER TABLE student_responses ADD COLUMN last_activity TIMESTAMP;
ALTER TABLE student_responses ADD COLUMN current_page_id INTEGER REFERENCES pages (id);
CREATE INDEX idx_student_responses_status ON student_responses (status);

-- migrate:down
DROP INDEX idx_student_responses_status;
ALTER TABLE student_responses DROP COLUMN last_activity;
-- status (CHECK) and current_page_id (FK) cannot be dropped in place: rebuild.
CREATE TABLE student_responses_old (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  answers TEXT NOT NULL DEFAULT '{}',
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO student_responses_old (id, session_id, answers, created_at)
  SELECT id, session_id, answers, created_at FROM student_responses;
DROP TABLE student_responses;
ALTER TABLE student_responses_old RENAME TO student_responses;
