//! The large demo data sets, for benchmarks: `rampart demo --size large --seed N` (and
//! `--size xlarge`, five times as many clients, technicians and grants).
//!
//! 2,000 clients with about 60 controls each and their history, 300 technicians, 30,000 grants,
//! three years of daily score snapshots, reviews and their meetings: the same for the same seed
//! and the same `now`. The small demo writes through the services; at this size that would take
//! hours, so this one writes rows directly, in batched multi-row INSERTs inside ONE transaction
//! (all of it or nothing), with one audit entry that says what was generated and how. The
//! users to sign in with are added through the identity service, as in the small demo.
//!
//! The score history is made up (a walk from a lower past towards today's coverage), not
//! recomputed day by day from the control history: scoring 2.2 million client-days would take
//! minutes. The daily job scores today from the real checklist.

use super::{DemoRng, COMMON_TAGS, DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, PREFIXES, SECTORS};
use crate::authz::Actor;
use crate::controls::{AppliesTo, Control, ControlStatus as S, ReviewFrequency};
use crate::db::BeginWrite;
use crate::db::Db;
use crate::error::Result;
use crate::identity::{self, NewUser};
use crate::meetings::{Pack, PackAction, PackDecision, PackPoint};
use crate::on_pool;
use crate::reviews::{OccurrenceState, ReviewKind};
use crate::scoring::model::{Band, ScoreSettings};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::sqlite::SqliteArguments;
use sqlx::Arguments;
use std::collections::HashSet;

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LargeShape {
    pub clients: usize,
    pub technicians: usize,
    pub grants: usize,
    /// Days of score history (and of reviews) behind today.
    pub days: i64,
}

impl LargeShape {
    /// The benchmark set of the issue: 2,000 clients, 300 technicians, 30,000 grants, three years.
    pub const FULL: LargeShape = LargeShape { clients: 2000, technicians: 300, grants: 30_000, days: 3 * 365 };
    /// The portfolio at scale: 10,000 clients, 1,500 technicians, 150,000 grants, three years.
    pub const XLARGE: LargeShape = LargeShape { clients: 10_000, technicians: 1500, grants: 150_000, days: 3 * 365 };
}

/// What [`fill`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LargeSummary {
    /// False when the database already had clients and nothing was added.
    pub filled: bool,
    pub clients: usize,
    pub controls: usize,
    pub history: usize,
    pub technicians: usize,
    pub grants: usize,
    pub snapshots: usize,
    pub occurrences: usize,
    pub meetings: usize,
    /// Every row written, all tables.
    pub rows: usize,
    pub users: Vec<(String, &'static str)>,
}

/// One value of a row.
#[derive(Debug, Clone)]
enum V {
    I(i64),
    OI(Option<i64>),
    T(String),
    S(&'static str),
    OT(Option<String>),
    B(bool),
    At(DateTime<Utc>),
    OAt(Option<DateTime<Utc>>),
    D(NaiveDate),
}

/// Rows of one table, flat, waiting to be written.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    values: Vec<V>,
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table { name, columns, values: Vec::new() }
    }

    fn push(&mut self, row: Vec<V>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.values.extend(row);
    }

    fn rows(&self) -> usize {
        self.values.len() / self.columns.len()
    }

    /// Rows per INSERT on SQLite: below its limit of 32,766 bound parameters.
    fn batch_rows(&self) -> usize {
        30_000 / self.columns.len()
    }

    /// The waiting rows made ready to write (every full batch, or all when `all`), and dropped
    /// from the table: multi-row INSERTs with their values bound on SQLite, `COPY … FROM STDIN`
    /// text on PostgreSQL (a multi-row INSERT there parses and binds every value: the two
    /// million snapshot rows took most of a minute), at least [`COPY_ROWS`] rows at a time.
    fn batches(&mut self, all: bool, postgres: bool) -> std::result::Result<Vec<Batch>, sqlx::Error> {
        let (table, columns) = (self.name, self.columns);
        if postgres {
            let rows = self.rows();
            if rows == 0 || (!all && rows < COPY_ROWS) {
                return Ok(Vec::new());
            }
            let text = self.copy_text();
            self.values.clear();
            return Ok(vec![Batch::Copy { table, columns, rows, text }]);
        }
        let width = columns.len();
        let per = self.batch_rows();
        let full = if all { self.rows() } else { self.rows() / per * per };
        let mut batches = Vec::new();
        let mut values = self.values.drain(..full * width);
        let mut start = 0;
        while start < full {
            let rows = per.min(full - start);
            let mut bound = SqliteArguments::default();
            for v in values.by_ref().take(rows * width) {
                match v {
                    V::I(x) => bound.add(x),
                    V::OI(x) => bound.add(x),
                    V::T(x) => bound.add(x),
                    V::S(x) => bound.add(x),
                    V::OT(x) => bound.add(x),
                    V::B(x) => bound.add(x),
                    V::At(x) => bound.add(x),
                    V::OAt(x) => bound.add(x),
                    V::D(x) => bound.add(x),
                }
                .map_err(sqlx::Error::Encode)?;
            }
            batches.push(Batch::Insert { table, columns, rows, values: bound });
            start += rows;
        }
        Ok(batches)
    }
}

/// Rows of one table ready to write (see [`Table::batches`]). Made on another thread than the
/// one that writes them (see [`fill`]).
enum Batch {
    Insert { table: &'static str, columns: &'static [&'static str], rows: usize, values: SqliteArguments<'static> },
    Copy { table: &'static str, columns: &'static [&'static str], rows: usize, text: String },
}

impl Batch {
    fn table(&self) -> &'static str {
        match self {
            Batch::Insert { table, .. } | Batch::Copy { table, .. } => table,
        }
    }
}

/// The INSERT of `rows` rows, for SQLite: plain `?` placeholders (SQLite reads `$n` as a named
/// parameter and looks each one up by name, which makes a statement of 30,000 of them take
/// seconds to bind).
fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let one = format!("({})", vec!["?"; columns.len()].join(", "));
    format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), vec![one; rows].join(", "))
}

/// Writing a batch of rows in a transaction; the number of rows written.
trait Bulk {
    async fn write(&mut self, batch: Batch) -> std::result::Result<usize, sqlx::Error>;
}

impl Bulk for sqlx::SqliteConnection {
    async fn write(&mut self, batch: Batch) -> std::result::Result<usize, sqlx::Error> {
        let Batch::Insert { table, columns, rows, values } = batch else {
            return Err(sqlx::Error::Protocol("a COPY batch for SQLite".into()));
        };
        sqlx::query_with(&insert_sql(table, columns, rows), values).execute(&mut *self).await?;
        Ok(rows)
    }
}

/// Rows sent in one COPY on PostgreSQL (when not writing everything).
const COPY_ROWS: usize = 50_000;

impl Bulk for sqlx::PgConnection {
    async fn write(&mut self, batch: Batch) -> std::result::Result<usize, sqlx::Error> {
        let Batch::Copy { table, columns, rows, text } = batch else {
            return Err(sqlx::Error::Protocol("an INSERT batch for PostgreSQL".into()));
        };
        let mut copy = self.copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", columns.join(", "))).await?;
        copy.send(text.into_bytes()).await?;
        copy.finish().await?;
        Ok(rows)
    }
}

impl Table {
    /// The rows in PostgreSQL's COPY text format: a tab between values, a line per row, `\N`
    /// for NULL, backslash escapes for backslash, tab and line breaks.
    fn copy_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(self.values.len() * 8);
        for row in self.values.chunks(self.columns.len()) {
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                match v {
                    V::I(x) | V::OI(Some(x)) => {
                        let _ = write!(out, "{x}");
                    }
                    V::T(x) | V::OT(Some(x)) => copy_escape(&mut out, x),
                    V::S(x) => copy_escape(&mut out, x),
                    V::B(x) => out.push(if *x { 't' } else { 'f' }),
                    V::At(x) | V::OAt(Some(x)) => {
                        let _ = write!(out, "{}", x.format("%Y-%m-%d %H:%M:%S%.6f+00"));
                    }
                    V::D(x) => {
                        let _ = write!(out, "{}", x.format("%Y-%m-%d"));
                    }
                    V::OI(None) | V::OT(None) | V::OAt(None) => out.push_str("\\N"),
                }
            }
            out.push('\n');
        }
        out
    }
}

fn copy_escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The largest id in each table the generator numbers itself (0 when empty).
async fn max_id(db: &Db, table: &str) -> Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    Ok(on_pool!(db, |pool| sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await?))
}

const TITLES: &[&str] = &[
    "Service desk",
    "Field engineer",
    "Systems engineer",
    "Network engineer",
    "Cloud engineer",
    "Security engineer",
    "Backup specialist",
    "Project engineer",
];
const SYSTEMS: &[&str] =
    &["rmm", "psa", "remote_support", "password_vault", "m365_gdap", "firewall_vpn", "backup_console", "edr"];
const NOTES: &[&str] = &[
    "Verified in the admin console during the review; screenshot in the client's evidence folder.",
    "Confirmed with the client's IT contact; policy export attached to the ticket.",
    "Spot-checked on three devices; report saved with the monthly RMM export.",
];

/// Fills an empty database with the large data set (see the module's text). A database that
/// already has clients is left as it is.
pub async fn fill(db: &Db, shape: LargeShape, seed: u64, now: DateTime<Utc>) -> Result<LargeSummary> {
    let clients_so_far: i64 =
        on_pool!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM clients").fetch_one(pool).await?);
    if clients_so_far > 0 {
        return Ok(LargeSummary::default());
    }
    let catalog: Vec<Control> = crate::controls::store::list_controls(db)
        .await?
        .into_iter()
        .filter(|c| c.retired_at.is_none() && c.applies_to != AppliesTo::Msp)
        .collect();
    let mut categories: Vec<String> = Vec::new();
    for c in &catalog {
        if !categories.contains(&c.category_id) {
            categories.push(c.category_id.clone());
        }
    }
    let mut next = Ids {
        technician: max_id(db, "technicians").await?,
        grant: max_id(db, "grants").await?,
        history: max_id(db, "control_history").await?,
        step: max_id(db, "lifecycle_steps").await?,
        series: max_id(db, "review_series").await?,
        occurrence: max_id(db, "review_occurrences").await?,
        meeting: max_id(db, "meetings").await?,
        decision: max_id(db, "meeting_decisions").await?,
        action: max_id(db, "action_items").await?,
    };
    let mut rng = DemoRng::new(seed);
    let mut gen = Generated::default();
    let mut clients = gen_clients(&mut rng, shape, now, &mut gen);
    gen_checklists(&mut rng, &clients, &catalog, now, &mut next, &mut gen);
    let technicians = gen_technicians(&mut rng, shape, now, &mut next, &mut gen);
    gen_grants(&mut rng, shape, &mut clients, &technicians, now, &mut next, &mut gen);
    gen_reviews(&mut rng, shape, &clients, now, &mut next, &mut gen);

    let mut summary = LargeSummary {
        filled: true,
        clients: clients.len(),
        controls: gen.client_controls.rows(),
        history: gen.control_history.rows(),
        technicians: technicians.len(),
        grants: gen.grants.rows(),
        occurrences: gen.occurrences.rows(),
        meetings: gen.meetings.rows(),
        ..Default::default()
    };
    let settings = ScoreSettings::default();
    let audit = crate::audit::Record::by(&Actor::command_line(), "demo.fill", "database").summary(format!(
        "large demo data (seed {seed}): {} clients, {} technicians, {} grants, {} days of score history, \
         {} reviews, {} meetings; written directly in one transaction (not through the services), \
         the score history made up",
        summary.clients, summary.technicians, summary.grants, shape.days, summary.occurrences, summary.meetings
    ));
    let postgres = db.backend() == crate::db::Backend::Postgres;
    // The rows are made ready to write (generated, bound or put in COPY's text) on a thread of
    // their own while the transaction writes the batches made before: on SQLite the writing is
    // SQLite's own thread's work and the making this one's, and each waited for the other
    // (of the extra large set's 70 s of score history, 40% was making).
    let (ready, mut batches) = tokio::sync::mpsc::channel::<Batch>(4);
    let making = {
        let clients = clients.clone();
        let days = shape.days;
        tokio::task::spawn_blocking(move || -> std::result::Result<(), sqlx::Error> {
            // The receiver is gone only when the transaction failed, which says why.
            let send = |batch| ready.blocking_send(batch).map_err(|_| sqlx::Error::PoolClosed);
            for table in gen.tables() {
                for batch in table.batches(true, postgres)? {
                    send(batch)?;
                }
            }
            // The score history, client by client, sent as it is made up.
            let mut snapshots = Table::new(SNAPSHOT_TABLE, SNAPSHOT_COLUMNS);
            for client in &clients {
                gen_snapshots(seed, client, &categories, days, now, &settings, &mut snapshots);
                for batch in snapshots.batches(false, postgres)? {
                    send(batch)?;
                }
            }
            for batch in snapshots.batches(true, postgres)? {
                send(batch)?;
            }
            Ok(())
        })
    };
    let written: std::result::Result<(usize, usize), sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            if !postgres {
                // A page cache for the fill (up to 512 MB, taken as used): with the default
                // 2 MB the growing write spills the same B-tree pages to the WAL again and again
                // (20 of 46 seconds were system time). Only this connection's; the command ends.
                sqlx::query("PRAGMA cache_size = -524288").execute(&mut *tx).await?;
            }
            // The score history's index by day is built after its rows (in the same
            // transaction): kept up row by row, two million inserts in client order land all
            // over it.
            sqlx::query(&format!("DROP INDEX {SNAPSHOT_DAY_INDEX}")).execute(&mut *tx).await?;
            let (mut rows, mut count) = (0, 0);
            while let Some(batch) = batches.recv().await {
                let snapshots = batch.table() == SNAPSHOT_TABLE;
                let written = (*tx).write(batch).await?;
                rows += written;
                if snapshots {
                    count += written;
                }
            }
            // Everything was made (a failure to make rows ends the batches early too).
            making.await.map_err(|e| sqlx::Error::Protocol(format!("making the rows failed: {e}")))??;
            sqlx::query(&format!("CREATE INDEX {SNAPSHOT_DAY_INDEX} ON score_snapshots (day)"))
                .execute(&mut *tx)
                .await?;
            if postgres {
                // Ids were given explicitly: move each identity sequence past them.
                for table in ID_TABLES {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table})) \
                         WHERE EXISTS (SELECT 1 FROM {table})"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let mut chain = crate::audit::store::lock_chain!(tx)?;
            crate::audit::store::append!(tx, chain, &audit)?;
            tx.commit().await?;
            Ok::<(usize, usize), sqlx::Error>((rows, count))
        }
        .await
    });
    let (rows, snapshots) = written?;
    summary.rows = rows;
    summary.snapshots = snapshots;
    // PostgreSQL's planner statistics of the tables just filled: until autovacuum comes by, it
    // plans as if they were nearly empty (a client's reviews took 25 ms by a loop over every
    // series instead of 0.1 ms by the client's index; the client page's p50 was 126 ms).
    if db.backend() == crate::db::Backend::Postgres {
        on_pool!(db, |pool| {
            sqlx::query("ANALYZE").execute(pool).await?;
        });
    }

    // The users to sign in with, through the service (hashed passwords, their own audit).
    let cli = Actor::command_line();
    let first = clients.first().map(|c| c.slug.clone()).into_iter().collect::<Vec<_>>();
    let some: Vec<String> = clients.iter().take(5).map(|c| c.slug.clone()).collect();
    let users: [(&str, &str, &'static str, Vec<String>); 6] = [
        ("admin@rampart.example", "Avery Admin", "admin", vec![]),
        ("manager@rampart.example", "Morgan Manager", "manager", vec![]),
        ("tech@rampart.example", "Taylor Tech", "technician", vec![]),
        ("tech.limited@rampart.example", "Jordan Field", "technician", some),
        ("auditor@rampart.example", "Alex Auditor", "auditor", vec![]),
        ("viewer@rampart.example", "Casey Client", "client_viewer", first),
    ];
    for (email, name, role, clients) in users {
        let new = NewUser {
            email: email.into(),
            display_name: name.into(),
            role: role.into(),
            clients,
            password: DEMO_PASSWORD.into(),
        };
        identity::add_user(db, &cli, &new, now).await?;
        summary.users.push((email.to_string(), role));
    }
    // Every client's kept score (see `scoring::live`), so that the first portfolio after start
    // reads them rather than computing them.
    crate::scoring::live::sweep(db, crate::clock::now()).await?;
    Ok(summary)
}

/// Tables whose ids the generator gives (PostgreSQL's identity sequences follow them).
const ID_TABLES: &[&str] = &[
    "clients",
    "technicians",
    "grants",
    "control_history",
    "lifecycle_steps",
    "review_series",
    "review_occurrences",
    "meetings",
    "meeting_decisions",
    "action_items",
];

struct Ids {
    technician: i64,
    grant: i64,
    history: i64,
    step: i64,
    series: i64,
    occurrence: i64,
    meeting: i64,
    decision: i64,
    action: i64,
}

fn take(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

struct Generated {
    clients: Table,
    client_tags: Table,
    client_controls: Table,
    control_history: Table,
    technicians: Table,
    lifecycle_steps: Table,
    grants: Table,
    series: Table,
    occurrences: Table,
    meetings: Table,
    decisions: Table,
    actions: Table,
}

impl Default for Generated {
    fn default() -> Self {
        Generated {
            clients: Table::new(
                "clients",
                &[
                    "id",
                    "slug",
                    "name",
                    "impact_tier",
                    "sector",
                    "contact_name",
                    "contact_email",
                    "notes",
                    "created_at",
                    "updated_at",
                    "version",
                ],
            ),
            client_tags: Table::new("client_tags", &["client_id", "tag"]),
            client_controls: Table::new(
                "client_controls",
                &[
                    "client_id",
                    "control_id",
                    "status",
                    "owner",
                    "evidence_note",
                    "evidence_links",
                    "justification",
                    "last_verified_at",
                    "last_verified_by",
                    "updated_at",
                    "version",
                    "next_due_at",
                    "evidence_shared",
                ],
            ),
            control_history: Table::new(
                "control_history",
                &["id", "client_id", "control_id", "changed_at", "changed_by", "from_status", "to_status", "note"],
            ),
            technicians: Table::new(
                "technicians",
                &[
                    "id",
                    "name",
                    "email",
                    "title",
                    "state",
                    "started_at",
                    "departed_at",
                    "created_at",
                    "version",
                    "involuntary",
                ],
            ),
            lifecycle_steps: Table::new(
                "lifecycle_steps",
                &["id", "technician_id", "code", "due_at", "done_at", "done_by", "note", "created_at"],
            ),
            grants: Table::new(
                "grants",
                &[
                    "id",
                    "technician_id",
                    "client_id",
                    "system",
                    "privilege",
                    "approver",
                    "justification",
                    "granted_at",
                    "expires_at",
                    "mfa",
                    "last_reviewed_at",
                    "last_reviewed_by",
                    "revoked_at",
                    "revoked_by",
                    "revoke_due_at",
                    "revocation_method",
                    "revocation_recorded_at",
                ],
            ),
            series: Table::new(
                "review_series",
                &["id", "client_id", "kind", "title", "cadence", "starts_on", "created_at", "created_by"],
            ),
            occurrences: Table::new(
                "review_occurrences",
                &["id", "series_id", "client_id", "n", "due_on", "state", "note", "closed_at", "closed_by", "version"],
            ),
            meetings: Table::new(
                "meetings",
                &[
                    "id",
                    "occurrence_id",
                    "client_id",
                    "held_on",
                    "attendees_msp",
                    "attendees_client",
                    "agenda",
                    "minutes",
                    "state",
                    "signed_at",
                    "signed_by",
                    "snapshot",
                    "created_at",
                    "created_by",
                    "version",
                ],
            ),
            decisions: Table::new("meeting_decisions", &["id", "meeting_id", "topic", "decision"]),
            actions: Table::new(
                "action_items",
                &[
                    "id",
                    "client_id",
                    "meeting_id",
                    "title",
                    "owner",
                    "due_on",
                    "state",
                    "done_at",
                    "done_by",
                    "done_in_meeting_id",
                ],
            ),
        }
    }
}

impl Generated {
    /// In the order foreign keys need.
    fn tables(&mut self) -> [&mut Table; 12] {
        [
            &mut self.clients,
            &mut self.client_tags,
            &mut self.client_controls,
            &mut self.control_history,
            &mut self.technicians,
            &mut self.lifecycle_steps,
            &mut self.grants,
            &mut self.series,
            &mut self.occurrences,
            &mut self.meetings,
            &mut self.decisions,
            &mut self.actions,
        ]
    }
}

/// The score history's table.
const SNAPSHOT_TABLE: &str = "score_snapshots";

/// The score history's index by day, as the migrations make it (0007_scoring).
const SNAPSHOT_DAY_INDEX: &str = "score_snapshots_day_idx";

const SNAPSHOT_COLUMNS: &[&str] = &[
    "client_id",
    "day",
    "coverage",
    "posture",
    "band",
    "categories",
    "stale_controls",
    "leavers_past_sla",
    "overdue_reviews",
    "kev_items",
    "penalty",
    "grants_active",
    "grants_expired",
    "grants_leavers",
    "access_findings",
    "taken_at",
];

#[derive(Clone)]
struct GenClient {
    id: i64,
    slug: String,
    name: String,
    tier: crate::clients::ImpactTier,
    contact: String,
    created: DateTime<Utc>,
    /// Percent of controls in place today.
    maturity: usize,
    grants: i64,
}

fn gen_clients(rng: &mut DemoRng, shape: LargeShape, now: DateTime<Utc>, gen: &mut Generated) -> Vec<GenClient> {
    use crate::clients::ImpactTier;
    let mut used = HashSet::new();
    let mut clients = Vec::with_capacity(shape.clients);
    let mut id = 0;
    while clients.len() < shape.clients {
        let (sector, suffixes, sector_tags) = rng.pick(SECTORS);
        let base = format!("{} {}", rng.pick(PREFIXES), rng.pick(suffixes));
        // Many MSP clients share a name pattern; a branch number tells them apart.
        let mut name = base.clone();
        let mut n = 2;
        while !used.insert(crate::clients::Slug::from_name(&name)) {
            name = format!("{base} {n}");
            n += 1;
        }
        id += 1;
        let tier = match rng.below(8) {
            0 => ImpactTier::Critical,
            1 | 2 => ImpactTier::Sensitive,
            _ => ImpactTier::Standard,
        };
        let slug = crate::clients::Slug::from_name(&name);
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let contact = format!("{first} {last}");
        // Most clients are older than the history; some joined during it.
        let age_days = if rng.chance(85) {
            shape.days + 30 + rng.below(400) as i64
        } else {
            30 + rng.below(shape.days.max(1) as usize) as i64
        };
        let created = now - Duration::days(age_days) - Duration::hours(rng.below(24) as i64);
        let updated = now - Duration::days(rng.below(age_days as usize) as i64);
        let mut tags: Vec<&str> = vec![*rng.pick(COMMON_TAGS)];
        if rng.chance(60) {
            tags.push(*rng.pick(sector_tags));
        }
        if rng.chance(30) {
            tags.push(*rng.pick(COMMON_TAGS));
        }
        tags.sort_unstable();
        tags.dedup();
        for tag in tags {
            gen.client_tags.push(vec![V::I(id), V::S(tag)]);
        }
        let domain = slug.replace('-', "");
        gen.clients.push(vec![
            V::I(id),
            V::T(slug.clone()),
            V::T(name.clone()),
            V::S(tier.as_str()),
            V::S(sector),
            V::T(contact.clone()),
            V::T(format!("{}.{}@{domain}.example", first.to_lowercase(), last.to_lowercase())),
            V::S(if rng.chance(30) { "Internal: break-glass account kept in the vault." } else { "" }),
            V::At(created),
            V::At(updated),
            V::I(1),
        ]);
        clients.push(GenClient { id, slug, name, tier, contact, created, maturity: 30 + rng.below(65), grants: 0 });
    }
    clients
}

/// Every client-side control on each checklist, with one or two history entries each and some
/// evidence gone stale (as the small demo's checklists, row by row).
fn gen_checklists(
    rng: &mut DemoRng,
    clients: &[GenClient],
    catalog: &[Control],
    now: DateTime<Utc>,
    next: &mut Ids,
    gen: &mut Generated,
) {
    for client in clients {
        let span_hours = (now - client.created).num_hours().max(48) as usize;
        for control in catalog {
            let roll = rng.below(100);
            let last = if roll < 4 {
                continue; // never assessed
            } else if roll < 4 + client.maturity * 80 / 100 {
                S::Implemented
            } else if control.severity <= 3 && rng.chance(15) {
                S::NotApplicable
            } else if rng.chance(55) {
                S::Partial
            } else {
                S::NotImplemented
            };
            let first = match last {
                S::Implemented if rng.chance(40) => S::Partial,
                S::Partial if rng.chance(30) => S::NotImplemented,
                other => other,
            };
            let who = *rng.pick(super::TECHNICIANS);
            let first_at = client.created + Duration::hours((24 + rng.below(span_hours / 3)) as i64);
            gen.control_history.push(vec![
                V::I(take(&mut next.history)),
                V::I(client.id),
                V::T(control.id.clone()),
                V::At(first_at),
                V::S(who),
                V::S(S::NotAssessed.as_str()),
                V::S(first.as_str()),
                V::S("First assessment"),
            ]);
            let mut last_at = first_at;
            let mut version = 1;
            if first != last {
                let later = first_at + Duration::hours(rng.below((now - first_at).num_hours().max(2) as usize) as i64);
                gen.control_history.push(vec![
                    V::I(take(&mut next.history)),
                    V::I(client.id),
                    V::T(control.id.clone()),
                    V::At(later),
                    V::S(super::TECHNICIANS[rng.below(super::TECHNICIANS.len())]),
                    V::S(first.as_str()),
                    V::S(last.as_str()),
                    V::S("Remediated"),
                ]);
                last_at = later;
                version = 2;
            }
            let verified = match control.review.next_due(last_at) {
                Some(_) if rng.chance(75) => {
                    let period = match control.review {
                        ReviewFrequency::Weekly => 6 * 24,
                        ReviewFrequency::Monthly => 25 * 24,
                        ReviewFrequency::Quarterly => 80 * 24,
                        ReviewFrequency::SemiAnnual => 170 * 24,
                        _ => 350 * 24,
                    };
                    (now - Duration::hours(rng.below(period) as i64)).max(last_at)
                }
                _ => last_at,
            };
            let note = match last {
                S::Implemented | S::Partial => *rng.pick(NOTES),
                _ => "",
            };
            let justification =
                if last == S::NotApplicable { "The client does not run the systems this control covers." } else { "" };
            gen.client_controls.push(vec![
                V::I(client.id),
                V::T(control.id.clone()),
                V::S(last.as_str()),
                V::S(who),
                V::S(note),
                V::S(""),
                V::S(justification),
                V::OAt(Some(verified)),
                V::OT(Some(who.to_string())),
                V::At(last_at),
                V::I(version),
                V::OAt(control.review.next_due(verified)),
                V::B(last == S::Implemented && rng.chance(40)),
            ]);
        }
    }
}

struct GenTechnician {
    id: i64,
    state: &'static str,
    started: DateTime<Utc>,
    /// When the exit began (T0), for leavers.
    t0: Option<DateTime<Utc>>,
}

fn gen_technicians(
    rng: &mut DemoRng,
    shape: LargeShape,
    now: DateTime<Utc>,
    next: &mut Ids,
    gen: &mut Generated,
) -> Vec<GenTechnician> {
    let mut technicians = Vec::with_capacity(shape.technicians);
    for i in 0..shape.technicians {
        let first = FIRST_NAMES[i % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i / FIRST_NAMES.len() + i) % LAST_NAMES.len()];
        let id = take(&mut next.technician);
        let state = match rng.below(100) {
            0..=3 => "onboarding",
            4..=5 => "offboarding",
            6..=19 => "departed",
            _ => "active",
        };
        let started = if state == "onboarding" {
            now - Duration::days(1 + rng.below(10) as i64)
        } else {
            now - Duration::days(90 + rng.below(shape.days.max(1) as usize + 900) as i64)
        };
        let t0 = match state {
            "offboarding" => Some(now - Duration::hours(1 + rng.below(72) as i64)),
            "departed" => Some(
                (started + Duration::days(60 + rng.below((now - started).num_days().max(61) as usize - 60) as i64))
                    .min(now - Duration::days(2)),
            ),
            _ => None,
        };
        let involuntary = t0.is_some() && rng.chance(20);
        let name = format!("{first} {last}");
        gen.technicians.push(vec![
            V::I(id),
            V::T(name.clone()),
            V::T(format!("{}.{}.{id}@msp.example", first.to_lowercase(), last.to_lowercase())),
            V::S(TITLES[rng.below(TITLES.len())]),
            V::S(state),
            V::At(started),
            V::OAt(if state == "departed" { t0 } else { None }),
            V::At(started),
            V::I(2),
            V::B(involuntary),
        ]);
        // The onboarding checklist: done (the newcomers' still under way).
        for k in 1..=11 {
            let due = started + Duration::days(k);
            let done = state != "onboarding" || k <= 4;
            gen.lifecycle_steps.push(vec![
                V::I(take(&mut next.step)),
                V::I(id),
                V::T(format!("ON-{k:02}")),
                V::At(due),
                V::OAt(done.then(|| due - Duration::hours(2))),
                V::OT(done.then(|| "Morgan Manager".to_string())),
                V::S(if done { "Done; see the HR onboarding ticket." } else { "" }),
                V::At(started),
            ]);
        }
        // The offboarding checklist of leavers: done for those who left, under way otherwise.
        if let Some(t0) = t0 {
            for k in 1..=12 {
                let due = t0 + Duration::hours(4 * k);
                let done = state == "departed" || k == 1;
                gen.lifecycle_steps.push(vec![
                    V::I(take(&mut next.step)),
                    V::I(id),
                    V::T(format!("OFF-{k:02}")),
                    V::At(due),
                    V::OAt(done.then(|| due - Duration::hours(1))),
                    V::OT(done.then(|| "Morgan Manager".to_string())),
                    V::S(if done { "Done; ticket closed." } else { "" }),
                    V::At(t0),
                ]);
            }
        }
        technicians.push(GenTechnician { id, state, started, t0 });
    }
    technicians
}

fn gen_grants(
    rng: &mut DemoRng,
    shape: LargeShape,
    clients: &mut [GenClient],
    technicians: &[GenTechnician],
    now: DateTime<Utc>,
    next: &mut Ids,
    gen: &mut Generated,
) {
    let eligible: Vec<&GenTechnician> = technicians.iter().filter(|t| t.state != "onboarding").collect();
    if eligible.is_empty() || clients.is_empty() {
        return;
    }
    let mut held = HashSet::new();
    let mut made = 0;
    let mut tries = 0;
    while made < shape.grants && tries < shape.grants * 4 {
        tries += 1;
        let technician = *rng.pick(&eligible);
        let c = rng.below(clients.len());
        let system = *rng.pick(SYSTEMS);
        if !held.insert((technician.id, c, system)) {
            continue;
        }
        let latest = technician.t0.unwrap_or(now) - Duration::days(1);
        let span = (latest - technician.started).num_days().max(2) as usize;
        let granted = (technician.started + Duration::days(rng.below(span) as i64)).min(latest);
        let privilege = match rng.below(10) {
            0..=2 => "admin",
            3..=7 => "standard",
            _ => "read",
        };
        let reviewed = rng.chance(70).then(|| (latest - Duration::days(rng.below(150) as i64)).max(granted));
        let expires = rng.chance(15).then(|| now + Duration::days(rng.below(300) as i64 - 60));
        let departed = technician.state == "departed";
        let leaving = technician.state == "offboarding";
        let revoked = technician.t0.filter(|_| departed).map(|t0| t0 + Duration::hours(1 + rng.below(20) as i64));
        let revoke_due = technician.t0.filter(|_| departed || leaving).map(|t0| t0 + Duration::hours(24));
        gen.grants.push(vec![
            V::I(take(&mut next.grant)),
            V::I(technician.id),
            V::I(clients[c].id),
            V::S(system),
            V::S(privilege),
            V::S("Morgan Manager"),
            V::S("Day-to-day work for this client"),
            V::At(granted),
            V::OAt(expires),
            V::B(!(privilege == "admin" && rng.chance(10))),
            V::OAt(reviewed),
            V::OT(reviewed.map(|_| "Morgan Manager".to_string())),
            V::OAt(revoked),
            V::OT(revoked.map(|_| "Morgan Manager".to_string())),
            V::OAt(revoke_due),
            V::S(if revoked.is_some() { "tool_user_list" } else { "" }),
            V::OAt(revoked),
        ]);
        if revoked.is_none() {
            clients[c].grants += 1;
        }
        made += 1;
    }
}

/// The default review series of every client, started before the history, with every
/// occurrence that fell due closed (most done, some late, a few skipped) and the next one open;
/// some clients are behind. Every security review done was held as a signed meeting, with its
/// decisions and an action item (done at the next meeting, the last ones still open).
fn gen_reviews(
    rng: &mut DemoRng,
    shape: LargeShape,
    clients: &[GenClient],
    now: DateTime<Utc>,
    next: &mut Ids,
    gen: &mut Generated,
) {
    let calendar = crate::clock::calendar();
    let today = calendar.today(now);
    for client in clients {
        let start =
            (now - Duration::days(shape.days + rng.below(60) as i64)).date_naive().max(client.created.date_naive());
        let behind = rng.chance(30);
        let horizon = today - Duration::days(if behind { 30 } else { 0 });
        let created =
            client.created.max(start.and_hms_opt(9, 0, 0).map(|t| t.and_utc()).unwrap_or(now) - Duration::days(7));
        // The last meeting's action item: (id, meeting, owner, due).
        let mut open_action: Option<(i64, i64, &str, NaiveDate)> = None;
        for kind in ReviewKind::DEFAULTS {
            let cadence = kind.default_cadence(client.tier);
            let series = take(&mut next.series);
            gen.series.push(vec![
                V::I(series),
                V::I(client.id),
                V::S(kind.as_str()),
                V::S(kind.label()),
                V::S(cadence.as_str()),
                V::D(start),
                V::At(created),
                V::S("Command line"),
            ]);
            let mut n = 0;
            while let Some(due) = cadence.due(start, n) {
                let occurrence = take(&mut next.occurrence);
                if due >= horizon {
                    gen.occurrences.push(vec![
                        V::I(occurrence),
                        V::I(series),
                        V::I(client.id),
                        V::I(n as i64),
                        V::D(due),
                        V::S(OccurrenceState::Planned.as_str()),
                        V::S(""),
                        V::OAt(None),
                        V::OT(None),
                        V::I(1),
                    ]);
                    break;
                }
                let skip = rng.chance(6);
                let late_by = if rng.chance(20) { 3 + rng.below(20) as i64 } else { -(rng.below(5) as i64) };
                let closed =
                    (due.and_hms_opt(15, 0, 0).map(|t| t.and_utc()).unwrap_or(now) + Duration::days(late_by)).min(now);
                gen.occurrences.push(vec![
                    V::I(occurrence),
                    V::I(series),
                    V::I(client.id),
                    V::I(n as i64),
                    V::D(due),
                    V::S(if skip { OccurrenceState::Skipped } else { OccurrenceState::Done }.as_str()),
                    V::S(if skip { "Postponed at the client's request; covered at the next one." } else { "" }),
                    V::OAt(Some(closed)),
                    V::OT(Some("Morgan Manager".to_string())),
                    V::I(2),
                ]);
                if kind == ReviewKind::SecurityReview && !skip {
                    let meeting = take(&mut next.meeting);
                    let held_on = calendar.today(closed);
                    let engineer = *rng.pick(super::TECHNICIANS);
                    let topics = [
                        ("Controls that regressed since the last review", "Remediate by the next review."),
                        ("Access granted and revoked", "Accepted as recorded."),
                    ];
                    for (topic, decision) in topics {
                        gen.decisions.push(vec![
                            V::I(take(&mut next.decision)),
                            V::I(meeting),
                            V::S(topic),
                            V::S(decision),
                        ]);
                    }
                    let action_title = ACTION_TITLE;
                    let action_due = held_on + Duration::days(30);
                    // The previous meeting's action item is closed in this one.
                    if let Some(done) = open_action.take() {
                        gen.actions.push(action_row(done, client.id, ACTION_TITLE, Some((closed, meeting))));
                    }
                    open_action = Some((take(&mut next.action), meeting, engineer, action_due));
                    let pack = Pack {
                        client_name: client.name.clone(),
                        client_slug: client.slug.clone(),
                        title: kind.label().to_string(),
                        held_on,
                        signed: Some((closed, "Morgan Manager".into())),
                        posture: None,
                        coverage: None,
                        band: Band::NotRated.as_str().into(),
                        band_explanation: None,
                        categories: Vec::new(),
                        penalties: Vec::new(),
                        trend: vec![PackPoint { day: held_on, posture: None }],
                        attendees_msp: vec!["Morgan Manager".into(), engineer.to_string()],
                        attendees_client: vec![client.contact.clone()],
                        agenda: topics.iter().map(|(t, _)| t.to_string()).collect(),
                        minutes: "Walked through the posture and the changes since the last review.".into(),
                        changes: Vec::new(),
                        access_changes: Vec::new(),
                        decisions: topics
                            .iter()
                            .map(|(t, d)| PackDecision { topic: t.to_string(), decision: d.to_string() })
                            .collect(),
                        actions: vec![PackAction {
                            title: action_title.into(),
                            owner: engineer.to_string(),
                            due_on: Some(action_due),
                            done: false,
                        }],
                    };
                    gen.meetings.push(vec![
                        V::I(meeting),
                        V::I(occurrence),
                        V::I(client.id),
                        V::D(held_on),
                        V::T(format!("Morgan Manager, {engineer}")),
                        V::T(client.contact.clone()),
                        V::T(pack.agenda.join("\n")),
                        V::T(pack.minutes.clone()),
                        V::S("signed"),
                        V::OAt(Some(closed)),
                        V::OT(Some("Morgan Manager".into())),
                        V::OT(serde_json::to_string(&pack).ok()),
                        V::At(closed - Duration::hours(2)),
                        V::S("Morgan Manager"),
                        V::I(3),
                    ]);
                }
                n += 1;
            }
        }
        if let Some(open) = open_action.take() {
            gen.actions.push(action_row(open, client.id, ACTION_TITLE, None));
        }
    }
}

const ACTION_TITLE: &str = "Confirm MFA on every remote access tool";

/// An action item created in one meeting, maybe done in a later one (when, and which).
fn action_row(
    (id, meeting, owner, due): (i64, i64, &str, NaiveDate),
    client_id: i64,
    title: &'static str,
    done: Option<(DateTime<Utc>, i64)>,
) -> Vec<V> {
    vec![
        V::I(id),
        V::I(client_id),
        V::I(meeting),
        V::S(title),
        V::T(owner.to_string()),
        V::D(due),
        V::S(if done.is_some() { "done" } else { "open" }),
        V::OAt(done.map(|d| d.0)),
        V::OT(done.map(|_| "Morgan Manager".to_string())),
        V::OI(done.map(|d| d.1)),
    ]
}

/// Three years of daily scores for one client: a walk from a weaker past to today's maturity,
/// with its own generator (seeded from the client) so that it does not depend on the order.
fn gen_snapshots(
    seed: u64,
    client: &GenClient,
    categories: &[String],
    days: i64,
    now: DateTime<Utc>,
    settings: &ScoreSettings,
    out: &mut Table,
) {
    use std::fmt::Write as _;
    let mut rng = DemoRng::new(seed ^ (client.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let target = (client.maturity as i64 * 80 / 100 + 10).min(100);
    let start = (target - 10 - rng.below(30) as i64).max(5);
    let calendar = crate::clock::calendar();
    let mut noise = 0i64;
    let offsets: Vec<i64> = categories.iter().map(|_| rng.below(25) as i64 - 12).collect();
    for k in (1..=days).rev() {
        let t = now - Duration::days(k);
        if t < client.created {
            continue;
        }
        noise = (noise + rng.below(5) as i64 - 2).clamp(-6, 6);
        let coverage = (start + (target - start) * (days - k) / days.max(1) + noise).clamp(0, 100);
        let penalty = if rng.chance(10) { 5 + rng.below(10) as i64 } else { 0 };
        let posture = (coverage - penalty).max(0);
        let mut json = String::from("{");
        for (i, (category, offset)) in categories.iter().zip(&offsets).enumerate() {
            if i > 0 {
                json.push(',');
            }
            let _ = write!(json, "\"{category}\":{}", (coverage + offset).clamp(0, 100));
        }
        json.push('}');
        out.push(vec![
            V::I(client.id),
            V::D(calendar.today(t)),
            V::OI(Some(coverage)),
            V::OI(Some(posture)),
            V::S(Band::of_posture(posture, settings).as_str()),
            V::T(json),
            V::I(rng.below(6) as i64),
            V::I(0),
            V::I(i64::from(penalty > 0)),
            V::I(0),
            V::I(penalty),
            V::I(client.grants),
            V::I(i64::from(rng.chance(5))),
            V::I(0),
            V::I(rng.below(3) as i64),
            V::At(t),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut table = Table::new("t", &["a", "b", "c", "d", "e", "f"]);
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 9, 5, 3).unwrap() + Duration::microseconds(42);
        table.push(vec![
            V::I(-7),
            V::T("tab\there\nline\\slash\rcr".into()),
            V::OT(None),
            V::B(true),
            V::At(at),
            V::D(NaiveDate::from_ymd_opt(2026, 2, 3).unwrap()),
        ]);
        table.push(vec![
            V::OI(None),
            V::S("plain"),
            V::OT(Some(String::new())),
            V::B(false),
            V::OAt(None),
            V::OI(Some(3)),
        ]);
        assert_eq!(
            table.copy_text(),
            "-7\ttab\\there\\nline\\\\slash\\rcr\t\\N\tt\t2026-11-26 09:05:03.000042+00\t2026-02-03\n\
             \\N\tplain\t\tf\t\\N\t3\n"
        );
    }
    /// `rows` rows of two values each.
    fn two_columns(rows: i64) -> Table {
        let mut table = Table::new("t", &["a", "b"]);
        for i in 0..rows {
            table.push(vec![V::I(i), V::T(i.to_string())]);
        }
        table
    }

    fn rows_of(batches: &[Batch]) -> Vec<usize> {
        batches
            .iter()
            .map(|b| match b {
                Batch::Insert { rows, values, .. } => {
                    assert_eq!(values.len(), rows * 2, "every value bound");
                    *rows
                }
                Batch::Copy { rows, text, .. } => {
                    assert_eq!(text.lines().count(), *rows, "a line per row");
                    *rows
                }
            })
            .collect()
    }

    #[test]
    fn sqlite_batches_are_full_inserts_until_the_rest_is_asked_for() {
        // 15,000 rows of two values fill one INSERT (30,000 values).
        let mut table = two_columns(31_001);
        assert_eq!(rows_of(&table.batches(false, false).unwrap()), [15_000, 15_000]);
        assert_eq!(table.rows(), 1001, "the rest waits for more rows");
        assert_eq!(rows_of(&table.batches(true, false).unwrap()), [1001]);
        assert_eq!(table.rows(), 0);
        assert!(table.batches(true, false).unwrap().is_empty());
    }

    #[test]
    fn postgres_batches_are_copies_of_at_least_their_size_until_the_rest_is_asked_for() {
        let mut table = two_columns(COPY_ROWS as i64 - 1);
        assert!(table.batches(false, true).unwrap().is_empty());
        table.push(vec![V::I(-1), V::T("last".into())]);
        assert_eq!(rows_of(&table.batches(false, true).unwrap()), [COPY_ROWS]);
        assert_eq!(table.rows(), 0);
        let mut rest = two_columns(3);
        assert_eq!(rows_of(&rest.batches(true, true).unwrap()), [3]);
    }
}
