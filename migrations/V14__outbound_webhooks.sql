-- Outbound webhooks (Standard Webhooks): endpoints, one delivery per (endpoint, event), every attempt.
--
-- The fan-out is done by triggers, so a delivery row is committed by the same transaction as the detection (or the
-- digest's `sent` mark) it announces: a crash loses no event and duplicates none. digest-sender delivers them.

-- Where events go. The secret (`whsec_<base64>`) is kept as written: signing needs the key itself, so it cannot be
-- hashed; it is shown once (add, rotate-secret) and never listed or logged. After a rotation the previous secret
-- also signs until previous_secret_until, so a receiver can switch keys without losing a delivery.
CREATE TABLE outbound_endpoints (
    id                    bigserial   PRIMARY KEY,
    url                   text        NOT NULL CHECK (url ~ '^https?://'),
    description           text        NOT NULL DEFAULT '',
    event_types           text[]      NOT NULL
        CHECK (cardinality(event_types) > 0 AND event_types <@ ARRAY['detection.created', 'digest.sent']),
    secret                text        NOT NULL CHECK (secret LIKE 'whsec_%'),
    previous_secret       text        CHECK (previous_secret LIKE 'whsec_%'),
    previous_secret_until timestamptz,
    status                text        NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason       text,
    disabled_at           timestamptz,
    -- Set by the first failed attempt after a success (or since the start), cleared by any success; an endpoint
    -- failing for PATHFINDER_OUTBOUND__DISABLE_AFTER_DAYS is disabled with a reason.
    failing_since         timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
);

-- One message to one endpoint: the delivering worker's queue. message_id is the `webhook-id` header: the same
-- across retries and resends, and the same for one event on every endpoint. A member's events reach an endpoint in
-- order: a delivery waits while an earlier one (lower id) of the same member and endpoint is pending or delivering.
CREATE TABLE outbound_deliveries (
    id               bigserial   PRIMARY KEY,
    endpoint_id      bigint      NOT NULL REFERENCES outbound_endpoints (id) ON DELETE CASCADE,
    message_id       text        NOT NULL,
    event_type       text        NOT NULL CHECK (event_type IN ('detection.created', 'digest.sent')),
    detection_id     bigint      REFERENCES detections (id) ON DELETE CASCADE,
    digest_id        bigint      REFERENCES digests (id) ON DELETE CASCADE,
    source           text,
    user_id          text,
    -- The event body, fixed at the first attempt (a detection's waits briefly for its enrichment), so every retry
    -- sends the same bytes.
    payload          jsonb,
    status           text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- Retries stop (status failed) PATHFINDER_OUTBOUND__RETRY_HOURS after this; a manual resend sets it anew.
    retry_from       timestamptz NOT NULL DEFAULT now(),
    locked_by        text,
    locked_until     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, message_id),
    CHECK ((event_type = 'detection.created') = (detection_id IS NOT NULL))
);
CREATE INDEX outbound_deliveries_due_idx ON outbound_deliveries (next_attempt_at, id)
    WHERE status IN ('pending', 'delivering');
CREATE INDEX outbound_deliveries_member_idx ON outbound_deliveries (endpoint_id, source, user_id, id)
    WHERE status IN ('pending', 'delivering');
CREATE INDEX outbound_deliveries_endpoint_idx ON outbound_deliveries (endpoint_id, id);
CREATE INDEX outbound_deliveries_detection_idx ON outbound_deliveries (detection_id);
CREATE INDEX outbound_deliveries_digest_idx ON outbound_deliveries (digest_id);

-- Every attempt: when, what came back (the HTTP status, or why no request was made), how long it took.
CREATE TABLE outbound_attempts (
    id           bigserial   PRIMARY KEY,
    delivery_id  bigint      NOT NULL REFERENCES outbound_deliveries (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('delivered', 'failed', 'refused')),
    status_code  integer,
    error        text,
    duration_ms  integer     NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_attempts_delivery_idx ON outbound_attempts (delivery_id, id);

-- The body of a detection.created event.
CREATE FUNCTION pf_detection_event(d detections) RETURNS jsonb LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'type', 'detection.created',
    'timestamp', d.detected_at,
    'data', jsonb_build_object(
        'detectionId', d.id, 'source', d.source, 'userId', d.user_id, 'username', d.username, 'title', d.title,
        'level', d.seniority, 'previousLevel', d.previous_seniority, 'kind', d.kind, 'rule', d.rule,
        'rulesVersion', d.rules_version, 'detectedAt', d.detected_at,
        'enrichment', CASE WHEN d.enrichment_status = 'done'
                           THEN jsonb_build_object('email', d.email, 'company', d.company, 'profileUrl', d.profile_url)
                      END))
$$;

-- New detections -> one delivery per enabled endpoint that takes detection.created, in detection order.
CREATE FUNCTION pf_outbound_detections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH messages AS MATERIALIZED (
        SELECT id, source, user_id, 'msg_' || replace(gen_random_uuid()::text, '-', '') AS message_id
        FROM new_detections
    )
    INSERT INTO outbound_deliveries (endpoint_id, message_id, event_type, detection_id, source, user_id)
    SELECT e.id, m.message_id, 'detection.created', m.id, m.source, m.user_id
    FROM messages m CROSS JOIN outbound_endpoints e
    WHERE e.status = 'enabled' AND 'detection.created' = ANY (e.event_types)
    ORDER BY m.id, e.id;
    IF FOUND THEN
        PERFORM pg_notify('pathfinder_outbound', '');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER detections_outbound AFTER INSERT ON detections REFERENCING NEW TABLE AS new_detections
    FOR EACH STATEMENT EXECUTE FUNCTION pf_outbound_detections();

-- A digest marked sent -> one digest.sent delivery per enabled endpoint that takes it (ids and counts only).
CREATE FUNCTION pf_outbound_digest_sent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    message text := 'msg_' || replace(gen_random_uuid()::text, '-', '');
BEGIN
    INSERT INTO outbound_deliveries (endpoint_id, message_id, event_type, digest_id, payload)
    SELECT e.id, message, 'digest.sent', NEW.id,
           jsonb_build_object(
               'type', 'digest.sent',
               'timestamp', COALESCE(NEW.sent_at, now()),
               'data', jsonb_build_object(
                   'digestId', NEW.id, 'channel', NEW.channel, 'transport', NEW.transport,
                   'detectionCount', NEW.detection_count,
                   'detectionIds', (SELECT COALESCE(jsonb_agg(i.detection_id ORDER BY i.position), '[]'::jsonb)
                                    FROM digest_items i WHERE i.digest_id = NEW.id),
                   'sentAt', COALESCE(NEW.sent_at, now())))
    FROM outbound_endpoints e
    WHERE e.status = 'enabled' AND 'digest.sent' = ANY (e.event_types)
    ORDER BY e.id;
    IF FOUND THEN
        PERFORM pg_notify('pathfinder_outbound', '');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER digests_outbound AFTER UPDATE OF status ON digests
    FOR EACH ROW WHEN (NEW.status = 'sent' AND OLD.status IS DISTINCT FROM 'sent')
    EXECUTE FUNCTION pf_outbound_digest_sent();
