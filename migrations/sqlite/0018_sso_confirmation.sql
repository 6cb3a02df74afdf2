-- A sign-in at the provider started to confirm who one is (step-up): only such a sign-in, with
-- a recent `auth_time` in its ID token, confirms (domain/src/identity/sso/mod.rs).
-- Kept in step with migrations/postgres/0018_sso_confirmation.sql.
ALTER TABLE sso_logins ADD COLUMN confirming BOOLEAN NOT NULL DEFAULT FALSE;
