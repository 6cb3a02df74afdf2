//! Settings, read from the environment (documented in docs/operations.md).

use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://rampart.db?mode=rwc";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

#[derive(Clone)]
pub struct Config {
    /// RAMPART_ADDR: where to listen.
    pub addr: SocketAddr,
    /// DATABASE_URL: a SQLite file (default) or postgres://…
    pub database_url: String,
    /// LEPTOS_SITE_ROOT: the built site (wasm, JS, CSS and public files).
    pub site_root: String,
    /// RAMPART_PUBLIC_URL: the address users reach Rampart at, e.g. https://rampart.example.com.
    /// When it is https, cookies are marked Secure; state-changing requests must come from it.
    pub public_url: Option<String>,
    /// RAMPART_SESSION_IDLE_MINUTES: a session ends after this long without a request.
    pub session_idle_minutes: i64,
    /// RAMPART_SESSION_MAX_HOURS: a session ends this long after sign-in, however active.
    pub session_max_hours: i64,
    /// RAMPART_CLIENT_IP_HEADER: behind a reverse proxy, the header in which it passes the
    /// client's address (e.g. X-Forwarded-For; its last entry is used, the one the proxy added).
    /// Unset: the peer address of the connection. Sign-in is throttled per client address.
    pub client_ip_header: Option<http::HeaderName>,
    /// RAMPART_MFA_REQUIRED_ROLES: roles that must set up two-factor sign-in (comma-separated,
    /// or "none"); signed in without it, they are sent to /account until they do.
    pub mfa_required_roles: Vec<domain::Role>,
    /// RAMPART_PASSKEY_REQUIRED_ROLES: roles that must use a passkey, not only an app
    /// (comma-separated, or "none", the default); until they add one they change nothing.
    pub passkey_required_roles: Vec<domain::Role>,
    /// RAMPART_TEST_CLOCK_FILE: for browser tests only, a file holding seconds to add to the
    /// clock (see domain/src/clock.rs). Never set it in production.
    pub test_clock_file: Option<std::path::PathBuf>,
    /// RAMPART_TIME_ZONE: the MSP's IANA time zone ("Europe/Berlin"), in which due days begin and
    /// end; UTC by default.
    pub time_zone: chrono_tz::Tz,
    /// RAMPART_INVITATION_DAYS: how long an invitation link works (1 to 90 days; 7 when unset).
    pub invitation_days: i64,
    /// RAMPART_MSP_NAME and RAMPART_MSP_LOGO_URL: the MSP's name and logo on every review pack.
    pub branding: Branding,
    /// RAMPART_SSO_ALLOW_LOOPBACK: for development and tests only, a single sign-on provider on
    /// this machine (127.0.0.1, localhost) may be used. Off: providers on loopback or link-local
    /// addresses are refused, whatever their discovery documents name.
    pub sso_allow_loopback: bool,
    /// RAMPART_AUDIT_SYSLOG, RAMPART_AUDIT_WEBHOOK_URL, RAMPART_AUDIT_WEBHOOK_SECRET: where the
    /// audit log is forwarded (see `domain::audit::forward`); its `Debug` hides the secret.
    pub audit_forwarding: domain::audit::forward::Settings,
}

/// The MSP's name and logo on every review pack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub name: String,
    /// An http(s) address or a path on this site; `None` without a logo.
    pub logo_url: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &domain::db::redact_url(&self.database_url))
            .field("site_root", &self.site_root)
            .field("public_url", &self.public_url)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_max_hours", &self.session_max_hours)
            .field("client_ip_header", &self.client_ip_header)
            .field("mfa_required_roles", &self.mfa_required_roles)
            .field("passkey_required_roles", &self.passkey_required_roles)
            .field("test_clock_file", &self.test_clock_file)
            .field("invitation_days", &self.invitation_days)
            .field("branding", &self.branding)
            .field("audit_forwarding", &self.audit_forwarding)
            .field("sso_allow_loopback", &self.sso_allow_loopback)
            .field("time_zone", &self.time_zone)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("RAMPART_ADDR {0:?} is not an address like 127.0.0.1:3000")]
    Addr(String),
    #[error("RAMPART_SESSION_IDLE_MINUTES {0:?} is not a number of minutes between 1 and 10080")]
    Idle(String),
    #[error("RAMPART_SESSION_MAX_HOURS {0:?} is not a number of hours between 1 and 720")]
    MaxHours(String),
    #[error("RAMPART_CLIENT_IP_HEADER {0:?} is not a header name like X-Forwarded-For")]
    ClientIpHeader(String),
    #[error("RAMPART_MFA_REQUIRED_ROLES {0:?} is not a list of roles like admin,manager (or none)")]
    MfaRoles(String),
    #[error("RAMPART_PASSKEY_REQUIRED_ROLES {0:?} is not a list of roles like admin (or none)")]
    PasskeyRoles(String),
    #[error("RAMPART_PUBLIC_URL {0:?} must start with http:// or https://")]
    PublicUrl(String),
    #[error("RAMPART_TIME_ZONE {0:?} is not a time zone name like Europe/Berlin or America/New_York")]
    TimeZone(String),
    #[error("RAMPART_INVITATION_DAYS {0:?} is not a number of days between 1 and 90")]
    InvitationDays(String),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let addr_text = var("RAMPART_ADDR").unwrap_or_else(|| DEFAULT_ADDR.into());
        let addr = addr_text.parse().map_err(|_| ConfigError::Addr(addr_text.clone()))?;
        let idle_text = var("RAMPART_SESSION_IDLE_MINUTES").unwrap_or_else(|| "60".into());
        let session_idle_minutes = idle_text
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=10_080).contains(m))
            .ok_or_else(|| ConfigError::Idle(idle_text.clone()))?;
        let max_text = var("RAMPART_SESSION_MAX_HOURS").unwrap_or_else(|| "12".into());
        let session_max_hours = max_text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=720).contains(h))
            .ok_or_else(|| ConfigError::MaxHours(max_text.clone()))?;
        let client_ip_header = match var("RAMPART_CLIENT_IP_HEADER") {
            None => None,
            Some(name) => Some(
                http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| ConfigError::ClientIpHeader(name))?,
            ),
        };
        let roles_text = var("RAMPART_MFA_REQUIRED_ROLES").unwrap_or_else(|| "admin,manager".into());
        let mfa_required_roles = parse_roles(&roles_text).ok_or(ConfigError::MfaRoles(roles_text.clone()))?;
        let passkey_text = var("RAMPART_PASSKEY_REQUIRED_ROLES").unwrap_or_else(|| "none".into());
        let passkey_required_roles =
            parse_roles(&passkey_text).ok_or(ConfigError::PasskeyRoles(passkey_text.clone()))?;
        let public_url = var("RAMPART_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(ConfigError::PublicUrl(url.clone()));
            }
        }
        Ok(Config {
            addr,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            public_url,
            session_idle_minutes,
            session_max_hours,
            client_ip_header,
            mfa_required_roles,
            passkey_required_roles,
            test_clock_file: var("RAMPART_TEST_CLOCK_FILE").map(std::path::PathBuf::from),
            time_zone: match var("RAMPART_TIME_ZONE") {
                None => chrono_tz::Tz::UTC,
                Some(name) => name.trim().parse().map_err(|_| ConfigError::TimeZone(name.clone()))?,
            },
            invitation_days: match var("RAMPART_INVITATION_DAYS") {
                None => domain::identity::invitations::DEFAULT_VALIDITY_DAYS,
                Some(text) => text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|d| (1..=90).contains(d))
                    .ok_or(ConfigError::InvitationDays(text))?,
            },
            branding: Branding {
                name: var("RAMPART_MSP_NAME").map(|v| v.trim().to_owned()).unwrap_or_else(|| "Rampart".into()),
                logo_url: var("RAMPART_MSP_LOGO_URL").map(|v| v.trim().to_owned()).filter(|u| {
                    u.starts_with("https://")
                        || u.starts_with("http://")
                        || (u.starts_with('/') && !u.starts_with("//"))
                }),
            },
            sso_allow_loopback: var("RAMPART_SSO_ALLOW_LOOPBACK")
                .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes")),
            audit_forwarding: domain::audit::forward::Settings {
                syslog: var("RAMPART_AUDIT_SYSLOG").map(|v| v.trim().to_owned()),
                webhook_url: var("RAMPART_AUDIT_WEBHOOK_URL").map(|v| v.trim().to_owned()),
                webhook_secret: var("RAMPART_AUDIT_WEBHOOK_SECRET").map(|v| v.trim().to_owned()),
            },
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The address users reach Rampart at, for the links it writes (invitations, calendar
    /// feeds, single sign-on's return address): RAMPART_PUBLIC_URL, or the address it listens
    /// on. Never guessed from a request's headers, which a client writes.
    pub fn public_base(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.addr))
    }
}

/// "admin,manager" → those roles; "none" → no role.
fn parse_roles(text: &str) -> Option<Vec<domain::Role>> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Some(Vec::new());
    }
    text.split(',').map(domain::Role::parse).collect()
}

/// RAMPART_MIGRATION_DATABASE_URL: on PostgreSQL, the role that owns the tables, used only to
/// apply migrations at start; DATABASE_URL then names the application's own role, which does not
/// own them, so that row-level security binds it. Unset: DATABASE_URL's role does both. Read
/// here rather than kept in [`Config`], so that no log line can ever show its password.
pub fn migration_database_url() -> Option<String> {
    std::env::var("RAMPART_MIGRATION_DATABASE_URL").ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: Option<&str>) -> Config {
        Config {
            addr: DEFAULT_ADDR.parse().expect("a valid default"),
            database_url: "postgres://rampart:hunter2@db/rampart".into(),
            site_root: "target/site".into(),
            public_url: public_url.map(str::to_owned),
            session_idle_minutes: 60,
            session_max_hours: 12,
            client_ip_header: None,
            mfa_required_roles: Vec::new(),
            passkey_required_roles: Vec::new(),
            test_clock_file: None,
            time_zone: chrono_tz::Tz::UTC,
            invitation_days: 7,
            branding: Branding::default(),
            audit_forwarding: Default::default(),
            sso_allow_loopback: false,
        }
    }

    #[test]
    fn cookies_are_secure_exactly_when_served_over_https() {
        assert!(config(Some("https://rampart.example.com")).secure_cookies());
        assert!(!config(Some("http://127.0.0.1:3000")).secure_cookies());
        assert!(!config(None).secure_cookies());
    }

    #[test]
    fn mfa_roles_are_a_list_or_none() {
        assert_eq!(parse_roles("admin, manager"), Some(vec![domain::Role::Admin, domain::Role::Manager]));
        assert_eq!(parse_roles("none"), Some(Vec::new()));
        assert_eq!(parse_roles("admin,boss"), None);
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let shown = format!("{:?}", config(None));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("rampart:***@db"), "{shown}");
    }
}
