-- Security, second round. Kept in step with migrations/postgres/0018_security.sql (whose
-- row-level security on the identity tables SQLite has no feature for).

-- A sign-in at the provider started to confirm who one is (step-up): only such a sign-in, with
-- a recent `auth_time` in its ID token, confirms (domain/src/identity/sso/mod.rs).
ALTER TABLE sso_logins ADD COLUMN confirming BOOLEAN NOT NULL DEFAULT FALSE;
