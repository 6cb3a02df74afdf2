-- Hardening status: the control catalog (built in and custom) and each client's checklist.
-- Built-in controls are loaded from catalog/controls.toml at start; a control dropped from the
-- catalog is retired (retired_at), never deleted, so its history stays whole.

CREATE TABLE control_categories (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE controls (
    id          TEXT PRIMARY KEY,
    category_id TEXT NOT NULL REFERENCES control_categories (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    severity    INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
    review      TEXT NOT NULL CHECK (review IN ('weekly', 'monthly', 'quarterly', 'semi-annual', 'annual', 'per-event')),
    applies_to  TEXT NOT NULL CHECK (applies_to IN ('msp', 'client', 'both')),
    built_in    BOOLEAN NOT NULL,
    position    INTEGER NOT NULL,
    retired_at  TEXT
);

-- The baseline: the impact tiers a control applies to by default.
CREATE TABLE control_tiers (
    control_id TEXT NOT NULL REFERENCES controls (id),
    tier       TEXT NOT NULL CHECK (tier IN ('standard', 'sensitive', 'critical')),
    PRIMARY KEY (control_id, tier)
);

CREATE TABLE control_references (
    control_id TEXT NOT NULL REFERENCES controls (id),
    position   INTEGER NOT NULL,
    source     TEXT NOT NULL,
    item       TEXT NOT NULL,
    verified   BOOLEAN NOT NULL,
    PRIMARY KEY (control_id, position)
);

-- Which catalog version the database holds (one row).
CREATE TABLE catalog_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    version   INTEGER NOT NULL,
    loaded_at TEXT NOT NULL
);

-- A client's state for one control; a missing row means "not assessed".
CREATE TABLE client_controls (
    client_id          INTEGER NOT NULL REFERENCES clients (id),
    control_id         TEXT NOT NULL REFERENCES controls (id),
    status             TEXT NOT NULL CHECK (status IN ('implemented', 'partial', 'not_implemented', 'not_applicable', 'not_assessed')),
    owner              TEXT NOT NULL DEFAULT '',
    evidence_note      TEXT NOT NULL DEFAULT '',
    evidence_links     TEXT NOT NULL DEFAULT '',
    justification      TEXT NOT NULL DEFAULT '',
    last_verified_at   TEXT,
    last_verified_by   TEXT,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (client_id, control_id)
);
CREATE INDEX client_controls_control_idx ON client_controls (control_id);

-- Every change of a client's control, append-only.
CREATE TABLE control_history (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id),
    control_id  TEXT NOT NULL REFERENCES controls (id),
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX control_history_client_control_idx ON control_history (client_id, control_id, changed_at);
