-- Members are keyed by (source, user_id): Discourse member 42 and a relayed community member 42 are two people.
-- Existing rows keep their data; their source is the one of the event that made them when it is still stored,
-- otherwise 'community' (the only source most installs had).

ALTER TABLE user_state ADD COLUMN source text NOT NULL DEFAULT 'community'
    CHECK (source IN ('community', 'discourse'));
UPDATE user_state s SET source = e.source FROM events_raw e WHERE e.id = s.last_event_id AND e.source <> s.source;
ALTER TABLE user_state DROP CONSTRAINT user_state_pkey;
ALTER TABLE user_state ADD PRIMARY KEY (source, user_id);

ALTER TABLE detections ADD COLUMN source text NOT NULL DEFAULT 'community'
    CHECK (source IN ('community', 'discourse'));
UPDATE detections d SET source = e.source FROM events_raw e WHERE e.id = d.event_id AND e.source <> d.source;
DROP INDEX detections_user_idx;
CREATE INDEX detections_user_idx ON detections (source, user_id);

DROP INDEX events_raw_user_idx;
CREATE INDEX events_raw_user_idx ON events_raw (source, user_id, id);

-- An opt-out names a source; the hash still covers the id alone (salted), the source is not personal data.
-- An opt-out recorded before sources were told apart stopped the id on every source, and still does.
ALTER TABLE member_opt_outs ADD COLUMN source text NOT NULL DEFAULT 'community'
    CHECK (source IN ('community', 'discourse'));
ALTER TABLE member_opt_outs DROP CONSTRAINT member_opt_outs_pkey;
INSERT INTO member_opt_outs (member_hash, created_at, source)
SELECT member_hash, created_at, 'discourse' FROM member_opt_outs;
ALTER TABLE member_opt_outs ADD PRIMARY KEY (source, member_hash);
