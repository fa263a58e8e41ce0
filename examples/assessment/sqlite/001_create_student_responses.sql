-- migrate:up
CREATE TABLE pages (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE student_responses (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  answers TEXT NOT NULL DEFAULT '{}',
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- migrate:down
DROP TABLE student_responses;
DROP TABLE pages;
