//! What the audit viewer receives: only the fields it shows.

use crate::time::When;
use serde::{Deserialize, Serialize};

/// The viewer's query string, as the page and the server function share it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// A client's slug.
    pub client: Option<String>,
    /// Part of the actor's e-mail address.
    pub actor: Option<String>,
    /// An action ("grant.revoke") or a family ("grant").
    pub action: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub to: Option<String>,
    pub page: Option<u32>,
    /// Recompute the whole chain as well.
    pub verify: bool,
}

impl AuditQuery {
    /// The filters as query pairs (no page, no verify): shared by links and the export.
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (key, value) in [
            ("client", &self.client),
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.trim().is_empty()) {
                pairs.push((key, v.clone()));
            }
        }
        pairs
    }

    pub fn is_filtered(&self) -> bool {
        !self.filter_pairs().is_empty()
    }

    /// This page's address with `change` applied (chips, pager).
    pub fn href(&self, change: impl FnOnce(&mut AuditQuery)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let mut pairs = next.filter_pairs();
        if let Some(p) = next.page.filter(|p| *p > 1) {
            pairs.push(("page", p.to_string()));
        }
        if next.verify {
            pairs.push(("verify", "1".into()));
        }
        with_query("/audit", pairs)
    }

    /// The CSV export of what the filters select (every page).
    pub fn export_href(&self) -> String {
        with_query("/audit/export.csv", self.filter_pairs())
    }
}

fn with_query(path: &str, pairs: Vec<(&str, String)>) -> String {
    if pairs.is_empty() {
        return path.into();
    }
    let query: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={}", crate::html::encode_query(&v))).collect();
    format!("{path}?{}", query.join("&"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: When,
    pub actor: String,
    pub action: String,
    /// (slug, name) of the client concerned.
    pub client: Option<(String, String)>,
    pub object: String,
    pub summary: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub entries: i64,
    /// The first broken entry and why.
    pub broken: Option<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    /// Every client (slug, name), for the filter.
    pub clients: Vec<(String, String)>,
    pub head_seq: i64,
    pub head_hash: String,
    pub verification: Option<Verification>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_the_export_drops_page_and_verify() {
        let q = AuditQuery {
            client: Some("acme".into()),
            action: Some("grant".into()),
            actor: Some("a b&c".into()),
            page: Some(3),
            verify: true,
            ..Default::default()
        };
        assert_eq!(q.href(|_| {}), "/audit?client=acme&actor=a%20b%26c&action=grant&page=3&verify=1");
        assert_eq!(q.href(|n| n.client = None), "/audit?actor=a%20b%26c&action=grant&page=3&verify=1");
        assert_eq!(q.export_href(), "/audit/export.csv?client=acme&actor=a%20b%26c&action=grant");
        assert_eq!(AuditQuery::default().href(|_| {}), "/audit");
        assert!(!AuditQuery { client: Some(" ".into()), ..Default::default() }.is_filtered());
    }
}
