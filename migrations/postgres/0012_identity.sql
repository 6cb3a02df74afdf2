-- The tool's own hardening (domain/src/identity/throttle.rs, domain/src/db/session_store.rs).
-- Kept in step with migrations/sqlite/0012_identity.sql.

CREATE TABLE sign_in_failures (
    id    BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key   TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_key_idx ON sign_in_failures (scope, key, at);
CREATE INDEX sign_in_failures_at_idx ON sign_in_failures (at);

ALTER TABLE sessions ADD COLUMN user_id BIGINT;
ALTER TABLE sessions ADD COLUMN started_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE mfa_totp (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id),
    secret       TEXT NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE mfa_recovery_codes (
    id        BIGSERIAL PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ
);
CREATE INDEX mfa_recovery_codes_user_idx ON mfa_recovery_codes (user_id);
