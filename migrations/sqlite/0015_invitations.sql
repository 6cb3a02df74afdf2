-- Invitations to Rampart (domain/src/identity/invitations.rs).
-- Kept in step with migrations/postgres/0015_invitations.sql.

-- An invitation names the e-mail address, role and clients of the account it makes; the invitee
-- chooses their name and password. The link's token is random (256 bits) and only its SHA-256
-- is kept, so the table alone opens no account. An invitation works once (`used_at`, and the
-- account made from it in `user_id`), until `expires_at`, unless revoked.
CREATE TABLE invitations (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'technician', 'auditor', 'client_viewer')),
    token_hash       TEXT NOT NULL UNIQUE,
    -- Who invited: the user (NULL for the command line) and their e-mail address.
    created_by       INTEGER REFERENCES users (id),
    created_by_label TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    used_at          TEXT,
    user_id          INTEGER REFERENCES users (id),
    revoked_at       TEXT
);
CREATE INDEX invitations_email_idx ON invitations (email);

-- A client viewer's one client, or the clients a technician is restricted to.
CREATE TABLE invitation_clients (
    invitation_id INTEGER NOT NULL REFERENCES invitations (id),
    client_id     INTEGER NOT NULL REFERENCES clients (id),
    PRIMARY KEY (invitation_id, client_id)
);
