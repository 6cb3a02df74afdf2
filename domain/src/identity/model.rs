//! Users, e-mail addresses and passwords.

use crate::authz::Role;
use crate::clients::model::looks_like_email;
use chrono::{DateTime, Utc};

/// A lower-cased, plausible e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, String> {
        let s = s.trim().to_lowercase();
        if looks_like_email(&s) {
            Ok(Email(s))
        } else {
            Err("Enter an email address like name@example.com.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Passwords: long enough to resist guessing, short enough that hashing cannot be abused to
/// burn CPU.
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;

pub fn check_password_policy(password: &str, email: &Email) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(format!("Use at least {MIN_PASSWORD} characters."));
    }
    if n > MAX_PASSWORD {
        return Err(format!("Use at most {MAX_PASSWORD} characters."));
    }
    if password.to_lowercase() == email.as_str() {
        return Err("The password must not be the email address.".into());
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The client of a client viewer.
    pub client_id: Option<i64>,
    pub client_slug: Option<String>,
    /// For technicians: false when restricted to assigned clients.
    pub all_clients: bool,
    /// Slugs of the assigned clients of a restricted technician.
    pub assigned: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Whether the user has set up two-factor sign-in (their app's first code was confirmed,
    /// or they registered a passkey).
    pub two_factor: bool,
    /// Whether the user has registered a passkey.
    pub passkey: bool,
}

/// A new user, as asked for by an admin or the command line.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// A client viewer's client, or a restricted technician's assigned clients (slugs).
    pub clients: Vec<String>,
    pub password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        assert!(Email::parse("not an email").is_err());
    }

    #[test]
    fn password_policy_refuses_short_long_and_email_passwords() {
        let email = Email::parse("ada@example.com").unwrap();
        assert!(check_password_policy("short", &email).is_err());
        assert!(check_password_policy(&"x".repeat(MAX_PASSWORD + 1), &email).is_err());
        assert!(check_password_policy("ADA@example.com", &email).is_err());
        assert!(check_password_policy("correct horse battery", &email).is_ok());
    }
}
