-- Security, second round. Kept in step with migrations/sqlite/0018_security.sql.

-- A sign-in at the provider started to confirm who one is (step-up): only such a sign-in, with
-- a recent `auth_time` in its ID token, confirms (domain/src/identity/sso/mod.rs).
ALTER TABLE sso_logins ADD COLUMN confirming BOOLEAN NOT NULL DEFAULT FALSE;

-- Identity and sign-in tables are never visible through a client's scope (the portal's
-- connections, see 0016): they are read unscoped only, to sign in and to build the acting user.
-- `rampart_sees_client(NULL)` is true without a scope and never within one; as the policy's only
-- expression it also refuses every insert, update and delete in a scope.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON users USING (rampart_sees_client(NULL));
ALTER TABLE user_clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON user_clients USING (rampart_sees_client(NULL));
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON invitations USING (rampart_sees_client(NULL));
ALTER TABLE invitation_clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON invitation_clients USING (rampart_sees_client(NULL));
ALTER TABLE mfa_totp ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON mfa_totp USING (rampart_sees_client(NULL));
ALTER TABLE mfa_recovery_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON mfa_recovery_codes USING (rampart_sees_client(NULL));
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON sessions USING (rampart_sees_client(NULL));
ALTER TABLE sign_in_failures ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON sign_in_failures USING (rampart_sees_client(NULL));
ALTER TABLE sso_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON sso_settings USING (rampart_sees_client(NULL));
ALTER TABLE sso_logins ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON sso_logins USING (rampart_sees_client(NULL));
ALTER TABLE user_identities ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped_only ON user_identities USING (rampart_sees_client(NULL));
