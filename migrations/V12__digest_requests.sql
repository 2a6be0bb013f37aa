-- Manual digest runs (POST /admin/send-digests, the dashboard's "Send digests now"): ingest-api only records the
-- request; digest-sender claims it (FOR UPDATE SKIP LOCKED, held by the transaction that builds the digests) and
-- marks it `done` with the build's summary in that same transaction. However many digest-senders run, and wherever
-- one crashes, a request is carried out once: a crash rolls the claim back and the request is pending again.
-- A build that fails is retried after a backoff (1, 2, 4, 8 minutes) and `failed` with its error after 5 attempts.
CREATE TABLE digest_requests (
    id              bigserial   PRIMARY KEY,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    -- Who asked: the admin token's label (PATHFINDER_ADMIN__TOKEN_LABEL), with " (dashboard)" for the button.
    requested_by    text        NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    -- Per channel, the digests built and the detections they carry: {"email": {"digests": 1, "detections": 3}}.
    summary         jsonb,
    completed_at    timestamptz,
    CHECK (status <> 'done' OR (summary IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX digest_requests_pending_idx ON digest_requests (next_attempt_at) WHERE status = 'pending';
-- Wakes digest-sender (channel pathfinder_digest_requests; it also polls).
CREATE TRIGGER digest_requests_notify AFTER INSERT ON digest_requests
    FOR EACH STATEMENT EXECUTE FUNCTION notify_queue();
