-- The risk score (domain/src/scoring): settings changed from their defaults, one snapshot per
-- client and day, and the runs of daily jobs (so that several servers sharing one database run
-- each job once a day).

-- A setting that differs from its default (the defaults live in the code, beside the formula).
CREATE TABLE score_settings (
    key        TEXT PRIMARY KEY,
    value      INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

-- A client's score as it stood on one day (UTC), with what it was made of.
CREATE TABLE score_snapshots (
    client_id        INTEGER NOT NULL REFERENCES clients (id),
    -- YYYY-MM-DD.
    day              TEXT NOT NULL,
    -- NULL when no control applied (the client could not be rated).
    coverage         INTEGER CHECK (coverage BETWEEN 0 AND 100),
    posture          INTEGER CHECK (posture BETWEEN 0 AND 100),
    band             TEXT NOT NULL CHECK (band IN ('low', 'moderate', 'high', 'critical', 'not_rated')),
    -- JSON object: category id → coverage (0-100) or null.
    categories       TEXT NOT NULL,
    stale_controls   INTEGER NOT NULL,
    leavers_past_sla INTEGER NOT NULL,
    overdue_reviews  INTEGER NOT NULL,
    kev_items        INTEGER NOT NULL,
    -- Points taken off coverage, after caps.
    penalty          INTEGER NOT NULL,
    -- Access hygiene on that day: grants active, past expiry but not revoked, held by leavers,
    -- and grants with at least one stale-access finding.
    grants_active    INTEGER NOT NULL,
    grants_expired   INTEGER NOT NULL,
    grants_leavers   INTEGER NOT NULL,
    access_findings  INTEGER NOT NULL,
    taken_at         TEXT NOT NULL,
    PRIMARY KEY (client_id, day)
);
CREATE INDEX score_snapshots_day_idx ON score_snapshots (day);

-- One row per job and day: whoever inserts it runs the job.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    day         TEXT NOT NULL,
    runner      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (job, day)
);
