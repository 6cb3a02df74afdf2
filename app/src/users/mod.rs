//! People: the users page (`/settings/users`) with invitations, role changes, client
//! assignments, disabling and resetting two-factor sign-in, and the invitation page
//! (`/invite/{token}`) where an invitee sets their password.

pub mod api;
pub mod types;
pub mod ui;
