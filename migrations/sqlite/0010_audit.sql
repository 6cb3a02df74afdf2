-- The audit log: append-only and hash-chained (domain/src/audit/). Kept in step with
-- migrations/postgres/0010_audit.sql.

-- One entry per change, sign-in, sign-out or export, written in the transaction of what it
-- records. `hash` is SHA-256 over the entry's canonical form, which includes `prev_hash`, the
-- hash of the entry before it (64 zeros for the first).
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    -- Who: the user (NULL for the command line, the system, and failed sign-ins) and a label
    -- (their e-mail address, or the address a failed sign-in was tried with).
    actor_user_id INTEGER,
    actor         TEXT NOT NULL,
    -- The client the change concerns, if one (no foreign key: the log outlives anything).
    client_id     INTEGER,
    object        TEXT NOT NULL,
    action        TEXT NOT NULL,
    summary       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_client_idx ON audit_log (client_id, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The head of the chain: the last entry's seq and hash. Every audited transaction updates this
-- row first, which serialises appends (SQLite's write lock; a row lock on PostgreSQL).
CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The database refuses to change or remove an entry, and to move the head backwards.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head WHEN NEW.seq < OLD.seq
BEGIN
    SELECT RAISE(ABORT, 'the audit head only moves forward');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'the audit head cannot be removed');
END;

-- Forwarding: per receiver (syslog, webhook), the last entry it acknowledged. The log itself
-- is the outbox: entries after the cursor are sent in order, and the cursor moves only after
-- the receiver took them. The lease lets one server of a cluster forward at a time.
CREATE TABLE audit_sinks (
    name            TEXT PRIMARY KEY,
    delivered_seq   INTEGER NOT NULL DEFAULT 0,
    delivered_at    TEXT,
    lease_owner     TEXT,
    lease_until     TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_attempt_at TEXT
);
