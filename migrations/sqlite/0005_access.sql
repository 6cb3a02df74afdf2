-- The access register: the MSP's technicians and their grants to clients' systems.
-- Nothing is deleted: technicians depart, grants are revoked.

CREATE TABLE technicians (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL CHECK (state IN ('onboarding', 'active', 'offboarding', 'departed')),
    started_at  TEXT NOT NULL,
    -- T0: the departure time (or when notice arrived, for involuntary exits).
    departed_at TEXT,
    user_id     INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE grants (
    id               INTEGER PRIMARY KEY,
    technician_id    INTEGER NOT NULL REFERENCES technicians (id),
    client_id        INTEGER NOT NULL REFERENCES clients (id),
    system           TEXT NOT NULL CHECK (system IN ('rmm', 'psa', 'remote_support', 'password_vault', 'm365_gdap',
                                                     'firewall_vpn', 'backup_console', 'edr', 'client_directory', 'other')),
    system_name      TEXT NOT NULL DEFAULT '',
    privilege        TEXT NOT NULL CHECK (privilege IN ('read', 'standard', 'admin')),
    approver         TEXT NOT NULL,
    approver_user    INTEGER REFERENCES users (id),
    justification    TEXT NOT NULL,
    granted_at       TEXT NOT NULL,
    expires_at       TEXT,
    mfa              BOOLEAN NOT NULL,
    last_reviewed_at TEXT,
    last_reviewed_by TEXT,
    revoked_at       TEXT,
    revoked_by       TEXT,
    revocation_note  TEXT NOT NULL DEFAULT ''
);
-- One active grant per technician, client and system.
CREATE UNIQUE INDEX grants_active_idx ON grants (technician_id, client_id, system, system_name) WHERE revoked_at IS NULL;
CREATE INDEX grants_client_idx ON grants (client_id);
