-- Row-level security on every table holding a client's data: defence in depth behind the
-- application's own filters (every query names the client in scope) and the rule table.
--
-- The scope is the setting `rampart.client_scope`: unset, empty or 'all', every row is visible
-- (MSP staff, background jobs, the command line); a client's id, only that client's rows (the
-- client portal's connections set it when they open). A value that is neither refuses the query
-- (the cast fails) rather than showing anything.
--
-- Policies bind roles that do not own the tables and are not superusers. Rampart is meant to
-- run as such a role (DATABASE_URL), with the owner only applying migrations
-- (RAMPART_MIGRATION_DATABASE_URL); see the README. FORCE ROW LEVEL SECURITY is left off on
-- purpose: the owner runs migrations and pg_dump, which must see every row. A deployment with a
-- single role keeps the application's filters only. Identity tables (users, user_clients,
-- invitations) are read to build the acting user, before any scope exists; the portal never
-- reads them through a scoped connection.
--
-- Kept in step with migrations/sqlite/0016_row_security.sql (SQLite has no row security).

CREATE FUNCTION rampart_sees_client(client BIGINT) RETURNS BOOLEAN
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT COALESCE(current_setting('rampart.client_scope', true), '') IN ('', 'all')
        OR client = CAST(NULLIF(NULLIF(current_setting('rampart.client_scope', true), ''), 'all') AS BIGINT)
$$;

ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON clients USING (rampart_sees_client(id));

ALTER TABLE client_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON client_tags USING (rampart_sees_client(client_id));

ALTER TABLE client_controls ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON client_controls USING (rampart_sees_client(client_id));

ALTER TABLE control_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON control_history USING (rampart_sees_client(client_id));

ALTER TABLE control_exceptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON control_exceptions USING (rampart_sees_client(client_id));

ALTER TABLE grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON grants USING (rampart_sees_client(client_id));

-- The MSP's defaults (no client) apply to every client and are visible in every scope.
ALTER TABLE sla_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON sla_settings USING (client_id IS NULL OR rampart_sees_client(client_id));

ALTER TABLE score_snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON score_snapshots USING (rampart_sees_client(client_id));

ALTER TABLE review_series ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON review_series USING (rampart_sees_client(client_id));

ALTER TABLE review_occurrences ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON review_occurrences USING (rampart_sees_client(client_id));

-- Through its occurrence, whose own policy applies inside the subquery.
ALTER TABLE access_review_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON access_review_items USING (
    rampart_sees_client(NULL) OR EXISTS (SELECT 1 FROM review_occurrences o WHERE o.id = occurrence_id)
);

ALTER TABLE meetings ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON meetings USING (rampart_sees_client(client_id));

-- Through its meeting, whose own policy applies inside the subquery.
ALTER TABLE meeting_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON meeting_decisions USING (
    rampart_sees_client(NULL) OR EXISTS (SELECT 1 FROM meetings m WHERE m.id = meeting_id)
);

ALTER TABLE action_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON action_items USING (rampart_sees_client(client_id));

-- The audit log is read only by admins and auditors, never in a client's scope; within one, only
-- that client's entries are visible. Appending stays open to every scope: the chain is kept by
-- audit_head, and the triggers of 0010 refuse every update and delete.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON audit_log FOR SELECT USING (rampart_sees_client(client_id));
CREATE POLICY append ON audit_log FOR INSERT WITH CHECK (true);
