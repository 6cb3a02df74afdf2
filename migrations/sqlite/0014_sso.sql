-- Single sign-on over OpenID Connect (domain/src/identity/sso/).
-- Kept in step with migrations/postgres/0014_sso.sql.

-- The one provider an admin configured (a single row, id 1). The client secret must be sent to
-- the provider's token endpoint, so it is kept as text; it is never sent back to a browser.
-- `allowed_domains` is a comma-separated list of lower-case e-mail domains (empty: any);
-- `role_mapping` holds lines "value = role" matched against the claim named in `role_claim`
-- (empty: no mapping). `jit_role` is the role of users created at their first sign-in when
-- `jit_enabled` is on. `trust_provider_mfa`: an ID token whose `amr` says "mfa" stands for
-- Rampart's own two-factor code.
CREATE TABLE sso_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
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
    version            INTEGER NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL
);

-- A user's identity at a provider: the issuer and its subject identify them (never the e-mail
-- address, which a provider may reuse or let people change).
CREATE TABLE user_identities (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    email           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_sign_in_at TEXT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

-- Sign-ins under way (at most ten minutes, used once): the SHA-256 of the `state` sent to the
-- provider, the SHA-256 of the random value in the browser's short-lived cookie (so that only
-- the browser that started may finish), the nonce and PKCE verifier, the redirect URI sent and
-- where to go afterwards. `created_at` is Unix seconds.
CREATE TABLE sso_logins (
    state_hash    TEXT PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    next_path     TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX sso_logins_created_idx ON sso_logins (created_at);
