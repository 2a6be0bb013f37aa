-- Member enrichment (optional): after a detection is committed, the classifier looks the member up (email, company,
-- profile URL) when a lookup URL is configured. The detection never waits for it: enrichment is its own queue.
ALTER TABLE detections
    ADD COLUMN enrichment_status   text        NOT NULL DEFAULT 'none'
        CHECK (enrichment_status IN ('none', 'pending', 'done', 'failed')),
    ADD COLUMN enrichment_attempts integer     NOT NULL DEFAULT 0,
    ADD COLUMN enrichment_next_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN enrichment_error    text;
CREATE INDEX detections_enrichment_due_idx ON detections (enrichment_next_at) WHERE enrichment_status = 'pending';
