-- Kept in step with migrations/sqlite/0004_next_due.sql.
ALTER TABLE client_controls ADD COLUMN next_due_at TIMESTAMPTZ;
CREATE INDEX client_controls_next_due_idx ON client_controls (next_due_at);
