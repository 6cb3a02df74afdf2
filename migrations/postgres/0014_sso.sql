-- Single sign-on over OpenID Connect (domain/src/identity/sso/).
-- Kept in step with migrations/sqlite/0014_sso.sql, which explains each table.

CREATE TABLE sso_settings (
    id                 BIGINT PRIMARY KEY CHECK (id = 1),
    enabled            BOOLEAN NOT NULL,
    display_name       TEXT NOT NULL,
    issuer             TEXT NOT NULL,
    client_id          TEXT NOT NULL,
    client_secret      TEXT NOT NULL,
    allowed_domains    TEXT NOT NULL,
    role_claim         TEXT NOT NULL,
    role_mapping       TEXT NOT NULL,
    jit_enabled        BOOLEAN NOT NULL,
    jit_role           TEXT NOT NULL CHECK (jit_role IN ('admin', 'manager', 'technician', 'auditor')),
    trust_provider_mfa BOOLEAN NOT NULL,
    version            BIGINT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    updated_by         TEXT NOT NULL
);

CREATE TABLE user_identities (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    email           TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    last_sign_in_at TIMESTAMPTZ NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

CREATE TABLE sso_logins (
    state_hash    TEXT PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    next_path     TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX sso_logins_created_idx ON sso_logins (created_at);
