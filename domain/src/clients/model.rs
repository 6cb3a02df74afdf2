//! Client types and the validation of client input.

use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, Utc};

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ImpactTier in vocabulary::IMPACT_TIERS {
        Standard,
        Sensitive,
        Critical,
    }
}

impl ImpactTier {
    /// The tiers' order, lowest impact first (for sorting). The portfolio priority's multiplier
    /// is not this but a setting of the score (`scoring::ScoreSettings`: 1, 1.25, 1.5).
    pub fn weight(self) -> i64 {
        match self {
            ImpactTier::Standard => 1,
            ImpactTier::Sensitive => 2,
            ImpactTier::Critical => 3,
        }
    }
}

/// A client's stable, URL-safe name: 2–64 of a–z, 0–9 and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

/// Slugs that would collide with fixed paths under /clients/.
const RESERVED_SLUGS: &[&str] = &["new", "edit", "import", "export"];

impl Slug {
    pub fn parse(s: &str) -> std::result::Result<Slug, String> {
        let s = s.trim();
        if s.len() < 2 || s.len() > 64 {
            return Err("Use 2 to 64 characters.".into());
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err("Use lowercase letters, digits and hyphens only.".into());
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err("Hyphens go between letters or digits, one at a time.".into());
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(format!("“{s}” is reserved; choose another slug."));
        }
        Ok(Slug(s.to_owned()))
    }

    /// Derives a slug from a client name: "Acme Dental, LLC" → "acme-dental-llc".
    pub fn from_name(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 64 {
                break;
            }
        }
        out.trim_end_matches('-').to_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person typed into the client form, before validation.
#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    pub name: String,
    /// Ignored on update: a slug is permanent so that links keep working.
    pub slug: String,
    pub impact_tier: String,
    pub sector: String,
    /// Comma-separated.
    pub tags: String,
    pub contact_name: String,
    pub contact_email: String,
    pub notes: String,
}

/// Client fields that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidClient {
    pub name: String,
    pub slug: Slug,
    pub impact_tier: ImpactTier,
    pub sector: String,
    pub tags: Vec<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub notes: String,
}

pub const MAX_NAME: usize = 120;
pub const MAX_SECTOR: usize = 60;
pub const MAX_CONTACT_NAME: usize = 120;
pub const MAX_EMAIL: usize = 254;
pub const MAX_NOTES: usize = 4000;
pub const MAX_TAGS: usize = 12;
pub const MAX_TAG: usize = 32;

impl ClientInput {
    /// Validates every field and reports all problems at once, each at its field.
    pub fn parse(&self) -> Result<ValidClient> {
        let mut errors = Vec::new();
        let name = clean_line(&self.name);
        if name.is_empty() {
            errors.push(FieldError::new("name", "Enter the client's name."));
        } else if name.chars().count() > MAX_NAME {
            errors.push(FieldError::new("name", format!("Use at most {MAX_NAME} characters.")));
        }

        let slug_text = if self.slug.trim().is_empty() { Slug::from_name(&name) } else { self.slug.trim().to_owned() };
        let slug = match Slug::parse(&slug_text) {
            Ok(slug) => Some(slug),
            Err(message) => {
                // An empty name already has its own message; a slug derived from it adds nothing.
                if !(self.slug.trim().is_empty() && name.is_empty()) {
                    errors.push(FieldError::new("slug", message));
                }
                None
            }
        };

        let impact_tier = ImpactTier::parse(&self.impact_tier);
        if impact_tier.is_none() {
            errors.push(FieldError::new("impact_tier", "Choose standard, sensitive or critical."));
        }

        let sector = clean_line(&self.sector);
        if sector.chars().count() > MAX_SECTOR {
            errors.push(FieldError::new("sector", format!("Use at most {MAX_SECTOR} characters.")));
        }

        let tags = match parse_tags(&self.tags) {
            Ok(tags) => tags,
            Err(message) => {
                errors.push(FieldError::new("tags", message));
                Vec::new()
            }
        };

        let contact_name = clean_line(&self.contact_name);
        if contact_name.chars().count() > MAX_CONTACT_NAME {
            errors.push(FieldError::new("contact_name", format!("Use at most {MAX_CONTACT_NAME} characters.")));
        }
        let contact_email = self.contact_email.trim().to_lowercase();
        if !contact_email.is_empty() && !looks_like_email(&contact_email) {
            errors.push(FieldError::new("contact_email", "Enter an email address like name@example.com."));
        }

        let notes = self.notes.trim().replace('\0', "");
        if notes.chars().count() > MAX_NOTES {
            errors.push(FieldError::new("notes", format!("Use at most {MAX_NOTES} characters.")));
        }

        match (errors.is_empty(), slug, impact_tier) {
            (true, Some(slug), Some(impact_tier)) => {
                Ok(ValidClient { name, slug, impact_tier, sector, tags, contact_name, contact_email, notes })
            }
            _ => Err(DomainError::Validation(errors)),
        }
    }
}

/// One line of text: trimmed, inner whitespace runs collapsed, control characters removed.
pub fn clean_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn parse_tags(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for raw in s.split(',') {
        let tag = raw.trim().to_lowercase().replace(' ', "-");
        if tag.is_empty() {
            continue;
        }
        if tag.len() > MAX_TAG || !tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(format!(
                "Tags use letters, digits and hyphens, at most {MAX_TAG} characters each (“{}” does not).",
                raw.trim().chars().take(40).collect::<String>()
            ));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(format!("Use at most {MAX_TAGS} tags."));
    }
    tags.sort();
    Ok(tags)
}

/// A deliberately plain check: one @, something before it, a dot in the domain, no spaces.
pub fn looks_like_email(s: &str) -> bool {
    if s.len() > MAX_EMAIL || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// A client as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub impact_tier: ImpactTier,
    pub sector: String,
    pub tags: Vec<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Incremented on every change; an update names the version it started from.
    pub version: i64,
}

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum ClientSort in vocabulary::CLIENT_SORTS {
        #[default]
        Name,
        NameDesc,
        /// Critical first, then by name.
        Tier,
        /// Most recently changed first.
        Updated,
    }
}

impl ClientSort {
    pub(crate) fn order_by(self) -> &'static str {
        match self {
            ClientSort::Name => "lower(c.name), c.id",
            ClientSort::NameDesc => "lower(c.name) DESC, c.id DESC",
            ClientSort::Tier => {
                "CASE c.impact_tier WHEN 'critical' THEN 0 WHEN 'sensitive' THEN 1 ELSE 2 END, lower(c.name), c.id"
            }
            ClientSort::Updated => "c.updated_at DESC, c.id DESC",
        }
    }
}

/// A list request. Text filters are exact values (tier, tag) or a free search.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    pub search: Option<String>,
    pub tier: Option<ImpactTier>,
    pub tag: Option<String>,
    pub include_archived: bool,
    pub sort: ClientSort,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone)]
pub struct ClientPage {
    pub items: Vec<Client>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// Client counts for the portfolio.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientCounts {
    pub active: i64,
    pub standard: i64,
    pub sensitive: i64,
    pub critical: i64,
    pub archived: i64,
}

impl ClientCounts {
    /// Counts one client of `tier`, or one archived (whatever its tier).
    pub(crate) fn count(&mut self, tier: ImpactTier, archived: bool) {
        if archived {
            self.archived += 1;
            return;
        }
        self.active += 1;
        match tier {
            ImpactTier::Standard => self.standard += 1,
            ImpactTier::Sensitive => self.sensitive += 1,
            ImpactTier::Critical => self.critical += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ClientInput {
        ClientInput {
            name: "  Acme   Dental ".into(),
            slug: String::new(),
            impact_tier: "sensitive".into(),
            sector: "Healthcare".into(),
            tags: "M365, hipaa, m365 ,".into(),
            contact_name: "Ada Byron".into(),
            contact_email: "Ada@Acme.example".into(),
            notes: "Front desk uses shared PCs.".into(),
        }
    }

    #[test]
    fn valid_input_is_cleaned_and_gets_a_slug_from_its_name() {
        let client = input().parse().expect("valid");
        assert_eq!(client.name, "Acme Dental");
        assert_eq!(client.slug.as_str(), "acme-dental");
        assert_eq!(client.impact_tier, ImpactTier::Sensitive);
        assert_eq!(client.tags, vec!["hipaa".to_string(), "m365".to_string()]);
        assert_eq!(client.contact_email, "ada@acme.example");
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let bad = ClientInput {
            name: String::new(),
            slug: "Bad Slug".into(),
            impact_tier: "extreme".into(),
            sector: "x".repeat(MAX_SECTOR + 1),
            tags: "ok, not/ok".into(),
            contact_name: String::new(),
            contact_email: "nobody".into(),
            notes: "n".repeat(MAX_NOTES + 1),
        };
        let Err(DomainError::Validation(errors)) = bad.parse() else { panic!("expected validation errors") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "slug", "impact_tier", "sector", "tags", "contact_email", "notes"]);
        assert_eq!(errors[0].message, "Enter the client's name.");
    }

    #[test]
    fn an_oversized_name_is_refused() {
        let long = ClientInput { name: "n".repeat(MAX_NAME + 1), slug: "long".into(), ..input() };
        assert!(matches!(long.parse(), Err(DomainError::Validation(e)) if e[0].field == "name"));
    }

    #[test]
    fn slugs_follow_the_rules() {
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["a", "-acme", "acme-", "ac--me", "Acme", "acme dental", "new", "ä-b", &"a".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(Slug::from_name("Acme Dental, LLC"), "acme-dental-llc");
        assert_eq!(Slug::from_name("  <script>  "), "script");
    }

    #[test]
    fn too_many_tags_are_refused() {
        let tags = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect::<Vec<_>>().join(",");
        assert!(parse_tags(&tags).is_err());
    }

    #[test]
    fn email_check_accepts_plain_addresses_only() {
        assert!(looks_like_email("ada@example.com"));
        for bad in ["ada", "@example.com", "ada@example", "ada@@example.com", "a da@example.com", "ada@.com"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn clean_line_collapses_whitespace_and_drops_control_characters() {
        assert_eq!(clean_line(" a\t b\n\0c "), "a b c");
    }
}
