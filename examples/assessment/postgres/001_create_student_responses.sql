-- migrate:up
CREATE TABLE pages (id SERIAL PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE student_responses (
  id SERIAL PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  answers JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- migrate:down
DROP TABLE student_responses;
DROP TABLE pages;
