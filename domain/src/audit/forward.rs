//! Forwarding the audit log to the MSP's receivers: a SIEM over syslog (RFC 5424 over TCP,
//! octet-counting framing, one JSON line per entry as the message) and signed webhooks (one
//! POST per entry, HMAC-SHA256 over "timestamp.body").
//!
//! The log is its own outbox: every entry is committed with its change, and each receiver has a
//! cursor in `audit_sinks` (the last entry it acknowledged). A forwarder sends the entries after
//! the cursor in order and moves the cursor only once the receiver took them, so an entry
//! written while the receiver is down waits in the log, and a restart resumes at the cursor.
//! Delivery is at least once: a crash between the receiver's acknowledgement and the cursor's
//! update sends that entry again, with the same `id` (its hash) and `seq`.
//!
//! Syslog over TCP has no acknowledgement of its own. Each batch goes over a fresh connection
//! that Rampart half-closes after the last message; the receiver reading to the end and closing
//! its side cleanly counts as taking the batch, a reset (it went away with data unread) as
//! refusing it.
//! A receiver that keeps the connection open without a word for [`SyslogSink::close_wait`] is
//! taken to have read it.
//!
//! One server of a cluster forwards at a time: a lease on the receiver's row, renewed on every
//! round, lets another take over when a server stops.

use super::model::{hex, Entry};
use super::store;
use crate::db::Db;
use crate::error::Result;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Syslog facility 13 ("log audit"); severity informational, or notice for failed sign-ins.
const FACILITY: u8 = 13;
const INFORMATIONAL: u8 = 6;
const NOTICE: u8 = 5;

/// The header that carries a webhook's signature.
pub const SIGNATURE_HEADER: &str = "Rampart-Signature";
/// The header that carries the entry's id (its hash): the same for a repeated delivery.
pub const EVENT_ID_HEADER: &str = "Rampart-Event-Id";

/// How long one network step may take before it counts as a failure.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(10);

/// The receivers, as the server's configuration reads them from the environment (see
/// docs/areas/audit.md).
#[derive(Clone, Default)]
pub struct Settings {
    /// RAMPART_AUDIT_SYSLOG: host:port of a syslog receiver (TCP).
    pub syslog: Option<String>,
    /// RAMPART_AUDIT_WEBHOOK_URL.
    pub webhook_url: Option<String>,
    /// RAMPART_AUDIT_WEBHOOK_SECRET: the HMAC key.
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("syslog", &self.syslog)
            .field("webhook_url", &self.webhook_url.as_deref().map(redact_query))
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A URL without its query and credentials (which may hold a token), for logs.
fn redact_query(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

pub const MIN_SECRET_CHARS: usize = 16;

impl Settings {
    /// The configured receivers; a message for the operator when a setting is wrong.
    pub fn sinks(&self) -> std::result::Result<Vec<Sink>, String> {
        let mut sinks = Vec::new();
        if let Some(addr) = &self.syslog {
            let port_ok =
                addr.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(format!("RAMPART_AUDIT_SYSLOG {addr:?} is not host:port"));
            }
            sinks.push(Sink::Syslog(SyslogSink::new(addr)));
        }
        match (&self.webhook_url, &self.webhook_secret) {
            (None, None) => {}
            (Some(_), None) => {
                return Err("RAMPART_AUDIT_WEBHOOK_URL is set without RAMPART_AUDIT_WEBHOOK_SECRET".into())
            }
            (None, Some(_)) => {
                return Err("RAMPART_AUDIT_WEBHOOK_SECRET is set without RAMPART_AUDIT_WEBHOOK_URL".into())
            }
            (Some(url), Some(secret)) => {
                if secret.chars().count() < MIN_SECRET_CHARS {
                    return Err(format!(
                        "RAMPART_AUDIT_WEBHOOK_SECRET must have at least {MIN_SECRET_CHARS} characters"
                    ));
                }
                sinks.push(Sink::Webhook(WebhookSink::new(url, secret.as_bytes())?));
            }
        }
        Ok(sinks)
    }
}

/// One receiver.
#[derive(Clone, Debug)]
pub enum Sink {
    Syslog(SyslogSink),
    Webhook(WebhookSink),
}

impl Sink {
    /// The receiver's row in `audit_sinks`: a receiver configured for the first time gets the
    /// whole log; one that replaces another of its kind carries on from its cursor.
    pub fn name(&self) -> &'static str {
        match self {
            Sink::Syslog(_) => "syslog",
            Sink::Webhook(_) => "webhook",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SyslogSink {
    pub addr: String,
    /// RFC 5424's HOSTNAME field.
    pub hostname: String,
    /// How long to wait for the receiver to close its side after a batch.
    pub close_wait: Duration,
}

impl SyslogSink {
    pub fn new(addr: &str) -> SyslogSink {
        SyslogSink { addr: addr.to_owned(), hostname: local_hostname(), close_wait: Duration::from_secs(2) }
    }

    /// One entry as an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME rampart PROCID MSGID - JSON`.
    pub fn format(&self, entry: &Entry) -> String {
        let severity = if entry.action == "auth.sign_in_failed" { NOTICE } else { INFORMATIONAL };
        let pri = u16::from(FACILITY) * 8 + u16::from(severity);
        let msgid: String = printable_ascii(&entry.action, 32);
        format!(
            "<{pri}>1 {} {} rampart {} {} - {}",
            super::model::timestamp(entry.at),
            self.hostname,
            std::process::id(),
            if msgid.is_empty() { "-".into() } else { msgid },
            entry.to_json_line()
        )
    }

    /// Sends a batch over a fresh connection (see the module's doc for what counts as taken).
    async fn send(&self, entries: &[Entry]) -> std::result::Result<(), String> {
        let mut frames = Vec::new();
        for e in entries {
            let message = self.format(e);
            frames.extend_from_slice(format!("{} ", message.len()).as_bytes());
            frames.extend_from_slice(message.as_bytes());
        }
        let step = |what: &'static str| move |e: std::io::Error| format!("{what}: {e}");
        let mut stream = tokio::time::timeout(NETWORK_TIMEOUT, tokio::net::TcpStream::connect(&self.addr))
            .await
            .map_err(|_| "connect: timed out".to_string())?
            .map_err(step("connect"))?;
        tokio::time::timeout(NETWORK_TIMEOUT, async {
            stream.write_all(&frames).await.map_err(step("send"))?;
            stream.flush().await.map_err(step("send"))?;
            stream.shutdown().await.map_err(step("close"))
        })
        .await
        .map_err(|_| "send: timed out".to_string())??;
        let mut scratch = [0u8; 256];
        let closed = tokio::time::timeout(self.close_wait, async {
            loop {
                match stream.read(&mut scratch).await {
                    // A reset can also end in a plain end of stream, with the error left on
                    // the socket (Linux): only a clean close counts.
                    Ok(0) => {
                        return match stream.take_error() {
                            Ok(None) => Ok(()),
                            Ok(Some(e)) | Err(e) => Err(format!("the receiver dropped the connection: {e}")),
                        }
                    }
                    Ok(_) => continue,
                    Err(e) => return Err(format!("the receiver dropped the connection: {e}")),
                }
            }
        })
        .await;
        match closed {
            Ok(result) => result,
            // Still open and silent: nothing refused the batch.
            Err(_) => Ok(()),
        }
    }
}

fn printable_ascii(s: &str, max: usize) -> String {
    s.chars().filter(|c| c.is_ascii_graphic()).take(max).collect()
}

/// This machine's name for RFC 5424's HOSTNAME, or the nil value "-".
fn local_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = printable_ascii(name.trim(), 255);
    if name.is_empty() {
        "-".into()
    } else {
        name
    }
}

#[derive(Clone)]
pub struct WebhookSink {
    pub url: reqwest::Url,
    secret: Vec<u8>,
    client: reqwest::Client,
}

impl std::fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSink").field("url", &redact_query(self.url.as_str())).finish_non_exhaustive()
    }
}

impl WebhookSink {
    pub fn new(url: &str, secret: &[u8]) -> std::result::Result<WebhookSink, String> {
        let url = reqwest::Url::parse(url).map_err(|_| "RAMPART_AUDIT_WEBHOOK_URL is not a URL".to_string())?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err("RAMPART_AUDIT_WEBHOOK_URL must start with https:// (or http://)".into());
        }
        let client = reqwest::Client::builder()
            // A receiver that redirects is misconfigured: the signature was made for it alone.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(NETWORK_TIMEOUT)
            .build()
            .map_err(|e| format!("the webhook client could not be built: {e}"))?;
        Ok(WebhookSink { url, secret: secret.to_vec(), client })
    }

    /// POSTs one entry; any 2xx answer acknowledges it.
    async fn send(&self, entry: &Entry) -> std::result::Result<(), String> {
        let body = entry.to_json_line();
        let t = Utc::now().timestamp();
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature_header(&self.secret, t, &body))
            .header(EVENT_ID_HEADER, &entry.hash)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the webhook could not be reached: {}", without_url(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered {status}"))
        }
    }
}

/// reqwest's errors name the URL, whose query may hold a token.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirected"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as docs/areas/audit.md documents.
pub fn signature_header(secret: &[u8], t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
}

/// How long to wait after a failure: doubling from `initial` up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(300) }
    }
}

impl Backoff {
    /// The wait after `failures` failures in a row (1 or more).
    pub fn after(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(30));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Entries up to this seq were delivered; more may wait.
    Delivered { through: i64, count: usize },
    /// Nothing waits.
    Idle,
    /// Another server holds the lease.
    NotLeader,
    /// The receiver refused or could not be reached, after taking `delivered` entries.
    Failed { delivered: usize, error: String },
}

/// Forwards the log to one receiver.
pub struct Forwarder {
    db: Db,
    sink: Sink,
    owner: String,
    pub backoff: Backoff,
    /// How often to look for new entries when there are none.
    pub idle: Duration,
    /// The most entries one round sends.
    pub batch: i64,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
}

impl Forwarder {
    pub fn new(db: Db, sink: Sink) -> Forwarder {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let owner = format!("{}-{:016x}", std::process::id(), OsRng.next_u64());
        Forwarder {
            db,
            sink,
            owner,
            backoff: Backoff::default(),
            idle: Duration::from_secs(1),
            batch: 500,
            lease: Duration::from_secs(60),
        }
    }

    pub fn sink(&self) -> &Sink {
        &self.sink
    }

    /// Claims the receiver, sends what waits after its cursor (up to a batch), and moves the
    /// cursor past what the receiver took.
    pub async fn run_once(&self) -> Result<Round> {
        let name = self.sink.name();
        // Reads first: with nothing to send, an idle round writes nothing (no lock, no fsync).
        let head = store::head(&self.db).await?.seq;
        if store::sink_cursor(&self.db, name).await?.unwrap_or(0) >= head {
            return Ok(Round::Idle);
        }
        let now = crate::clock::now();
        let until = now + chrono::Duration::from_std(self.lease).unwrap_or_else(|_| chrono::Duration::seconds(60));
        let Some(cursor) = store::claim_sink(&self.db, name, &self.owner, now, until).await? else {
            return Ok(Round::NotLeader);
        };
        let entries = store::entries_after(&self.db, cursor, self.batch).await?;
        if entries.is_empty() {
            return Ok(Round::Idle);
        }
        let (delivered, error) = match &self.sink {
            Sink::Syslog(syslog) => match syslog.send(&entries).await {
                Ok(()) => {
                    self.advance(entries.last().map(|e| e.seq).unwrap_or(cursor)).await?;
                    (entries.len(), None)
                }
                Err(e) => (0, Some(e)),
            },
            Sink::Webhook(webhook) => {
                let mut delivered = 0;
                let mut error = None;
                for entry in &entries {
                    match webhook.send(entry).await {
                        Ok(()) => {
                            if !self.advance(entry.seq).await? {
                                return Ok(Round::NotLeader);
                            }
                            delivered += 1;
                        }
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                (delivered, error)
            }
        };
        match error {
            None => Ok(Round::Delivered { through: entries[delivered - 1].seq, count: delivered }),
            Some(error) => {
                store::record_sink_failure(&self.db, name, &self.owner, &error, crate::clock::now()).await?;
                Ok(Round::Failed { delivered, error })
            }
        }
    }

    async fn advance(&self, seq: i64) -> Result<bool> {
        store::advance_sink(&self.db, self.sink.name(), &self.owner, seq, crate::clock::now()).await
    }

    /// Forwards until `shutdown` completes: at once while entries wait, every `idle` when none
    /// do, and after a failure with exponential backoff up to its cap.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let name = self.sink.name();
        let mut failures: u32 = 0;
        loop {
            let wait = match self.run_once().await {
                Ok(Round::Delivered { .. }) => {
                    failures = 0;
                    Duration::ZERO
                }
                Ok(Round::Idle) | Ok(Round::NotLeader) => {
                    failures = 0;
                    self.idle
                }
                Ok(Round::Failed { error, delivered }) => {
                    failures = failures.saturating_add(1);
                    let wait = self.backoff.after(failures);
                    tracing::warn!(sink = name, error = %error, delivered, retry_in = ?wait, "audit forwarding failed");
                    wait
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = self.backoff.after(failures);
                    tracing::warn!(sink = name, error = %e, retry_in = ?wait, "audit forwarding could not read the log");
                    wait
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        if let Err(e) = store::release_sink(&self.db, name, &self.owner).await {
            tracing::warn!(sink = name, error = %e, "the forwarding lease could not be released");
        }
    }
}

/// When each receiver last took an entry, for the operator.
pub fn describe_sink(row: &store::SinkRow, head_seq: i64) -> String {
    let when = |at: Option<DateTime<Utc>>| at.map(super::model::timestamp).unwrap_or_else(|| "never".into());
    let mut text = format!(
        "{}: delivered through entry {} of {} (last delivery {})",
        row.name,
        row.delivered_seq,
        head_seq,
        when(row.delivered_at)
    );
    if row.failures > 0 {
        text.push_str(&format!("; {} failure(s) since, last: {}", row.failures, row.last_error));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::{Record, GENESIS_HASH};

    fn entry(action: &'static str) -> Entry {
        let record = Record::anonymous("eve@example.test", action, "user:eve@example.test").summary("wrong password");
        Entry::next(0, GENESIS_HASH, &record, chrono::DateTime::from_timestamp(1_767_225_600, 5_000).unwrap())
    }

    #[test]
    fn a_syslog_message_follows_rfc_5424_with_the_json_line_as_its_message() {
        let sink = SyslogSink { addr: "x:1".into(), hostname: "rampart-1".into(), close_wait: Duration::ZERO };
        let e = entry("auth.sign_in_failed");
        let message = sink.format(&e);
        let pid = std::process::id();
        let prefix = format!("<109>1 2026-01-01T00:00:00.000005Z rampart-1 rampart {pid} auth.sign_in_failed - ");
        assert!(message.starts_with(&prefix), "{message}");
        let json: serde_json::Value = serde_json::from_str(&message[prefix.len()..]).unwrap();
        assert_eq!(json["id"], e.hash);
        assert_eq!(json["actor"], "eve@example.test");
        assert!(sink.format(&entry("client.update")).starts_with("<110>1 "), "informational for changes");
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2 checks the primitive: key "Jefe", data "what do ya want for nothing?".
        let header = signature_header(b"Jefe", 0, "what do ya want for nothing?");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        assert_eq!(header, format!("t=0,v1={}", hex(&mac.finalize().into_bytes())));
        let mut plain = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        plain.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&plain.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(10) };
        let waits: Vec<u64> = (1..=6).map(|n| b.after(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(b.after(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn settings_refuse_half_configured_webhooks_and_bad_addresses() {
        let s = |syslog: Option<&str>, url: Option<&str>, secret: Option<&str>| Settings {
            syslog: syslog.map(Into::into),
            webhook_url: url.map(Into::into),
            webhook_secret: secret.map(Into::into),
        };
        assert!(s(None, None, None).sinks().unwrap().is_empty());
        assert!(s(Some("siem.example:6514"), None, None).sinks().is_ok());
        assert!(s(Some("siem.example"), None, None).sinks().is_err());
        assert!(s(None, Some("https://h.example/x"), None).sinks().is_err());
        assert!(s(None, Some("https://h.example/x"), Some("short")).sinks().is_err());
        assert!(s(None, Some("ftp://h.example/x"), Some("a long enough secret")).sinks().is_err());
        let both = s(Some("siem.example:514"), Some("https://h.example/x?token=t"), Some("a long enough secret"));
        let names: Vec<&str> = both.sinks().unwrap().iter().map(Sink::name).collect();
        assert_eq!(names, vec!["syslog", "webhook"]);
        let shown = format!("{both:?}");
        assert!(!shown.contains("a long enough secret") && !shown.contains("token=t"), "{shown}");
    }
}
