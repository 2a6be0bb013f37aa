-- Report building retries with backoff: a report that fails is tried again at next_attempt_at (1, 2, 4, 8 minutes
-- later), and after its fifth failure it is `failed` with last_error; in the meantime the reports behind it are
-- built (it used to be claimed first again and again, blocking the queue).
ALTER TABLE reports ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
DROP INDEX reports_pending_idx;
CREATE INDEX reports_pending_idx ON reports (next_attempt_at) WHERE status = 'pending';
