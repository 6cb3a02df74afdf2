//! Single sign-on settings, their validation, and the pure decisions of a sign-in: which e-mail
//! domains may sign in, which role a claim maps to, whether the provider's MFA counts.

use crate::authz::Role;
use crate::clients::model::{clean_line, looks_like_email};
use crate::error::FieldError;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};

/// Roles that single sign-on may give: client viewers belong to a client and are never created
/// or changed through the MSP's own provider.
pub const SSO_ROLES: [Role; 4] = [Role::Admin, Role::Manager, Role::Technician, Role::Auditor];

/// Limits of the inputs.
const MAX_NAME: usize = 60;
const MAX_URL: usize = 500;
const MAX_CLIENT_ID: usize = 300;
const MAX_SECRET: usize = 1000;
const MAX_DOMAINS: usize = 50;
const MAX_MAPPINGS: usize = 100;
const MAX_CLAIM_VALUE: usize = 200;

/// The provider an admin configured.
#[derive(Clone, PartialEq)]
pub struct SsoSettings {
    /// Whether the sign-in button is shown and sign-ins are accepted.
    pub enabled: bool,
    /// Shown on the button: "Sign in with {display_name}".
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Sent to the token endpoint only; never shown, logged or sent to a browser.
    pub client_secret: String,
    /// Lower-case e-mail domains that may sign in; empty: any the provider vouches for.
    pub allowed_domains: Vec<String>,
    /// The claim whose value (a string or a list of strings, such as `groups`) gives the role;
    /// empty: no mapping (existing users keep their role).
    pub role_claim: String,
    /// (claim value, role) in order: the first value the user has wins.
    pub role_mapping: Vec<(String, Role)>,
    /// Create a user at their first sign-in (off unless the admin turns it on).
    pub jit_enabled: bool,
    /// The role of a user created at first sign-in when no mapping gives one.
    pub jit_role: Role,
    /// An ID token whose `amr` claim says "mfa" stands for Rampart's own two-factor code.
    pub trust_provider_mfa: bool,
    pub version: i64,
    pub updated: Option<(DateTime<Utc>, String)>,
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings")
            .field("enabled", &self.enabled)
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &if self.client_secret.is_empty() { "(none)" } else { "***" })
            .field("allowed_domains", &self.allowed_domains)
            .field("role_claim", &self.role_claim)
            .field("role_mapping", &self.role_mapping)
            .field("jit_enabled", &self.jit_enabled)
            .field("jit_role", &self.jit_role)
            .field("trust_provider_mfa", &self.trust_provider_mfa)
            .field("version", &self.version)
            .finish()
    }
}

impl SsoSettings {
    /// The domain list as an admin types it.
    pub fn domains_text(&self) -> String {
        self.allowed_domains.join(", ")
    }

    /// The mapping as an admin types it: one "value = role" a line.
    pub fn mapping_text(&self) -> String {
        self.role_mapping
            .iter()
            .map(|(value, role)| format!("{value} = {}", role.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether an e-mail address may sign in (its domain is allowed, or every domain is).
    pub fn allows_email(&self, email: &str) -> bool {
        let Some((_, domain)) = email.rsplit_once('@') else { return false };
        self.allowed_domains.is_empty() || self.allowed_domains.iter().any(|d| d == &domain.to_lowercase())
    }

    /// The role the provider's claim maps to: the first line of the mapping whose value the
    /// claim holds (a string, or a list of strings). `None` when no line matches, or when no
    /// claim is configured.
    pub fn mapped_role(&self, claim: Option<&serde_json::Value>) -> Option<Role> {
        if self.role_claim.is_empty() {
            return None;
        }
        let values: Vec<String> = match claim? {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            serde_json::Value::Number(n) => vec![n.to_string()],
            _ => Vec::new(),
        };
        self.role_mapping.iter().find(|(value, _)| values.iter().any(|v| v == value)).map(|(_, role)| *role)
    }

    /// Whether the provider's authentication methods (`amr`) count as two factors: only when
    /// the admin trusts the provider for it and the token says "mfa" (RFC 8176).
    pub fn provider_did_mfa(&self, amr: &[String]) -> bool {
        self.trust_provider_mfa && amr.iter().any(|m| m == "mfa")
    }
}

/// Settings as an admin enters them (every field text, as a form sends it).
#[derive(Clone, Default)]
pub struct SsoInput {
    pub enabled: bool,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Empty keeps the secret already stored.
    pub client_secret: String,
    pub allowed_domains: String,
    pub role_claim: String,
    pub role_mapping: String,
    pub jit_enabled: bool,
    pub jit_role: String,
    pub trust_provider_mfa: bool,
    /// The version the admin started from (0 when nothing was stored yet).
    pub version: i64,
}

impl std::fmt::Debug for SsoInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoInput")
            .field("enabled", &self.enabled)
            .field("display_name", &self.display_name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &if self.client_secret.is_empty() { "(keep)" } else { "***" })
            .finish_non_exhaustive()
    }
}

/// Checks an issuer address: https, or http on this machine only (for tests); no query, no
/// fragment, no user name; and never one of Microsoft's multi-tenant endpoints, which would let
/// anyone with any Microsoft account through.
pub fn parse_issuer(text: &str, loopback_allowed: bool) -> Result<String, String> {
    // Kept exactly as typed (less spaces): the provider's metadata must name the same issuer,
    // trailing slash and all.
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the issuer's address, like https://login.example.com/realms/msp.".into());
    }
    if text.chars().count() > MAX_URL {
        return Err(format!("Use at most {MAX_URL} characters."));
    }
    let Ok(url) = openidconnect::url::Url::parse(text) else {
        return Err("Enter the issuer's address, like https://login.example.com/realms/msp.".into());
    };
    let host = url.host_str().unwrap_or("");
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("The issuer's address must start with https://.".into()),
    }
    if loopback && !loopback_allowed {
        return Err("A provider on this machine is for development only; enter the provider's own address.".into());
    }
    if host.is_empty() || !url.username().is_empty() || url.password().is_some() {
        return Err("Enter the issuer's address without a user name or password.".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("Enter the issuer's address without ? or #.".into());
    }
    if host.eq_ignore_ascii_case("login.microsoftonline.com") {
        let tenant = url.path_segments().and_then(|mut s| s.next()).unwrap_or("").to_lowercase();
        if matches!(tenant.as_str(), "common" | "organizations" | "consumers" | "") {
            return Err(
                "Use your own tenant's issuer (https://login.microsoftonline.com/<tenant id>/v2.0), not common, organizations or consumers."
                    .into(),
            );
        }
    }
    Ok(text.to_owned())
}

fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let mut domains: Vec<String> = Vec::new();
    for part in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        let domain = part.trim_start_matches('@').to_lowercase();
        let valid = domain.contains('.')
            && domain.len() <= 253
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(format!("“{part}” is not a domain like example.com."));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > MAX_DOMAINS {
        return Err(format!("Name at most {MAX_DOMAINS} domains."));
    }
    Ok(domains)
}

fn parse_sso_role(text: &str) -> Option<Role> {
    Role::parse(&text.trim().to_lowercase()).filter(|r| SSO_ROLES.contains(r))
}

fn parse_mapping(text: &str) -> Result<Vec<(String, Role)>, String> {
    let mut mapping = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(n, l)| (n + 1, l.trim())).filter(|(_, l)| !l.is_empty()) {
        let Some((value, role)) = line.rsplit_once('=') else {
            return Err(format!("Line {n}: write “value = role”, like “rampart-admins = admin”."));
        };
        let value = value.trim();
        if value.is_empty() || value.chars().count() > MAX_CLAIM_VALUE || value.chars().any(char::is_control) {
            return Err(format!("Line {n}: the value must be 1 to {MAX_CLAIM_VALUE} characters."));
        }
        let Some(role) = parse_sso_role(role) else {
            return Err(format!("Line {n}: the role must be admin, manager, technician or auditor."));
        };
        mapping.push((value.to_owned(), role));
    }
    if mapping.len() > MAX_MAPPINGS {
        return Err(format!("Use at most {MAX_MAPPINGS} lines."));
    }
    Ok(mapping)
}

/// Whether providers on this machine's addresses may be used: for development and tests only
/// (`RAMPART_SSO_ALLOW_LOOPBACK`), set once at start.
static ALLOW_LOOPBACK: AtomicBool = AtomicBool::new(false);

/// Allows (or not) providers on loopback addresses, from the server's settings.
pub fn allow_loopback(allowed: bool) {
    ALLOW_LOOPBACK.store(allowed, Ordering::Relaxed);
}

pub fn loopback_allowed() -> bool {
    ALLOW_LOOPBACK.load(Ordering::Relaxed)
}

/// Validates an admin's input against what is stored (whose secret an empty secret keeps).
pub fn validate(input: &SsoInput, stored: Option<&SsoSettings>) -> Result<SsoSettings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let display_name = clean_line(&input.display_name);
    if display_name.is_empty() || display_name.chars().count() > MAX_NAME {
        errors
            .push(FieldError::new("display_name", format!("Enter a name of 1 to {MAX_NAME} characters, like “Okta”.")));
    }
    let issuer = parse_issuer(&input.issuer, loopback_allowed())
        .map_err(|m| errors.push(FieldError::new("issuer", m)))
        .unwrap_or_default();
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty()
        || client_id.chars().count() > MAX_CLIENT_ID
        || client_id.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(FieldError::new("client_id", "Enter the client id the provider gave Rampart (no spaces)."));
    }
    let secret = input.client_secret.trim();
    let client_secret = if secret.is_empty() {
        stored.map(|s| s.client_secret.clone()).unwrap_or_default()
    } else if secret.chars().count() > MAX_SECRET || secret.chars().any(char::is_control) {
        errors.push(FieldError::new("client_secret", format!("Use at most {MAX_SECRET} characters, on one line.")));
        String::new()
    } else {
        secret.to_owned()
    };
    let allowed_domains = parse_domains(&input.allowed_domains)
        .map_err(|m| errors.push(FieldError::new("allowed_domains", m)))
        .unwrap_or_default();
    let role_claim = input.role_claim.trim().to_owned();
    if role_claim.chars().count() > 100
        || !role_claim.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'))
    {
        errors.push(FieldError::new("role_claim", "Enter a claim name like groups or roles, or leave it empty."));
    }
    let role_mapping = parse_mapping(&input.role_mapping)
        .map_err(|m| errors.push(FieldError::new("role_mapping", m)))
        .unwrap_or_default();
    if role_claim.is_empty() && !role_mapping.is_empty() {
        errors.push(FieldError::new("role_claim", "Name the claim that the role mapping reads."));
    }
    if !role_claim.is_empty() && input.role_mapping.trim().is_empty() {
        errors.push(FieldError::new("role_mapping", "Map at least one value of the claim to a role."));
    }
    if input.jit_enabled && input.allowed_domains.trim().is_empty() {
        errors.push(FieldError::new(
            "allowed_domains",
            "Name the domains whose people may get an account at their first sign-in.",
        ));
    }
    let jit_role = match parse_sso_role(&input.jit_role) {
        Some(role) => role,
        None => {
            errors.push(FieldError::new("jit_role", "Choose admin, manager, technician or auditor."));
            Role::Technician
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SsoSettings {
        enabled: input.enabled,
        display_name,
        issuer,
        client_id,
        client_secret,
        allowed_domains,
        role_claim,
        role_mapping,
        jit_enabled: input.jit_enabled,
        jit_role,
        trust_provider_mfa: input.trust_provider_mfa,
        version: input.version,
        updated: None,
    })
}

/// The e-mail address a sign-in names, and whether the provider verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouched {
    pub email: String,
    /// The `email` claim with `email_verified: true`. Only a verified address may be linked to
    /// an existing account: some providers let a user set any address (the "nOAuth" flaw), and
    /// a missing `email_verified` is no promise.
    pub verified: bool,
}

/// The e-mail address a sign-in names: the `email` claim, else `preferred_username` when it is
/// an address (Microsoft Entra ID sends that; never verified). `None` when the provider says
/// the address is not verified, or gives none.
pub fn vouched_email(email: Option<&str>, verified: Option<bool>, preferred_username: Option<&str>) -> Option<Vouched> {
    if verified == Some(false) {
        return None;
    }
    let (candidate, verified) = match email {
        Some(email) => (email, verified == Some(true)),
        None => (preferred_username?, false),
    };
    let candidate = candidate.trim().to_lowercase();
    looks_like_email(&candidate).then_some(Vouched { email: candidate, verified })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> SsoInput {
        SsoInput {
            enabled: true,
            display_name: "Okta".into(),
            issuer: " https://msp.okta.com ".into(),
            client_id: "0oa1".into(),
            client_secret: "s3cret".into(),
            allowed_domains: "msp.example, @Other.Example".into(),
            role_claim: "groups".into(),
            role_mapping: "rampart-admins = admin\nrampart-managers=manager\n".into(),
            jit_enabled: false,
            jit_role: "technician".into(),
            trust_provider_mfa: false,
            version: 0,
        }
    }

    #[test]
    fn valid_settings_are_normalised() {
        let s = validate(&input(), None).unwrap();
        assert_eq!(s.issuer, "https://msp.okta.com");
        assert_eq!(s.allowed_domains, vec!["msp.example", "other.example"]);
        assert_eq!(
            s.role_mapping,
            vec![("rampart-admins".into(), Role::Admin), ("rampart-managers".into(), Role::Manager)]
        );
        assert_eq!(s.mapping_text(), "rampart-admins = admin\nrampart-managers = manager");
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one_and_the_secret_is_never_debug_printed() {
        let stored = validate(&input(), None).unwrap();
        let kept = validate(&SsoInput { client_secret: String::new(), ..input() }, Some(&stored)).unwrap();
        assert_eq!(kept.client_secret, "s3cret");
        assert!(!format!("{kept:?}").contains("s3cret"));
        assert!(!format!("{:?}", input()).contains("s3cret"));
    }

    #[test]
    fn bad_input_names_each_field() {
        let bad = SsoInput {
            display_name: " ".into(),
            issuer: "ftp://x".into(),
            client_id: "has space".into(),
            allowed_domains: "not a domain!".into(),
            role_claim: "groups".into(),
            role_mapping: "admins = client_viewer".into(),
            jit_role: "client_viewer".into(),
            ..input()
        };
        let errors = validate(&bad, None).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in ["display_name", "issuer", "client_id", "allowed_domains", "role_mapping", "jit_role"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
    }

    #[test]
    fn issuers_are_https_or_loopback_and_never_a_microsoft_multi_tenant_endpoint() {
        let parse = |text| parse_issuer(text, false);
        assert!(parse("https://login.microsoftonline.com/2f1c0e4a-0000-4000-8000-000000000000/v2.0").is_ok());
        // This machine only where development allows it.
        assert!(parse_issuer("http://127.0.0.1:4010", true).is_ok());
        assert!(parse("http://127.0.0.1:4010").is_err());
        assert!(parse("https://localhost:8443").is_err());
        for bad in [
            "http://idp.example.com",
            "https://login.microsoftonline.com/common/v2.0",
            "https://login.microsoftonline.com/organizations/v2.0",
            "https://user:pw@idp.example.com",
            "https://idp.example.com/?tenant=1",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mapping_needs_its_claim_and_a_claim_its_mapping() {
        assert!(validate(&SsoInput { role_claim: String::new(), ..input() }, None).is_err());
        assert!(validate(&SsoInput { role_mapping: String::new(), ..input() }, None).is_err());
        let none = validate(&SsoInput { role_claim: String::new(), role_mapping: String::new(), ..input() }, None);
        assert!(none.unwrap().role_mapping.is_empty());
    }

    #[test]
    fn the_first_mapping_line_the_user_matches_wins() {
        let s = validate(&input(), None).unwrap();
        assert_eq!(s.mapped_role(Some(&json!(["staff", "rampart-managers", "rampart-admins"]))), Some(Role::Admin));
        assert_eq!(s.mapped_role(Some(&json!("rampart-managers"))), Some(Role::Manager));
        assert_eq!(s.mapped_role(Some(&json!(["staff"]))), None);
        assert_eq!(s.mapped_role(None), None);
        assert_eq!(s.mapped_role(Some(&json!({"rampart-admins": true}))), None);
    }

    #[test]
    fn domains_are_matched_exactly() {
        let s = validate(&input(), None).unwrap();
        assert!(s.allows_email("ada@msp.example"));
        assert!(s.allows_email("ada@other.example"));
        assert!(!s.allows_email("ada@evil-msp.example"));
        assert!(!s.allows_email("ada@sub.msp.example"));
        let any = SsoSettings { allowed_domains: Vec::new(), ..s };
        assert!(any.allows_email("ada@anything.example"));
    }

    #[test]
    fn provider_mfa_counts_only_when_trusted_and_stated() {
        let s = validate(&input(), None).unwrap();
        let amr = vec!["pwd".to_string(), "mfa".to_string()];
        assert!(!s.provider_did_mfa(&amr));
        let trusting = SsoSettings { trust_provider_mfa: true, ..s };
        assert!(trusting.provider_did_mfa(&amr));
        assert!(!trusting.provider_did_mfa(&["pwd".to_string()]));
    }

    #[test]
    fn only_an_address_verified_in_so_many_words_counts_as_verified() {
        let vouched = |email: &str, verified| Some(Vouched { email: email.into(), verified });
        assert_eq!(vouched_email(Some("Ada@MSP.example"), Some(true), None), vouched("ada@msp.example", true));
        assert_eq!(vouched_email(Some("ada@msp.example"), Some(false), None), None);
        assert_eq!(vouched_email(Some("ada@msp.example"), None, None), vouched("ada@msp.example", false));
        assert_eq!(vouched_email(None, None, Some("ada@msp.example")), vouched("ada@msp.example", false));
        assert_eq!(vouched_email(None, Some(true), Some("ada@msp.example")), vouched("ada@msp.example", false));
        assert_eq!(vouched_email(None, None, Some("ada")), None);
    }

    #[test]
    fn accounts_made_at_first_sign_in_need_allowed_domains() {
        let open = SsoInput { jit_enabled: true, allowed_domains: " ".into(), ..input() };
        let errors = validate(&open, None).unwrap_err();
        assert!(errors.iter().any(|e| e.field == "allowed_domains"), "{errors:?}");
        assert!(validate(&SsoInput { jit_enabled: true, ..input() }, None).is_ok());
    }
}
