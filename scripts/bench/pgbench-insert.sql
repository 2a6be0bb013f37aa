-- scripts/bench/pgbench-insert.sql: the PostgreSQL baseline of `make bench` (scripts/bench.sh, section "ingest").
-- One transaction per webhook-shaped row, inserted into events_raw (migrations/V1__initial_schema.sql) with the
-- same values as scripts/bench/webhook.lua sends: what a plain INSERT + COMMIT per event costs on this server, to
-- compare ingest-api's accepted/s with. Keys are random per client so rows never collide.
-- Run: pgbench -n -c 32 -j 2 -T 20 -f scripts/bench/pgbench-insert.sql <database URL>
\set n random(1, 1000000000)
INSERT INTO events_raw (source, dedupe_key, user_id, username, profile_field, value, old_value, received_at)
VALUES ('community', format('bench:%s:%s', :client_id, :n), format('%s-%s', :client_id, :n), 'bench', 'Job Title',
        format('Vice President of Sales %s', :n), NULL, now());
