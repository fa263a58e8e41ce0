-- The login throttle counts failures in a sliding window: the times of the latest failures
-- (at most maxFailures of them) as a JSON array of epoch milliseconds. failures and
-- window_start stay filled (count and oldest time) for readers of the first version.
-- migrate:up
ALTER TABLE dbdoctor_login_attempts ADD COLUMN failure_times TEXT NOT NULL DEFAULT '[]';

-- migrate:down
ALTER TABLE dbdoctor_login_attempts DROP COLUMN failure_times;
