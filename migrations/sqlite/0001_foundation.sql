-- Foundation: clients, users with roles and client scope, sessions.
-- Timestamps are written by Rampart as UTC (RFC 3339 text on SQLite); never by SQL defaults,
-- so that every row compares and sorts alike.

CREATE TABLE clients (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    impact_tier   TEXT NOT NULL CHECK (impact_tier IN ('standard', 'sensitive', 'critical')),
    sector        TEXT NOT NULL DEFAULT '',
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    archived_at   TEXT,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX clients_name_idx ON clients (name);

CREATE TABLE client_tags (
    client_id INTEGER NOT NULL REFERENCES clients (id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (client_id, tag)
);
CREATE INDEX client_tags_tag_idx ON client_tags (tag);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'technician', 'auditor', 'client_viewer')),
    -- A client viewer belongs to exactly one client; nobody else belongs to one.
    client_id     INTEGER REFERENCES clients (id),
    -- A technician works on every client unless restricted to the rows of user_clients.
    all_clients   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    CHECK ((role = 'client_viewer') = (client_id IS NOT NULL))
);

CREATE TABLE user_clients (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    client_id INTEGER NOT NULL REFERENCES clients (id),
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX user_clients_client_idx ON user_clients (client_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
