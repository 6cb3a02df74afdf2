-- The tool's own hardening (domain/src/identity/throttle.rs, domain/src/db/session_store.rs).
-- Kept in step with migrations/postgres/0012_identity.sql.

-- Failed sign-ins, per account (the e-mail address as typed, whether or not a user has it) and
-- per client address, kept in the database so that several servers share the count. Rows
-- older than the throttling window are removed as new ones are written. `at` is Unix seconds.
CREATE TABLE sign_in_failures (
    id    INTEGER PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_key_idx ON sign_in_failures (scope, key, at);
CREATE INDEX sign_in_failures_at_idx ON sign_in_failures (at);

-- Whose session this is (NULL before sign-in), so that signing out everywhere and disabling a
-- user end all their sessions at once; and when the session (its current id) began, for the
-- absolute lifetime. The session id is cycled at sign-in, so that is the sign-in time.
ALTER TABLE sessions ADD COLUMN user_id INTEGER;
ALTER TABLE sessions ADD COLUMN started_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Two-factor sign-in with a TOTP app (domain/src/identity/mfa.rs). The secret is kept as base32
-- text (it must be read to check a code); `confirmed_at` is NULL while enrolment waits for its
-- first code; `last_step` is the last 30-second step whose code was accepted, so no code is
-- accepted twice.
CREATE TABLE mfa_totp (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id),
    secret       TEXT NOT NULL,
    confirmed_at TEXT,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- Recovery codes: SHA-256 of each code (random, 50 bits), usable once.
CREATE TABLE mfa_recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT
);
CREATE INDEX mfa_recovery_codes_user_idx ON mfa_recovery_codes (user_id);
