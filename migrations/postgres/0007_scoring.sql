-- The risk score (kept in step with migrations/sqlite/0007_scoring.sql): settings changed from
-- their defaults, one snapshot per client and day, and the runs of daily jobs (so that several
-- servers sharing one database run each job once a day).

-- A setting that differs from its default (the defaults live in the code, beside the formula).
CREATE TABLE score_settings (
    key        TEXT PRIMARY KEY,
    value      BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- A client's score as it stood on one day (UTC), with what it was made of.
CREATE TABLE score_snapshots (
    client_id        BIGINT NOT NULL REFERENCES clients (id),
    day              DATE NOT NULL,
    -- NULL when no control applied (the client could not be rated).
    coverage         BIGINT CHECK (coverage BETWEEN 0 AND 100),
    posture          BIGINT CHECK (posture BETWEEN 0 AND 100),
    band             TEXT NOT NULL CHECK (band IN ('low', 'moderate', 'high', 'critical', 'not_rated')),
    -- JSON object: category id → coverage (0-100) or null.
    categories       TEXT NOT NULL,
    stale_controls   BIGINT NOT NULL,
    leavers_past_sla BIGINT NOT NULL,
    overdue_reviews  BIGINT NOT NULL,
    kev_items        BIGINT NOT NULL,
    -- Points taken off coverage, after caps.
    penalty          BIGINT NOT NULL,
    -- Access hygiene on that day: grants active, past expiry but not revoked, held by leavers,
    -- and grants with at least one stale-access finding.
    grants_active    BIGINT NOT NULL,
    grants_expired   BIGINT NOT NULL,
    grants_leavers   BIGINT NOT NULL,
    access_findings  BIGINT NOT NULL,
    taken_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, day)
);
CREATE INDEX score_snapshots_day_idx ON score_snapshots (day);

-- One row per job and day: whoever inserts it runs the job.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    day         DATE NOT NULL,
    runner      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (job, day)
);
