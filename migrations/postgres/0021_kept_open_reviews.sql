-- The kept scores' rows now hold each client's open reviews (domain/src/scoring/live.rs,
-- `Facts::open_reviews`), from which the portfolio picks those due soon. Rows written before
-- hold none: every row is marked out of date, and computed again at the next read.
-- Kept in step with migrations/sqlite/0021_kept_open_reviews.sql.
UPDATE client_scores SET wanted = wanted + 1;
