-- Risk acceptances: a client may live without a control for a while, for a stated reason,
-- approved by someone other than who asked, until an expiry date. Never deleted: an exception
-- ends (withdrawn, revoked or superseded after expiry) and stays on record.

CREATE TABLE control_exceptions (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES clients (id),
    control_id        TEXT NOT NULL REFERENCES controls (id),
    reason            TEXT NOT NULL,
    requested_by_user INTEGER REFERENCES users (id),
    requested_by      TEXT NOT NULL,
    requested_at      TEXT NOT NULL,
    expires_at        TEXT NOT NULL,
    approved_by_user  INTEGER REFERENCES users (id),
    approved_by       TEXT,
    approved_at       TEXT,
    ended_by          TEXT,
    ended_at          TEXT
);
-- At most one exception per client and control that has not ended.
CREATE UNIQUE INDEX control_exceptions_open_idx ON control_exceptions (client_id, control_id) WHERE ended_at IS NULL;
