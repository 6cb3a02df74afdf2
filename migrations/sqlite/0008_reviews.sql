-- The review schedule: recurring review series per client and their occurrences.

CREATE TABLE review_series (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id),
    kind        TEXT NOT NULL CHECK (kind IN ('security_review', 'access_review', 'control_reverification',
                                              'ir_exercise', 'contract_review', 'custom')),
    title       TEXT NOT NULL,
    cadence     TEXT NOT NULL CHECK (cadence IN ('monthly', 'quarterly', 'semi_annual', 'annual')),
    owner       TEXT NOT NULL DEFAULT '',
    -- The first occurrence is due on this day (the MSP's calendar); later ones count from it.
    starts_on   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX review_series_client_idx ON review_series (client_id);
-- One running series of each built-in kind per client.
CREATE UNIQUE INDEX review_series_kind_idx ON review_series (client_id, kind) WHERE ended_at IS NULL AND kind <> 'custom';

CREATE TABLE review_occurrences (
    id            INTEGER PRIMARY KEY,
    series_id     INTEGER NOT NULL REFERENCES review_series (id),
    client_id     INTEGER NOT NULL REFERENCES clients (id),
    -- 0 for the first; the due day is the series' start plus n cadences.
    n             INTEGER NOT NULL,
    due_on        TEXT NOT NULL,
    scheduled_on  TEXT,
    state         TEXT NOT NULL CHECK (state IN ('planned', 'in_progress', 'done', 'skipped')),
    note          TEXT NOT NULL DEFAULT '',
    started_at    TEXT,
    closed_at     TEXT,
    closed_by     TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (series_id, n)
);
CREATE INDEX review_occurrences_due_idx ON review_occurrences (due_on);
CREATE INDEX review_occurrences_client_idx ON review_occurrences (client_id);

-- An access review campaign: the client's active grants when the review started (the population
-- the reviewer attests), each with a decision: keep, modify or revoke, with a reason.
CREATE TABLE access_review_items (
    id               INTEGER PRIMARY KEY,
    occurrence_id    INTEGER NOT NULL REFERENCES review_occurrences (id),
    grant_id         INTEGER NOT NULL REFERENCES grants (id),
    -- Higher is riskier: admin, no MFA, a leaver, unreviewed, expired come first.
    risk             INTEGER NOT NULL,
    decision         TEXT CHECK (decision IN ('keep', 'modify', 'revoke')),
    reason           TEXT NOT NULL DEFAULT '',
    decided_by       TEXT,
    decided_at       TEXT,
    UNIQUE (occurrence_id, grant_id)
);

-- Each user's iCalendar feed: only the SHA-256 of the secret in its address is kept, so that the
-- database does not hold working addresses; rotating replaces it.
CREATE TABLE calendar_feeds (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
