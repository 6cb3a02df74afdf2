//! The unique constraints a change may run into, each mapped to the user's conflict by name:
//! a unique violation elsewhere in the same transaction (the audit chain's, say) is not the
//! user's conflict and stays an internal error.
//!
//! PostgreSQL names the constraint it refused; SQLite names none, only its table and columns
//! ("UNIQUE constraint failed: clients.slug"), so each constraint is known by both. The schema
//! test checks every one of [`ALL`] against both migration trees.

/// A unique constraint: its name on PostgreSQL, its table and columns on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unique {
    pub postgres: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl Unique {
    /// Whether the database refused a row because of this constraint.
    pub fn is_violated_by(&self, err: &sqlx::Error) -> bool {
        let Some(db_err) = err.as_database_error().filter(|e| e.is_unique_violation()) else { return false };
        match db_err.constraint() {
            Some(name) => name == self.postgres,
            None => db_err.message().strip_prefix("UNIQUE constraint failed: ").is_some_and(|listed| {
                listed.split(", ").eq(self.columns.iter().map(|c| format!("{}.{c}", self.table)))
            }),
        }
    }
}

pub const CLIENT_SLUG: Unique = Unique { postgres: "clients_slug_key", table: "clients", columns: &["slug"] };
pub const USER_EMAIL: Unique = Unique { postgres: "users_email_key", table: "users", columns: &["email"] };
pub const USER_IDENTITY: Unique = Unique {
    postgres: "user_identities_issuer_subject_key",
    table: "user_identities",
    columns: &["issuer", "subject"],
};
pub const TECHNICIAN_EMAIL: Unique =
    Unique { postgres: "technicians_email_key", table: "technicians", columns: &["email"] };
/// One active grant per technician, client and system.
pub const GRANT_ACTIVE: Unique = Unique {
    postgres: "grants_active_idx",
    table: "grants",
    columns: &["technician_id", "client_id", "system", "system_name"],
};
/// One open risk acceptance per client and control.
pub const EXCEPTION_OPEN: Unique = Unique {
    postgres: "control_exceptions_open_idx",
    table: "control_exceptions",
    columns: &["client_id", "control_id"],
};
/// One running series of each kind per client (custom ones aside).
pub const REVIEW_SERIES_KIND: Unique =
    Unique { postgres: "review_series_kind_idx", table: "review_series", columns: &["client_id", "kind"] };
/// One meeting per review.
pub const MEETING_OCCURRENCE: Unique =
    Unique { postgres: "meetings_occurrence_id_key", table: "meetings", columns: &["occurrence_id"] };
/// A passkey belongs to one account.
pub const PASSKEY_CREDENTIAL: Unique =
    Unique { postgres: "passkeys_credential_id_key", table: "passkeys", columns: &["credential_id"] };

/// Every constraint above, for the schema test.
pub const ALL: [Unique; 9] = [
    CLIENT_SLUG,
    USER_EMAIL,
    USER_IDENTITY,
    TECHNICIAN_EMAIL,
    GRANT_ACTIVE,
    EXCEPTION_OPEN,
    REVIEW_SERIES_KIND,
    MEETING_OCCURRENCE,
    PASSKEY_CREDENTIAL,
];
