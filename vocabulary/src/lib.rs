//! The fixed choices of Rampart, each written once as a table of (stored value, label).
//!
//! The domain names its enums after these tables ([`words!`]), the pages build their selects and
//! labels from the same tables, and the browser build compiles this crate too (it has no
//! dependencies), so a value the form offers is a value the domain accepts, by construction.

/// A table of (stored value, label), in the order forms offer them.
pub type Table = &'static [(&'static str, &'static str)];

/// The label of `value` in `table`, if it is one of its values.
pub fn label_of(table: Table, value: &str) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == value).map(|(_, label)| *label)
}

/// Defines an enum whose variants are the rows of a [`Table`], in the table's order: `as_str`
/// (the stored value), `label`, `parse` (trimmed) and `ALL` come from the table, and the build
/// fails if the enum and the table differ in length.
///
/// ```
/// vocabulary::words! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Tier in vocabulary::IMPACT_TIERS { Standard, Sensitive, Critical }
/// }
/// assert_eq!(Tier::Critical.as_str(), "critical");
/// assert_eq!(Tier::parse(" sensitive "), Some(Tier::Sensitive));
/// ```
#[macro_export]
macro_rules! words {
    ($(#[$meta:meta])* $vis:vis enum $name:ident in $table:path { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in the table's order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The value as stored and sent by forms.
            pub fn as_str(self) -> &'static str {
                $table[self as usize].0
            }

            /// The value as people read it.
            pub fn label(self) -> &'static str {
                $table[self as usize].1
            }

            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }

        const _: () = assert!($name::ALL.len() == $table.len(), "the enum and its table differ in length");
    };
}

/// Users' roles (the most powerful first).
pub const ROLES: Table = &[
    ("admin", "Admin"),
    ("manager", "Manager"),
    ("technician", "Technician"),
    ("auditor", "Auditor"),
    ("client_viewer", "Client viewer"),
];

/// A client's impact tier, lowest first.
pub const IMPACT_TIERS: Table = &[("standard", "Standard"), ("sensitive", "Sensitive"), ("critical", "Critical")];

/// The orders of the client list.
pub const CLIENT_SORTS: Table =
    &[("name", "Name (A–Z)"), ("-name", "Name (Z–A)"), ("tier", "Impact tier"), ("updated", "Recently changed")];

/// How often a control's evidence is re-verified.
pub const REVIEW_FREQUENCIES: Table = &[
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("semi-annual", "Every six months"),
    ("annual", "Yearly"),
    ("per-event", "On each event"),
];

/// Whose estate a control concerns.
pub const APPLIES_TO: Table = &[("msp", "MSP"), ("client", "Client"), ("both", "MSP and client")];

/// A client's control status.
pub const CONTROL_STATUSES: Table = &[
    ("implemented", "Implemented"),
    ("partial", "Partial"),
    ("not_implemented", "Not implemented"),
    ("not_applicable", "Not applicable"),
    ("not_assessed", "Not assessed"),
];

/// A technician's place in the lifecycle.
pub const TECHNICIAN_STATES: Table =
    &[("onboarding", "Onboarding"), ("active", "Active"), ("offboarding", "Offboarding"), ("departed", "Departed")];

/// A grant's privilege, least first.
pub const PRIVILEGES: Table = &[("read", "Read"), ("standard", "Standard"), ("admin", "Admin")];

/// The systems a grant can be for.
pub const SYSTEMS: Table = &[
    ("rmm", "RMM"),
    ("psa", "PSA"),
    ("remote_support", "Remote support"),
    ("password_vault", "Password vault"),
    ("m365_gdap", "Microsoft 365 / GDAP"),
    ("firewall_vpn", "Firewall / VPN"),
    ("backup_console", "Backup console"),
    ("edr", "EDR"),
    ("client_directory", "Client directory (AD / Entra)"),
    ("other", "Other"),
];

/// How a revocation was verified.
pub const REVOCATION_METHODS: Table = &[
    ("tool_user_list", "Checked the tool's user list"),
    ("idp_report", "Identity provider or directory report"),
    ("audit_log", "The tool's audit log shows the removal"),
    ("api_query", "Queried the tool's API"),
    ("sign_in_attempt", "Sign-in attempt refused"),
    ("other", "Other (say how in the evidence)"),
];

/// The unit of a service level.
pub const SLA_UNITS: Table = &[("hours", "hours"), ("days", "days"), ("business_days", "business days")];

/// The kinds of review series.
pub const REVIEW_KINDS: Table = &[
    ("security_review", "Security and business review"),
    ("access_review", "Access review"),
    ("control_reverification", "Control re-verification"),
    ("ir_exercise", "Incident-response exercise"),
    ("contract_review", "Contract review"),
    ("custom", "Custom review"),
];

/// How often a review series recurs.
pub const CADENCES: Table =
    &[("monthly", "Monthly"), ("quarterly", "Quarterly"), ("semi_annual", "Every six months"), ("annual", "Yearly")];

/// A review occurrence's state.
pub const OCCURRENCE_STATES: Table =
    &[("planned", "Planned"), ("in_progress", "In progress"), ("done", "Done"), ("skipped", "Skipped")];

/// An access review's decision on a grant.
pub const DECISIONS: Table = &[("keep", "Keep"), ("modify", "Modify"), ("revoke", "Revoke")];

/// The audit log's families of actions (an action's name up to its first dot).
pub const ACTION_FAMILIES: Table = &[
    ("auth", "Sign-ins and sign-outs"),
    ("client", "Clients"),
    ("control", "Control statuses"),
    ("exception", "Risk acceptances"),
    ("catalog", "The catalog"),
    ("technician", "Technicians and checklists"),
    ("grant", "Access grants"),
    ("sla", "Service levels"),
    ("user", "Users"),
    ("export", "Exports"),
    ("score", "Score settings"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_distinct_values_and_labels() {
        for table in [
            ROLES,
            IMPACT_TIERS,
            CLIENT_SORTS,
            REVIEW_FREQUENCIES,
            APPLIES_TO,
            CONTROL_STATUSES,
            TECHNICIAN_STATES,
            PRIVILEGES,
            SYSTEMS,
            REVOCATION_METHODS,
            SLA_UNITS,
            REVIEW_KINDS,
            CADENCES,
            OCCURRENCE_STATES,
            DECISIONS,
            ACTION_FAMILIES,
        ] {
            for (i, (value, label)) in table.iter().enumerate() {
                assert!(!value.is_empty() && !label.is_empty());
                assert!(table[i + 1..].iter().all(|(v, l)| v != value && l != label), "{value} repeats");
            }
        }
    }

    words! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Unit in SLA_UNITS { Hours, Days, BusinessDays }
    }

    #[test]
    fn an_enum_reads_its_words_from_its_table() {
        assert_eq!(Unit::BusinessDays.as_str(), "business_days");
        assert_eq!(Unit::BusinessDays.label(), "business days");
        assert_eq!(Unit::parse(" days"), Some(Unit::Days));
        assert_eq!(Unit::parse("weeks"), None);
        assert_eq!(label_of(SLA_UNITS, "hours"), Some("hours"));
        assert_eq!(label_of(SLA_UNITS, "minutes"), None);
    }
}
