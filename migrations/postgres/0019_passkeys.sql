-- Passkeys (WebAuthn): several per user, each with a name the user gave it. Kept in step with
-- migrations/sqlite/0019_passkeys.sql (see there for the columns).
CREATE TABLE passkeys (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    user_handle   TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- Like the other identity tables: nothing of it in a client's scope.
ALTER TABLE passkeys ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON passkeys USING (rampart_sees_client(NULL));
