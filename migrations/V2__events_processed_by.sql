-- Which classifier worker applied each event ("classifier-<instance>-<n>"), for operators tracing a replica's work.
ALTER TABLE events_raw ADD COLUMN processed_by text;
