-- Review meetings (kept in step with migrations/postgres/0011_meetings.sql): one per occurrence
-- of a client's security-review series, its decisions, and the client's action items, which
-- outlive the meeting that created them until they are done.

CREATE TABLE meetings (
    id               INTEGER PRIMARY KEY,
    occurrence_id    INTEGER NOT NULL UNIQUE REFERENCES review_occurrences (id),
    client_id        INTEGER NOT NULL REFERENCES clients (id),
    held_on          TEXT NOT NULL,
    -- One name a line.
    attendees_msp    TEXT NOT NULL DEFAULT '',
    attendees_client TEXT NOT NULL DEFAULT '',
    -- Generated when the meeting is created, then edited by hand until sign-off.
    agenda           TEXT NOT NULL DEFAULT '',
    minutes          TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL CHECK (state IN ('draft', 'signed')),
    signed_at        TEXT,
    signed_by        TEXT,
    -- The posture shown at sign-off (JSON); the pack of a signed meeting is drawn from it alone.
    snapshot         TEXT,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX meetings_client_idx ON meetings (client_id);

CREATE TABLE meeting_decisions (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    -- What is to be decided, and the decision: empty until decided (sign-off waits for it).
    topic       TEXT NOT NULL,
    decision    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX meeting_decisions_meeting_idx ON meeting_decisions (meeting_id);

CREATE TABLE action_items (
    id                  INTEGER PRIMARY KEY,
    client_id           INTEGER NOT NULL REFERENCES clients (id),
    meeting_id          INTEGER NOT NULL REFERENCES meetings (id),
    title               TEXT NOT NULL,
    owner               TEXT NOT NULL,
    due_on              TEXT,
    state               TEXT NOT NULL CHECK (state IN ('open', 'done')),
    done_at             TEXT,
    done_by             TEXT,
    done_in_meeting_id  INTEGER REFERENCES meetings (id)
);
CREATE INDEX action_items_client_idx ON action_items (client_id, state);
