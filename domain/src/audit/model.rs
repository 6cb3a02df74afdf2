//! Audit entries, their canonical form and the SHA-256 chain.
//!
//! An entry's hash covers every field but itself, in a fixed order, serialised as one JSON
//! array (deterministic: strings are escaped one way, numbers have one form). The previous
//! entry's hash is one of those fields, so changing any entry changes every hash after it.

use crate::authz::Actor;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the canonical form, so that a later format can never collide with this one.
const FORMAT: &str = "rampart-audit-1";

/// The longest summary kept; longer ones are cut (the change itself is in its table).
pub const MAX_SUMMARY: usize = 2000;
const MAX_LABEL: usize = 254;

/// What a service records about one change (or sign-in, sign-out, export). The store adds the
/// sequence number, the time and the hashes when it appends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub actor_user_id: Option<i64>,
    /// The actor's e-mail address (or, for a failed sign-in, the address tried).
    pub actor: String,
    /// A dotted name: "client.update", "grant.revoke", "auth.sign_in_failed".
    pub action: &'static str,
    /// The client concerned, if the change concerns one client.
    pub client_id: Option<i64>,
    /// What changed, as kind:key ("client:acme-dental", "grant:17").
    pub object: String,
    /// Before → after, in words.
    pub summary: String,
}

impl Record {
    /// A record of something `actor` did.
    pub fn by(actor: &Actor, action: &'static str, object: impl Into<String>) -> Record {
        Record {
            actor_user_id: actor.user_id,
            actor: clean(&actor.email, MAX_LABEL),
            action,
            client_id: None,
            object: clean(&object.into(), MAX_LABEL),
            summary: String::new(),
        }
    }

    /// A record of something Rampart did by itself (loading the built-in catalog at start).
    pub fn system(action: &'static str, object: impl Into<String>) -> Record {
        Record {
            actor_user_id: None,
            actor: "system".into(),
            action,
            client_id: None,
            object: clean(&object.into(), MAX_LABEL),
            summary: String::new(),
        }
    }

    /// A record made before anyone is signed in: `label` says who tried (an e-mail address).
    pub fn anonymous(label: &str, action: &'static str, object: impl Into<String>) -> Record {
        Record {
            actor_user_id: None,
            actor: clean(label, MAX_LABEL),
            action,
            client_id: None,
            object: clean(&object.into(), MAX_LABEL),
            summary: String::new(),
        }
    }

    pub fn client(mut self, client_id: i64) -> Record {
        self.client_id = Some(client_id);
        self
    }

    pub fn summary(mut self, summary: impl Into<String>) -> Record {
        self.summary = clean(&summary.into(), MAX_SUMMARY);
        self
    }
}

/// Control characters out (a line break in a sign-in address must not forge a log line), and
/// at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    let cleaned: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() > max {
        let mut cut: String = trimmed.chars().take(max - 1).collect();
        cut.push('…');
        cut
    } else {
        trimmed.to_owned()
    }
}

/// One entry of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    #[serde(serialize_with = "serialize_at")]
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub client_id: Option<i64>,
    pub object: String,
    pub action: String,
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

fn serialize_at<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(*at))
}

/// The time as hashed and forwarded: UTC, microseconds (what PostgreSQL keeps).
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A time as an entry keeps it: cut to microseconds, so that both databases return exactly
/// what was hashed.
pub fn entry_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

impl Entry {
    /// The entry that follows `prev_seq`/`prev_hash`, with its hash.
    pub fn next(prev_seq: i64, prev_hash: &str, record: &Record, at: DateTime<Utc>) -> Entry {
        let mut entry = Entry {
            seq: prev_seq + 1,
            at: entry_time(at),
            actor_user_id: record.actor_user_id,
            actor: record.actor.clone(),
            client_id: record.client_id,
            object: record.object.clone(),
            action: record.action.to_owned(),
            summary: record.summary.clone(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The bytes that are hashed: every field but the hash, in a fixed order.
    pub fn canonical(&self) -> String {
        let fields = (
            FORMAT,
            self.seq,
            timestamp(self.at),
            self.actor_user_id,
            &self.actor,
            self.client_id,
            &self.object,
            &self.action,
            &self.summary,
            &self.prev_hash,
        );
        serde_json::to_string(&fields).expect("a tuple of strings and numbers always serialises")
    }

    pub fn compute_hash(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }

    /// The entry as one line of JSON (what syslog and webhooks receive). `id` is the hash: a
    /// duplicate delivery carries the same id.
    pub fn to_json_line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            id: &'a str,
            #[serde(flatten)]
            entry: &'a Entry,
        }
        serde_json::to_string(&Line { id: &self.hash, entry: self }).expect("an entry always serialises")
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Describes a change field by field: only what differs, as `field: before → after`.
#[derive(Debug, Default)]
pub struct Diff {
    parts: Vec<String>,
}

impl Diff {
    pub fn new() -> Diff {
        Diff::default()
    }

    /// A field whose values may be shown.
    pub fn field(mut self, name: &str, before: &str, after: &str) -> Diff {
        if before != after {
            self.parts.push(format!("{name}: {} → {}", shown(before), shown(after)));
        }
        self
    }

    /// A field whose content stays out of the log (internal notes, evidence): only that it
    /// changed.
    pub fn hidden(mut self, name: &str, before: &str, after: &str) -> Diff {
        if before != after {
            self.parts.push(format!("{name} changed"));
        }
        self
    }

    /// A fact worth saying whether or not a field changed.
    pub fn note(mut self, text: impl Into<String>) -> Diff {
        self.parts.push(text.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    pub fn finish(self) -> String {
        if self.parts.is_empty() {
            "no field changed".into()
        } else {
            self.parts.join("; ")
        }
    }
}

/// A value as the log shows it: quoted, cut at 120 characters; empty as "(empty)".
fn shown(value: &str) -> String {
    if value.is_empty() {
        return "(empty)".into();
    }
    let mut v: String = value.chars().take(120).collect();
    if value.chars().count() > 120 {
        v.push('…');
    }
    format!("“{v}”")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record() -> Record {
        Record {
            actor_user_id: Some(3),
            actor: "ada@example.test".into(),
            action: "client.update",
            client_id: Some(7),
            object: "client:acme".into(),
            summary: "name: “A” → “B”".into(),
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789)
    }

    #[test]
    fn the_first_entry_follows_the_genesis_hash_and_times_are_cut_to_microseconds() {
        let e = Entry::next(0, GENESIS_HASH, &record(), at());
        assert_eq!(e.seq, 1);
        assert_eq!(e.prev_hash, GENESIS_HASH);
        assert_eq!(timestamp(e.at), "2026-03-01T12:00:00.123456Z");
        assert_eq!(e.hash.len(), 64);
        assert_eq!(e.hash, e.compute_hash());
    }

    #[test]
    fn the_hash_is_fixed_for_known_input() {
        // Recomputed by hand: sha256 of the canonical JSON below.
        let e = Entry::next(0, GENESIS_HASH, &record(), at());
        assert_eq!(
            e.canonical(),
            r#"["rampart-audit-1",1,"2026-03-01T12:00:00.123456Z",3,"ada@example.test",7,"client:acme","client.update","name: “A” → “B”","0000000000000000000000000000000000000000000000000000000000000000"]"#
        );
        assert_eq!(e.hash, hex(&Sha256::digest(e.canonical().as_bytes())));
    }

    /// A change to one field of an entry.
    type Tamper = Box<dyn Fn(&mut Entry)>;

    #[test]
    fn changing_any_field_changes_the_hash() {
        let e = Entry::next(0, GENESIS_HASH, &record(), at());
        let variants: Vec<Tamper> = vec![
            Box::new(|e| e.seq = 2),
            Box::new(|e| e.at += chrono::Duration::microseconds(1)),
            Box::new(|e| e.actor_user_id = None),
            Box::new(|e| e.actor = "eve@example.test".into()),
            Box::new(|e| e.client_id = Some(8)),
            Box::new(|e| e.object = "client:other".into()),
            Box::new(|e| e.action = "client.archive".into()),
            Box::new(|e| e.summary.push('!')),
            Box::new(|e| e.prev_hash = "1".repeat(64)),
        ];
        for change in variants {
            let mut changed = e.clone();
            change(&mut changed);
            assert_ne!(changed.compute_hash(), e.hash, "{changed:?}");
        }
    }

    #[test]
    fn entries_chain_by_the_previous_hash() {
        let first = Entry::next(0, GENESIS_HASH, &record(), at());
        let second = Entry::next(first.seq, &first.hash, &record(), at());
        assert_eq!(second.seq, 2);
        assert_eq!(second.prev_hash, first.hash);
        assert_ne!(second.hash, first.hash);
    }

    #[test]
    fn labels_lose_control_characters_and_are_cut() {
        let r = Record::anonymous("eve@example.test\nfake line", "auth.sign_in_failed", "user:x");
        assert_eq!(r.actor, "eve@example.test fake line");
        let long = Record::anonymous(&"a".repeat(400), "auth.sign_in_failed", "user:x");
        assert_eq!(long.actor.chars().count(), MAX_LABEL);
        assert!(long.actor.ends_with('…'));
    }

    #[test]
    fn a_diff_names_only_what_changed_and_hides_internal_text() {
        let d = Diff::new()
            .field("name", "Acme", "Acme Group")
            .field("sector", "Legal", "Legal")
            .hidden("notes", "alarm code 1234", "alarm code 9999")
            .field("tier", "", "critical");
        let text = d.finish();
        assert_eq!(text, "name: “Acme” → “Acme Group”; notes changed; tier: (empty) → “critical”");
        assert!(!text.contains("1234"));
        assert_eq!(Diff::new().field("a", "x", "x").finish(), "no field changed");
    }

    #[test]
    fn the_json_line_carries_the_hash_as_id_and_no_line_break() {
        let mut r = record();
        r.summary = "two\nlines".into();
        let e = Entry::next(0, GENESIS_HASH, &r, at());
        let line = e.to_json_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["id"], e.hash);
        assert_eq!(v["seq"], 1);
        assert_eq!(v["at"], "2026-03-01T12:00:00.123456Z");
        assert_eq!(v["action"], "client.update");
    }
}
