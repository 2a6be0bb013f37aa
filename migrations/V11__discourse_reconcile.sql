-- Reconciliation for Discourse (issue 15, part 4): a daily pass over the members in Discourse's admin API feeds every
-- job title that differs from the last one known as an event, so a lost webhook is caught within a day.

-- The scheduled job is recorded in the job ledger like the others.
ALTER TABLE job_runs DROP CONSTRAINT job_runs_job_check;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_job_check
    CHECK (job IN ('weekly-digest', 'month-end-report', 'purge-events', 'discourse-reconcile'));

-- One row per pass: its cursor (the next page of GET /admin/users/list/active.json to read) and counts, committed
-- with each page, so a crash or restart continues where it stopped. At most one pass is unfinished at a time, and
-- it is worked on by one process at a time: the one holding its lease (locked_by, locked_until, renewed as it goes).
-- A pass that read its page limit for the day waits (waiting) until the next scheduled run. No member data: counts
-- only.
CREATE TABLE reconcile_passes (
    id            bigserial   PRIMARY KEY,
    source        text        NOT NULL DEFAULT 'discourse' CHECK (source IN ('discourse')),
    trigger       text        NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'manual')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    next_page     integer     NOT NULL DEFAULT 1 CHECK (next_page >= 1),
    members       integer     NOT NULL DEFAULT 0,
    unchanged     integer     NOT NULL DEFAULT 0,
    fed           integer     NOT NULL DEFAULT 0,
    skipped       integer     NOT NULL DEFAULT 0,
    waiting       boolean     NOT NULL DEFAULT false,
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    finished_at   timestamptz
);
CREATE UNIQUE INDEX reconcile_passes_one_open ON reconcile_passes (source) WHERE finished_at IS NULL;

-- The last job title reconciliation saw per member, as a SHA-256 (NULL: no title), and when. With the member's latest
-- raw event and their user_state row, it tells what the title was last known to be; members who are not senior are
-- in no other table once their events are purged. Erased with the member (pathfinder forget, user_destroyed).
CREATE TABLE reconcile_titles (
    source        text        NOT NULL CHECK (source IN ('community', 'discourse')),
    user_id       text        NOT NULL,
    title_sha256  bytea,
    recorded_at   timestamptz NOT NULL,
    seen_pass     bigint      NOT NULL,
    PRIMARY KEY (source, user_id)
);
-- Members a finished pass no longer saw (they left Discourse) are dropped at its end.
CREATE INDEX reconcile_titles_seen_idx ON reconcile_titles (source, seen_pass);
