-- migrate:up
CREATE TYPE sessionstatus AS ENUM ('active', 'completed', 'user_abandoned_not_completed');
ALTER TABLE student_responses ADD COLUMN status sessionstatus NOT NULL DEFAULT 'active';
ALTER TABLE student_responses ADD COLUMN last_activity TIMESTAMP DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE student_responses ADD COLUMN current_page_id INTEGER REFERENCES pages (id);
CREATE INDEX idx_student_responses_status ON student_responses (status);

-- migrate:down
DROP INDEX idx_student_responses_status;
ALTER TABLE student_responses DROP COLUMN current_page_id;
ALTER TABLE student_responses DROP COLUMN last_activity;
ALTER TABLE student_responses DROP COLUMN status;
DROP TYPE sessionstatus;
