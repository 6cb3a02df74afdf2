-- Evidence a manager chose to share with the client: only this reaches the client portal; the
-- rest of a control's evidence, its owner and internal notes never do.
ALTER TABLE client_controls ADD COLUMN evidence_shared BOOLEAN NOT NULL DEFAULT FALSE;
