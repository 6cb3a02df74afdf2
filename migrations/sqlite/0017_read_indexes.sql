-- Indexes for reads that scanned whole tables on the large reference set (BENCHMARKS.md).

-- A technician's grants, revoked ones included (their page, offboarding, the access review).
CREATE INDEX grants_technician_idx ON grants (technician_id);

-- Open reviews by due day (overdue and due soon on the portfolio, the score's overdue
-- reviews): a few hundred rows instead of every review ever held.
CREATE INDEX review_occurrences_open_idx ON review_occurrences (due_on) WHERE state IN ('planned', 'in_progress');
