-- Passkeys (WebAuthn): several per user, each with a name the user gave it. Kept in step with
-- migrations/postgres/0019_passkeys.sql.
--
-- user_handle: the random id the authenticator keeps for the user (the same for all of one
-- user's passkeys), by which a passkey sign-in without an email names its user.
-- credential_id: the authenticator's id of the credential (hexadecimal), unique across users.
-- passkey: the credential as webauthn-rs stores it (JSON: public key, signature counter, flags).
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    user_handle   TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);
