-- The portfolio's scores, kept per client (domain/src/scoring/live.rs): a change recomputes only
-- the client it names, and the portfolio reads these rows instead of scoring every client.
-- Kept in step with migrations/sqlite/0020_client_scores.sql.
CREATE TABLE client_scores (
    client_id  BIGINT PRIMARY KEY REFERENCES clients (id),
    -- Changes made to the client's data: counted in the change's own transaction (with its
    -- audit entry), so that a change is never left out even if its server stops before the
    -- score is recomputed.
    wanted     BIGINT NOT NULL DEFAULT 1,
    -- The `wanted` the stored result was computed after: the row is out of date while the two
    -- differ.
    computed   BIGINT NOT NULL DEFAULT 0,
    -- score_state.generation when it was computed: settings, service levels or the catalog
    -- changed since when it is lower ("updating").
    generation BIGINT NOT NULL DEFAULT 0,
    -- score_state.version of the write: servers read the rows written since the last they saw.
    version    BIGINT NOT NULL DEFAULT 0,
    -- When the stored result was computed (the moment it is the score of).
    computed_at TIMESTAMPTZ,
    -- The first moment at which time alone changes the result (evidence going stale, a deadline
    -- passing, a day more for a leaver); none when nothing ahead does.
    next_check TIMESTAMPTZ,
    -- The result as JSON (live.rs `Stored`); none for an archived client or before the first
    -- computation.
    kept       TEXT
);
CREATE INDEX client_scores_version_idx ON client_scores (version);
CREATE INDEX client_scores_next_check_idx ON client_scores (next_check) WHERE next_check IS NOT NULL;
CREATE INDEX client_scores_out_of_date_idx ON client_scores (client_id) WHERE wanted <> computed;

CREATE TABLE score_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    -- Moved by every write of client_scores, in its transaction: its order is the commit order.
    version    BIGINT NOT NULL,
    -- Moved by every change that alters every client's score (settings, service levels, the
    -- catalog, demo data).
    generation BIGINT NOT NULL,
    -- When a server last claimed the recomputation of every client after a generation moved.
    refreshing_at TIMESTAMPTZ
);
INSERT INTO score_state (id, version, generation) VALUES (1, 0, 1);

-- Every existing client, out of date: the first reader computes them all.
INSERT INTO client_scores (client_id) SELECT id FROM clients;

-- A client's scope sees its own row only; the state is no client's.
ALTER TABLE client_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON client_scores USING (rampart_sees_client(client_id));
ALTER TABLE score_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON score_state USING (rampart_sees_client(NULL));
