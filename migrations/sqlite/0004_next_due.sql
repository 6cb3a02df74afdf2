-- When each client's control is next due for re-verification, kept on write so that overdue
-- evidence across all clients is one indexed query on either database.
ALTER TABLE client_controls ADD COLUMN next_due_at TEXT;
CREATE INDEX client_controls_next_due_idx ON client_controls (next_due_at);
