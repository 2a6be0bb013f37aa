-- CaptPathfinder initial schema.
-- The services coordinate only through these tables: ingest-api writes events_raw; classifier turns events into
-- user_state and detections; digest-sender builds and delivers digests; report-builder writes reports. Scheduled
-- jobs record each period they ran in job_runs. Every timestamp is timestamptz.

-- Which profile fields carry a job title. Operators edit this table (INSERT/UPDATE/DELETE) to register the names
-- their community uses; ingest-api answers {"status":"ignored"} for any other field.
CREATE TABLE field_registry (
    id          serial PRIMARY KEY,
    field_name  text        NOT NULL CHECK (length(btrim(field_name)) > 0),
    purpose     text        NOT NULL DEFAULT 'job_title' CHECK (purpose IN ('job_title')),
    enabled     boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX field_registry_name_key ON field_registry (lower(field_name));
INSERT INTO field_registry (field_name) VALUES ('Job Title'), ('Title'), ('Position');

-- Every accepted webhook, as the queue the classifier drains. Only the fields we need are kept (no raw body),
-- so the personal data stored is the member id, username and titles.
CREATE TABLE events_raw (
    id             bigserial   PRIMARY KEY,
    source         text        NOT NULL CHECK (source IN ('community', 'discourse')),
    dedupe_key     text        NOT NULL,
    user_id        text        NOT NULL,
    username       text,
    profile_field  text        NOT NULL,
    value          text,
    old_value      text,
    received_at    timestamptz NOT NULL DEFAULT now(),
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'failed')),
    attempts       integer     NOT NULL DEFAULT 0,
    locked_by      text,
    locked_until   timestamptz,
    processed_at   timestamptz,
    last_error     text
);
-- The classifier claims the oldest pending events.
CREATE INDEX events_raw_pending_idx ON events_raw (id) WHERE status = 'pending';
-- Per-member order, and the dedupe rule "same body as the member's latest event".
CREATE INDEX events_raw_user_idx ON events_raw (user_id, id);
-- The daily purge of events older than the retention period.
CREATE INDEX events_raw_received_at_idx ON events_raw (received_at);

-- Wake consumers (LISTEN pathfinder_events) once per inserting statement, delivered at commit.
CREATE FUNCTION notify_events_raw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pathfinder_events', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_raw_notify AFTER INSERT ON events_raw
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_raw();

-- Idempotency: one row per delivery key. The key is the sender's delivery id (webhook-id, X-GitHub-Delivery)
-- when it sends one, else a SHA-256 of the raw body, which names a delivery only within the dedupe window and
-- only while it is still the member's latest event (so a real change back, A -> B -> A, is stored).
CREATE TABLE webhook_deliveries (
    dedupe_key    text        PRIMARY KEY,
    event_id      bigint      NOT NULL,
    source        text        NOT NULL,
    user_id       text        NOT NULL,
    by_body_hash  boolean     NOT NULL,
    received_at   timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_received_at_idx ON webhook_deliveries (received_at);

-- Current senior executives only: a member who stops being senior is deleted.
CREATE TABLE user_state (
    user_id        text        PRIMARY KEY,
    username       text,
    title          text        NOT NULL,
    seniority      text        NOT NULL CHECK (seniority IN ('c_suite', 'vp')),
    rule           text        NOT NULL,
    rules_version  text        NOT NULL,
    last_event_id  bigint      NOT NULL,
    senior_since   timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    email          text,
    company        text,
    profile_url    text
);
CREATE INDEX user_state_seniority_idx ON user_state (seniority);

-- A member who just became senior (kind 'new') or moved vp -> c_suite ('promotion'). At most one per event, so a
-- replayed event can never write a second detection.
CREATE TABLE detections (
    id                  bigserial   PRIMARY KEY,
    event_id            bigint      NOT NULL UNIQUE,
    user_id             text        NOT NULL,
    username            text,
    title               text        NOT NULL,
    seniority           text        NOT NULL CHECK (seniority IN ('c_suite', 'vp')),
    previous_seniority  text        CHECK (previous_seniority IN ('c_suite', 'vp')),
    kind                text        NOT NULL CHECK (kind IN ('new', 'promotion')),
    rule                text        NOT NULL,
    rules_version       text        NOT NULL,
    email               text,
    company             text,
    profile_url         text,
    detected_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'new') = (previous_seniority IS NULL))
);
CREATE INDEX detections_detected_at_idx ON detections (detected_at);
CREATE INDEX detections_user_idx ON detections (user_id);

-- Digests: at most 10 detections each, one set per channel. Also the digest-sender's queue.
CREATE TABLE digests (
    id               bigserial   PRIMARY KEY,
    channel          text        NOT NULL CHECK (channel IN ('email', 'teams')),
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    run_key          text        NOT NULL,
    detection_count  integer     NOT NULL CHECK (detection_count BETWEEN 1 AND 10),
    transport        text,
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_by        text,
    locked_until     timestamptz,
    last_error       text,
    remote_id        text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX digests_due_idx ON digests (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX digests_status_idx ON digests (status);

-- Which detections a digest carries. A detection goes into at most one digest per channel.
CREATE TABLE digest_items (
    digest_id     bigint NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    detection_id  bigint NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    channel       text   NOT NULL CHECK (channel IN ('email', 'teams')),
    position      integer NOT NULL,
    PRIMARY KEY (digest_id, detection_id),
    UNIQUE (detection_id, channel)
);

-- Month-end (and month-to-date) reports, and the report-builder's queue.
CREATE TABLE reports (
    id                bigserial   PRIMARY KEY,
    month             date        NOT NULL CHECK (extract(day FROM month) = 1),
    kind              text        NOT NULL CHECK (kind IN ('month_end', 'month_to_date')),
    status            text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'building', 'ready', 'failed')),
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL,
    csv_uri           text,
    html_uri          text,
    detection_count   integer,
    new_count         integer,
    promotion_count   integer,
    c_suite_count     integer,
    vp_count          integer,
    attempts          integer     NOT NULL DEFAULT 0,
    locked_by         text,
    locked_until      timestamptz,
    last_error        text,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    CHECK (status <> 'ready' OR (csv_uri IS NOT NULL AND html_uri IS NOT NULL))
);
CREATE INDEX reports_pending_idx ON reports (requested_at) WHERE status IN ('pending', 'building');
CREATE INDEX reports_month_idx ON reports (month);

-- Wake digest-sender and report-builder when work is queued.
CREATE FUNCTION notify_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pathfinder_' || TG_TABLE_NAME, '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER digests_notify AFTER INSERT ON digests FOR EACH STATEMENT EXECUTE FUNCTION notify_queue();
CREATE TRIGGER reports_notify AFTER INSERT ON reports FOR EACH STATEMENT EXECUTE FUNCTION notify_queue();

-- Scheduler ledger: one row per (job, period), written in the same transaction as the job's work, so a run
-- happens exactly once per period however many replicas race for it.
CREATE TABLE job_runs (
    job            text        NOT NULL CHECK (job IN ('weekly-digest', 'month-end-report', 'purge-events')),
    period_key     text        NOT NULL,
    scheduled_for  timestamptz NOT NULL,
    trigger        text        NOT NULL DEFAULT 'schedule' CHECK (trigger IN ('schedule', 'catch-up', 'manual')),
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    summary        jsonb,
    PRIMARY KEY (job, period_key)
);
