-- Privacy by design: member hashes, the opt-out list, and the hash-chained, append-only audit log.

-- One random salt per installation, made here, never leaves the database. Member hashes (opt-out list, audit
-- entries of erasures) are sha256(salt || ':' || user_id), so neither table holds a member id.
CREATE TABLE privacy_salt (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    salt       text    NOT NULL CHECK (length(salt) >= 32)
);
INSERT INTO privacy_salt (salt) VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

CREATE FUNCTION pf_member_hash(member text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(s.salt || ':' || member, 'UTF8')), 'hex') FROM privacy_salt s
$$;

-- Members who asked never to be processed again: their webhooks are answered "ignored" and store nothing.
CREATE TABLE member_opt_outs (
    member_hash  text        PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The audit trail. `seq` has no gaps (assigned under a lock), each row's `hash` covers its fields and the previous
-- row's hash, so an edited or deleted row breaks the chain (`pathfinder audit verify`).
CREATE TABLE audit_log (
    seq        bigint      PRIMARY KEY,
    at         timestamptz NOT NULL,
    kind       text        NOT NULL,
    actor      text        NOT NULL,
    subject    text,
    details    jsonb       NOT NULL DEFAULT '{}',
    prev_hash  text        NOT NULL,
    hash       text        NOT NULL
);
CREATE INDEX audit_log_kind_idx ON audit_log (kind, seq);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The text a row's hash covers: every field, unit-separated, the time in UTC with microseconds.
CREATE FUNCTION pf_audit_row_hash(prev_hash text, seq bigint, at timestamptz, kind text, actor text, subject text,
                                  details jsonb)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(concat_ws(chr(31), prev_hash, seq::text,
                                              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                              kind, actor, coalesce(subject, chr(30)), details::text), 'UTF8')), 'hex')
$$;

-- Appends one entry in the caller's transaction. The lock (released at commit) serialises appenders, so the chain
-- has one head; callers take it last, after any per-member locks, so no lock cycle can form.
CREATE FUNCTION pf_audit_append(p_kind text, p_actor text, p_subject text, p_details jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_seq   bigint;
    v_prev  text;
    v_at    timestamptz := clock_timestamp();
    v_data  jsonb := coalesce(p_details, '{}'::jsonb);
BEGIN
    PERFORM pg_advisory_xact_lock(7371, 1);
    SELECT seq, hash INTO v_seq, v_prev FROM audit_log ORDER BY seq DESC LIMIT 1;
    v_seq := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    INSERT INTO audit_log (seq, at, kind, actor, subject, details, prev_hash, hash)
    VALUES (v_seq, v_at, p_kind, p_actor, p_subject, v_data, v_prev,
            pf_audit_row_hash(v_prev, v_seq, v_at, p_kind, p_actor, p_subject, v_data));
    RETURN v_seq;
END;
$$;

-- Append-only: ordinary UPDATE, DELETE and TRUNCATE are refused (the chain catches what bypasses this).
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
