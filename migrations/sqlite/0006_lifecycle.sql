-- Onboarding, offboarding and mover checklists with service levels, revocation with verification,
-- and the service-level settings (the MSP's defaults and clients' tighter contracts).

-- An involuntary exit has shorter deadlines; T0 is then when notice arrived.
ALTER TABLE technicians ADD COLUMN involuntary BOOLEAN NOT NULL DEFAULT FALSE;
-- The last role change (a mover), which asks for every grant to be re-approved.
ALTER TABLE technicians ADD COLUMN role_changed_at TEXT;

-- A leaver's revocation task: set for every active grant when offboarding starts.
ALTER TABLE grants ADD COLUMN revoke_due_at TEXT;
-- After a role change: keep (re-approve) or revoke by this time.
ALTER TABLE grants ADD COLUMN reapproval_due_at TEXT;
-- A revocation is recorded with how it was verified and the evidence; revoked_at is when the
-- access was removed, recorded_at when it was entered here.
ALTER TABLE grants ADD COLUMN revoked_by_user INTEGER REFERENCES users (id);
ALTER TABLE grants ADD COLUMN revocation_method TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN revocation_recorded_at TEXT;

CREATE TABLE lifecycle_steps (
    id            INTEGER PRIMARY KEY,
    technician_id INTEGER NOT NULL REFERENCES technicians (id),
    -- ON-01…ON-11, OFF-01…OFF-12, MOV-01 (domain/src/access/checklist.rs).
    code          TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    done_at       TEXT,
    done_by       TEXT,
    done_by_user  INTEGER REFERENCES users (id),
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX lifecycle_steps_technician_idx ON lifecycle_steps (technician_id);
CREATE INDEX lifecycle_steps_open_idx ON lifecycle_steps (due_at) WHERE done_at IS NULL;

CREATE TABLE sla_settings (
    id                 INTEGER PRIMARY KEY,
    -- NULL: the MSP's default; otherwise a client's contract (REVOKE and REVIEW only).
    client_id          INTEGER REFERENCES clients (id),
    code               TEXT NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    unit               TEXT NOT NULL CHECK (unit IN ('hours', 'days', 'business_days')),
    involuntary_amount INTEGER CHECK (involuntary_amount >= 0),
    involuntary_unit   TEXT CHECK (involuntary_unit IN ('hours', 'days', 'business_days')),
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL
);
CREATE UNIQUE INDEX sla_settings_msp_idx ON sla_settings (code) WHERE client_id IS NULL;
CREATE UNIQUE INDEX sla_settings_client_idx ON sla_settings (client_id, code) WHERE client_id IS NOT NULL;
