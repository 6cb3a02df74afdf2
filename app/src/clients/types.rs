//! What the client pages receive: only the fields they show.

use crate::time::When;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSummary {
    pub slug: String,
    pub name: String,
    pub impact_tier: String,
    pub sector: String,
    pub tags: Vec<String>,
    pub contact_name: String,
    pub archived: bool,
    pub updated: When,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientList {
    pub items: Vec<ClientSummary>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    /// Tags in use, for the tag filter.
    pub tags: Vec<String>,
    pub can_create: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDetail {
    pub slug: String,
    pub name: String,
    pub impact_tier: String,
    pub sector: String,
    pub tags: Vec<String>,
    pub contact_name: String,
    pub contact_email: String,
    /// Internal notes; absent for those who may not read them (the client portal).
    pub notes: Option<String>,
    pub created: When,
    pub updated: When,
    pub archived: Option<When>,
    pub version: i64,
    pub can_edit: bool,
    pub can_archive: bool,
}

/// The list's query string, as the page and the server function share it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientQuery {
    pub q: Option<String>,
    pub tier: Option<String>,
    pub tag: Option<String>,
    pub sort: Option<String>,
    pub archived: bool,
    pub page: Option<u32>,
}

impl ClientQuery {
    /// The query string for this list with `change` applied (used by sort links, chips, pager).
    pub fn href(&self, change: impl FnOnce(&mut ClientQuery)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(q) = next.q.as_ref().filter(|s| !s.is_empty()) {
            pairs.push(("q", q.clone()));
        }
        if let Some(t) = next.tier.as_ref().filter(|s| !s.is_empty()) {
            pairs.push(("tier", t.clone()));
        }
        if let Some(t) = next.tag.as_ref().filter(|s| !s.is_empty()) {
            pairs.push(("tag", t.clone()));
        }
        if let Some(s) = next.sort.as_ref().filter(|s| !s.is_empty()) {
            pairs.push(("sort", s.clone()));
        }
        if next.archived {
            pairs.push(("archived", "1".into()));
        }
        if let Some(p) = next.page.filter(|p| *p > 1) {
            pairs.push(("page", p.to_string()));
        }
        if pairs.is_empty() {
            return "/clients".into();
        }
        let query: Vec<String> =
            pairs.into_iter().map(|(k, v)| format!("{k}={}", crate::html::encode_query(&v))).collect();
        format!("/clients?{}", query.join("&"))
    }
}

pub fn tier_label(tier: &str) -> &'static str {
    vocabulary::label_of(vocabulary::IMPACT_TIERS, tier).unwrap_or("Unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_keep_filters_and_encode_values() {
        let query =
            ClientQuery { q: Some("a&b c".into()), tier: Some("critical".into()), page: Some(3), ..Default::default() };
        assert_eq!(query.href(|_| {}), "/clients?q=a%26b%20c&tier=critical&page=3");
        assert_eq!(query.href(|q| q.tier = None), "/clients?q=a%26b%20c&page=3");
        assert_eq!(ClientQuery::default().href(|_| {}), "/clients");
    }
}
