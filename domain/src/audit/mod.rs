//! The audit log: who did what, when, to which client and object, with a before → after
//! summary; every sign-in (and failed sign-in), sign-out and export too.
//!
//! Invariants:
//! - An entry is written in the transaction of the change it records: no change without its
//!   entry, no entry without its change. Store functions that write take the entry to append.
//! - Append-only: nothing in Rampart updates or deletes an entry, and the database refuses it
//!   (triggers on both backends).
//! - Hash-chained: each entry carries the hash of the one before it ([`model::Entry`]);
//!   [`verify`] recomputes the chain and names the first entry that does not fit. The head
//!   (last seq and hash), kept elsewhere, proves later that nothing before it was rewritten or
//!   cut off.
//! - Forwarded to the MSP's receivers from the log itself ([`forward`]): in order, at least
//!   once, duplicates carrying the same id.
//!
//! Who may do what (see [`crate::authz`]): admins and auditors read, filter, verify and export
//! the whole log; nobody else sees any of it. Nobody changes it.

pub mod forward;
pub mod model;
pub(crate) mod store;

pub use model::{Diff, Entry, Record, GENESIS_HASH};
pub use store::{Chain, EntryFilter, SinkRow};

use crate::authz::{Actor, Permission};
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, NaiveDate, Utc};

pub const PAGE_SIZE: i64 = 50;
/// The most rows one CSV export holds; narrow the filters for more.
pub const MAX_EXPORT_ROWS: i64 = 100_000;

/// Records what happened outside any other change (a sign-in, a sign-out, an export), in a
/// transaction of its own.
pub async fn record(db: &Db, record: Record) -> Result<()> {
    store::append_alone(db, std::slice::from_ref(&record)).await
}

/// The viewer's filters as typed (from the page's query string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// A client's slug.
    pub client: Option<String>,
    /// Part of the actor's e-mail address.
    pub actor: Option<String>,
    /// An action ("grant.revoke") or a family ("grant").
    pub action: Option<String>,
    /// YYYY-MM-DD (UTC), inclusive.
    pub from: Option<String>,
    /// YYYY-MM-DD (UTC), inclusive.
    pub to: Option<String>,
    pub page: u32,
}

impl Query {
    /// The filters in words, for the export's own entry.
    fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("client", &self.client),
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect();
        if parts.is_empty() {
            "every entry".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Entries with the client each one concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedEntry {
    pub entry: Entry,
    /// (slug, name) of the client, when the entry concerns one that still exists.
    pub client: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub entries: Vec<ListedEntry>,
    pub total: i64,
    pub page: u32,
    pub per_page: i64,
    /// Every client (slug, name), for the client filter.
    pub clients: Vec<(String, String)>,
    pub head: Chain,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Checks the filters and turns them into the store's.
async fn filter_of(db: &Db, query: &Query) -> Result<EntryFilter> {
    let mut errors = Vec::new();
    let client_id = match non_empty(&query.client) {
        None => None,
        Some(slug) => match store::all_clients(db).await?.into_iter().find(|(_, s, _)| *s == slug) {
            Some((id, _, _)) => Some(id),
            None => {
                errors.push(FieldError::new("client", "No client has this slug."));
                None
            }
        },
    };
    let actor = non_empty(&query.actor)
        .map(|a| a.to_lowercase().chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect::<String>());
    if actor.as_ref().is_some_and(|a| a.chars().count() > 254) {
        errors.push(FieldError::new("actor", "Search for at most 254 characters."));
    }
    let action = non_empty(&query.action).map(|a| a.to_lowercase());
    if action
        .as_ref()
        .is_some_and(|a| a.len() > 64 || !a.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'))
    {
        errors.push(FieldError::new("action", "An action is written like client.update, or client for all of them."));
    }
    let day = |field: &str, value: &Option<String>, errors: &mut Vec<FieldError>| -> Option<NaiveDate> {
        let value = non_empty(value)?;
        match NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(field, "Enter a date as YYYY-MM-DD."));
                None
            }
        }
    };
    let from = day("from", &query.from, &mut errors);
    let to = day("to", &query.to, &mut errors);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(FieldError::new("to", "The end date comes before the start date."));
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let start_of = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    Ok(EntryFilter {
        client_id,
        actor,
        action,
        from: from.and_then(start_of),
        // The end date is inclusive: up to the start of the next day.
        to: to.and_then(|d| d.succ_opt()).and_then(start_of),
    })
}

/// A page of the log, newest first, narrowed by the filters.
pub async fn list_entries(db: &Db, actor: &Actor, query: &Query) -> Result<Page> {
    actor.require(Permission::ViewAudit)?;
    let filter = filter_of(db, query).await?;
    let page = query.page.max(1);
    let offset = i64::from(page - 1) * PAGE_SIZE;
    let (entries, total) = store::list_entries(db, &filter, PAGE_SIZE, offset).await?;
    let clients = store::all_clients(db).await?;
    let entries = entries
        .into_iter()
        .map(|entry| {
            let client = entry
                .client_id
                .and_then(|id| clients.iter().find(|(c, _, _)| *c == id))
                .map(|(_, slug, name)| (slug.clone(), name.clone()));
            ListedEntry { entry, client }
        })
        .collect();
    let head = store::head(db).await?;
    Ok(Page {
        entries,
        total,
        page,
        per_page: PAGE_SIZE,
        clients: clients.into_iter().map(|(_, slug, name)| (slug, name)).collect(),
        head,
    })
}

/// The filtered log as CSV (oldest first), every cell neutralised against spreadsheet
/// formulas, after a recent confirmation (it is everything, across every client). The export
/// is itself recorded.
pub async fn export_csv(db: &Db, actor: &Actor, query: &Query, now: DateTime<Utc>) -> Result<String> {
    actor.require(Permission::ViewAudit)?;
    actor.require_recent_confirmation(now)?;
    let filter = filter_of(db, query).await?;
    let (mut entries, total) = store::list_entries(db, &filter, MAX_EXPORT_ROWS, 0).await?;
    if total > MAX_EXPORT_ROWS {
        return Err(DomainError::invalid(
            "from",
            format!("{total} entries match; an export holds at most {MAX_EXPORT_ROWS}. Narrow the dates."),
        ));
    }
    entries.reverse();
    let clients = store::client_names(db, &client_ids(&entries)).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "seq",
        "at",
        "actor",
        "actor_user_id",
        "action",
        "client",
        "object",
        "summary",
        "prev_hash",
        "hash",
    ])
    .map_err(DomainError::internal)?;
    for e in &entries {
        let client = e
            .client_id
            .map(|id| {
                clients.iter().find(|(c, _, _)| *c == id).map(|(_, slug, _)| slug.clone()).unwrap_or(id.to_string())
            })
            .unwrap_or_default();
        let record = [
            e.seq.to_string(),
            model::timestamp(e.at),
            e.actor.clone(),
            e.actor_user_id.map(|id| id.to_string()).unwrap_or_default(),
            e.action.clone(),
            client,
            e.object.clone(),
            e.summary.clone(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        out.write_record(record.iter().map(|c| crate::text::neutralise(c).into_owned()))
            .map_err(DomainError::internal)?;
    }
    let bytes = out.into_inner().map_err(|e| DomainError::internal(e.into_error()))?;
    let text = String::from_utf8(bytes).map_err(DomainError::internal)?;
    let summary = format!("{} entries exported ({})", entries.len(), query.describe());
    record(db, Record::by(actor, "export.audit_log", "audit_log").summary(summary)).await?;
    Ok(text)
}

fn client_ids(entries: &[Entry]) -> Vec<i64> {
    let mut ids: Vec<i64> = entries.iter().filter_map(|e| e.client_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The first entry that does not fit the chain, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// The last entry's seq and hash (what to keep elsewhere).
    pub head: Chain,
    pub broken: Option<Broken>,
}

/// Parses a head as `rampart audit head` prints it: `SEQ:HASH`.
pub fn parse_head(s: &str) -> Option<Chain> {
    let (seq, hash) = s.trim().split_once(':')?;
    let seq = seq.trim().parse::<i64>().ok().filter(|s| *s >= 0)?;
    let hash = hash.trim().to_lowercase();
    (hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit())).then_some(Chain { seq, last_hash: hash })
}

/// Recomputes the whole chain from the first entry, and names the first entry that does not
/// fit: changed after it was written, out of sequence, not following its predecessor, or
/// missing at the end (the head says more). With `expected`, a head exported earlier, also
/// checks that the entry at that seq still has that hash.
pub async fn verify(db: &Db, actor: &Actor, expected: Option<&Chain>) -> Result<Verification> {
    actor.require(Permission::ViewAudit)?;
    const BATCH: i64 = 1000;
    let mut prev = Chain { seq: 0, last_hash: GENESIS_HASH.into() };
    let mut count = 0;
    let mut broken = None;
    let mut expected_seen = false;
    'outer: loop {
        let batch = store::entries_after(db, prev.seq, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            count += 1;
            let reason = if e.seq != prev.seq + 1 {
                Some(format!(
                    "entries {} to {} are missing: the log jumps from {} to {}",
                    prev.seq + 1,
                    e.seq - 1,
                    prev.seq,
                    e.seq
                ))
            } else if e.compute_hash() != e.hash {
                Some("changed after it was written: its content does not match its hash".into())
            } else if e.prev_hash != prev.last_hash {
                Some(format!(
                    "does not follow entry {}: it carries another previous hash (entry {} was rewritten, or this one was)",
                    prev.seq, prev.seq
                ))
            } else if expected.is_some_and(|x| x.seq == e.seq && x.last_hash != e.hash) {
                Some("differs from the head kept elsewhere: the log was rewritten up to here".into())
            } else {
                None
            };
            if expected.is_some_and(|x| x.seq == e.seq) {
                expected_seen = true;
            }
            if let Some(reason) = reason {
                let seq = if e.seq != prev.seq + 1 { prev.seq + 1 } else { e.seq };
                broken = Some(Broken { seq, reason });
                break 'outer;
            }
            prev = Chain { seq: e.seq, last_hash: e.hash };
        }
    }
    let head = store::head(db).await?;
    if broken.is_none() && (head.seq != prev.seq || head.last_hash != prev.last_hash) {
        broken = Some(Broken {
            seq: prev.seq + 1,
            reason: if head.seq > prev.seq {
                format!("missing: the log ends at entry {} but its head names entry {}", prev.seq, head.seq)
            } else {
                format!("the head (entry {}) does not match the last entry ({})", head.seq, prev.seq)
            },
        });
    }
    if let (None, Some(x)) = (&broken, expected) {
        if !expected_seen && x.seq > 0 {
            broken = Some(Broken {
                seq: x.seq,
                reason: format!("missing: the head kept elsewhere names entry {}, the log ends at {}", x.seq, prev.seq),
            });
        }
    }
    Ok(Verification { entries: count, head: prev, broken })
}

/// The head as stored (last seq and hash), for `rampart audit head`.
pub async fn head(db: &Db, actor: &Actor) -> Result<Chain> {
    actor.require(Permission::ViewAudit)?;
    store::head(db).await
}

/// The forwarding state of each receiver.
pub async fn list_sinks(db: &Db, actor: &Actor) -> Result<Vec<SinkRow>> {
    actor.require(Permission::ViewAudit)?;
    store::list_sinks(db).await
}

/// One entry by its seq.
pub async fn get_entry(db: &Db, actor: &Actor, seq: i64) -> Result<Entry> {
    actor.require(Permission::ViewAudit)?;
    store::find_entry(db, seq).await?.ok_or(DomainError::NotFound)
}

/// Used by the tests of other areas: every entry in order (no authorization: tests only).
#[cfg(feature = "testing")]
pub async fn all_entries(db: &Db) -> Result<Vec<Entry>> {
    store::entries_after(db, 0, i64::MAX).await
}
