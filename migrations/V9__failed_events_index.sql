-- /metrics reads the number of events parked as failed at each scrape: a partial index (failed events are few)
-- answers it without scanning events_raw.
CREATE INDEX events_raw_failed_idx ON events_raw (id) WHERE status = 'failed';
