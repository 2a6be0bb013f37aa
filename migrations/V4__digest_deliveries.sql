-- Every delivery attempt of a digest: when, through which transport, what came back. A digest is marked sent in
-- the same transaction that records its successful delivery.
CREATE TABLE digest_deliveries (
    id           bigserial   PRIMARY KEY,
    digest_id    bigint      NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL,
    transport    text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('sent', 'failed')),
    remote_id    text,
    error        text,
    duration_ms  integer     NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX digest_deliveries_digest_idx ON digest_deliveries (digest_id);
