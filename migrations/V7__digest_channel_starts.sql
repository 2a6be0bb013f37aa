-- When each digest channel started: its digests carry the detections from that moment on, so a channel turned on
-- later does not send up to two years of history. digest-sender records a channel the first time it sees it
-- enabled: the channels of a new install (the first ones recorded) start at -infinity (everything since the
-- install), a channel added later starts at that moment. `pathfinder digests backfill <channel> [--since T]`
-- moves a start earlier on request.
CREATE TABLE digest_channel_starts (
    channel     text        PRIMARY KEY CHECK (channel IN ('email', 'teams')),
    started_at  timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Channels already in use keep what they did: every detection not yet in one of their digests.
INSERT INTO digest_channel_starts (channel, started_at)
SELECT DISTINCT channel, '-infinity'::timestamptz FROM digests;
