//! CSV import and export of the access register.
//!
//! Import reads technicians and grants as PSA and RMM tools export them: one row per grant, and
//! a row without client and system only declares a technician. It is two steps over the same
//! checks: [`preview_import`] says for every row what it would do and what is wrong, and writes
//! nothing; [`commit_import`] checks again and writes every technician and grant in one
//! transaction, or nothing at all while any row is wrong.
//!
//! Invariants (as for grants made in the form): nobody approves their own access, and nobody
//! imports their own; a leaver gets no new access; one active grant per technician, client and
//! system, in the database and within the file; the expiry comes after the grant. Technicians
//! new to Rampart are created active: they predate it, so no onboarding checklist is opened.
//! An export re-imports: its extra columns are ignored, except that revoked grants and leavers
//! are skipped rather than brought back as active access.
//!
//! Who may do what (see [`crate::authz`]): importing needs ManageTechnicians and ManageAccess on
//! every client named; a client the importer may not see reads exactly like an unknown one.
//! Exporting needs ViewTechnicians and lists only grants on clients the exporter may see.

use super::model::{self, Grant, GrantState, Privilege, Technician, TechnicianState, SYSTEMS};
use super::{check_grant_fields, lifecycle, parse_day, store, GrantFields, GrantQuery};
use crate::audit::store::audited;
use crate::audit::Record;
use crate::authz::{Actor, Permission};
use crate::clients;
use crate::db::unique::{GRANT_ACTIVE, TECHNICIAN_EMAIL};
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use crate::on_pool;
use crate::text::{neutralise, unneutralise};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use std::collections::{HashMap, HashSet};

/// The largest file accepted.
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;
/// The most rows (besides the header) accepted in one file.
pub const MAX_IMPORT_ROWS: usize = 5_000;

/// A column an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    TechnicianEmail,
    TechnicianName,
    TechnicianTitle,
    StartedOn,
    Client,
    System,
    SystemName,
    Privilege,
    Mfa,
    GrantedOn,
    ExpiresOn,
    Approver,
    Justification,
    LastReviewedOn,
    // Written by the export and read back, so that an export re-imports faithfully.
    LastReviewedBy,
    TechnicianState,
    RevokedAt,
}

const COLUMN_COUNT: usize = 17;

impl Column {
    const ALL: [Column; COLUMN_COUNT] = [
        Column::TechnicianEmail,
        Column::TechnicianName,
        Column::TechnicianTitle,
        Column::StartedOn,
        Column::Client,
        Column::System,
        Column::SystemName,
        Column::Privilege,
        Column::Mfa,
        Column::GrantedOn,
        Column::ExpiresOn,
        Column::Approver,
        Column::Justification,
        Column::LastReviewedOn,
        Column::LastReviewedBy,
        Column::TechnicianState,
        Column::RevokedAt,
    ];

    fn name(self) -> &'static str {
        match self {
            Column::TechnicianEmail => "technician_email",
            Column::TechnicianName => "technician_name",
            Column::TechnicianTitle => "technician_title",
            Column::StartedOn => "started_on",
            Column::Client => "client",
            Column::System => "system",
            Column::SystemName => "system_name",
            Column::Privilege => "privilege",
            Column::Mfa => "mfa",
            Column::GrantedOn => "granted_on",
            Column::ExpiresOn => "expires_on",
            Column::Approver => "approver",
            Column::Justification => "justification",
            Column::LastReviewedOn => "last_reviewed_on",
            Column::LastReviewedBy => "last_reviewed_by",
            Column::TechnicianState => "technician_state",
            Column::RevokedAt => "revoked_at",
        }
    }

    /// Other headers for the same column, as PSA and RMM exports name it. Compared like the
    /// name: ignoring case, spaces, underscores and punctuation.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::TechnicianEmail => &["email", "e-mail", "user email", "email address", "work email"],
            Column::TechnicianName => &["name", "full name", "display name", "technician", "user name"],
            Column::TechnicianTitle => &["title", "job title"],
            Column::StartedOn => &["start date", "started"],
            Column::Client => &["company", "customer", "client name", "organization", "organisation"],
            Column::System => &["tool", "application"],
            Column::SystemName => &["tool name", "application name"],
            Column::Privilege => &["role", "access level", "permission"],
            Column::Mfa => &["mfa enabled", "2fa", "mfa enforced"],
            Column::GrantedOn => &["granted", "grant date", "date granted"],
            Column::ExpiresOn => &["expires", "expiry", "expiry date", "expiration date"],
            Column::Approver => &["approved by"],
            Column::Justification => &["reason", "business justification"],
            Column::LastReviewedOn => &["last reviewed", "reviewed on"],
            Column::LastReviewedBy | Column::TechnicianState | Column::RevokedAt => &[],
        }
    }

    fn of_header(header: &str) -> Option<Column> {
        let key = squash(header);
        if key.is_empty() {
            return None;
        }
        Column::ALL.into_iter().find(|c| squash(c.name()) == key || c.aliases().iter().any(|a| squash(a) == key))
    }
}

/// The columns of an import file, in the order the export writes them.
pub const IMPORT_COLUMNS: [&str; 14] = [
    "technician_email",
    "technician_name",
    "technician_title",
    "started_on",
    "client",
    "system",
    "system_name",
    "privilege",
    "mfa",
    "granted_on",
    "expires_on",
    "approver",
    "justification",
    "last_reviewed_on",
];

/// The export's columns after [`IMPORT_COLUMNS`]: what the register knows beyond an import.
pub const EXPORT_EXTRA_COLUMNS: [&str; 7] =
    ["grant_id", "state", "technician_state", "last_reviewed_by", "revoked_at", "revoked_by", "findings"];

/// Needed in every file.
const ALWAYS_REQUIRED: [Column; 2] = [Column::TechnicianEmail, Column::TechnicianName];
/// Needed in a file that carries grants (one with a client or a system column).
const GRANT_REQUIRED: [Column; 5] =
    [Column::Client, Column::System, Column::Privilege, Column::Approver, Column::Justification];

/// Lower-case letters and digits only: "User E-mail" and "user_email" compare alike.
fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A system by its value or its label, ignoring case and punctuation ("RMM", "Password vault",
/// "password_vault").
fn parse_system(s: &str) -> Option<&'static str> {
    let key = squash(s);
    const EXTRA: [(&str, &str); 6] = [
        ("m365", "m365_gdap"),
        ("microsoft365", "m365_gdap"),
        ("gdap", "m365_gdap"),
        ("remotesupport", "remote_support"),
        ("vpn", "firewall_vpn"),
        ("backup", "backup_console"),
    ];
    SYSTEMS
        .iter()
        .find(|(value, label)| squash(value) == key || squash(label) == key)
        .map(|(value, _)| *value)
        .or_else(|| EXTRA.iter().find(|(alias, _)| *alias == key).map(|(_, value)| *value))
}

/// A privilege by its value or as tools name it ("Administrator", "Read only", "Technician").
fn parse_privilege(s: &str) -> Option<Privilege> {
    match squash(s).as_str() {
        "admin" | "administrator" | "full" | "fullaccess" | "owner" => Some(Privilege::Admin),
        "standard" | "user" | "technician" | "tech" | "member" => Some(Privilege::Standard),
        "read" | "readonly" | "viewer" | "view" | "reader" => Some(Privilege::Read),
        _ => None,
    }
}

/// Whether MFA is enforced; an empty cell says no (access without stated MFA is treated as
/// access without MFA, which is what a finding should flag).
fn parse_mfa(s: &str) -> Option<bool> {
    match squash(s).as_str() {
        "yes" | "y" | "true" | "1" | "enabled" | "enforced" | "on" => Some(true),
        "" | "no" | "n" | "false" | "0" | "disabled" | "off" | "notenforced" => Some(false),
        _ => None,
    }
}

/// Where each column is in the file.
#[derive(Debug)]
struct Layout {
    at: [Option<usize>; COLUMN_COUNT],
    width: usize,
}

impl Layout {
    fn has(&self, column: Column) -> bool {
        self.at[column as usize].is_some()
    }
}

/// Maps the header to columns: the layout, or the file's errors; and the ignored headers.
fn read_header(cells: &[String]) -> (std::result::Result<Layout, Vec<String>>, Vec<String>) {
    let mut at: [Option<usize>; COLUMN_COUNT] = [None; COLUMN_COUNT];
    let mut ignored = Vec::new();
    let mut errors = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let header = cell.trim();
        match Column::of_header(header) {
            Some(column) => match at[column as usize] {
                Some(first) => errors.push(format!(
                    "The columns “{}” and “{header}” both mean {}: keep one.",
                    cells[first].trim(),
                    column.name()
                )),
                None => at[column as usize] = Some(i),
            },
            None if header.is_empty() => {}
            None => ignored.push(header.to_string()),
        }
    }
    let layout = Layout { at, width: cells.len() };
    let carries_grants = layout.has(Column::Client) || layout.has(Column::System);
    let missing: Vec<&str> = ALWAYS_REQUIRED
        .iter()
        .chain(if carries_grants { &GRANT_REQUIRED[..] } else { &[] })
        .filter(|c| !layout.has(**c))
        .map(|c| c.name())
        .collect();
    if !missing.is_empty() {
        errors.push(format!(
            "Missing columns: {}. The first line must name the columns; expected: {} (the import page lists them).",
            missing.join(", "),
            IMPORT_COLUMNS.join(", ")
        ));
    }
    (if errors.is_empty() { Ok(layout) } else { Err(errors) }, ignored)
}

/// One row as read and checked on its own, before anything is looked up.
#[derive(Debug, Default)]
struct RowInput {
    line: u64,
    email: String,
    name: String,
    title: String,
    started_at: Option<DateTime<Utc>>,
    /// As written (a slug or a name); empty on a technician-only row.
    client: String,
    /// For people: the label, the named other system, or the cell as written.
    system: String,
    privilege: String,
    /// The row names a client or a system.
    is_grant: bool,
    /// Set when every grant field is right.
    grant: Option<GrantInput>,
    /// Why the row is read but not imported (from an export).
    skipped: Option<&'static str>,
    notes: Vec<String>,
    errors: Vec<FieldError>,
}

#[derive(Debug, Clone)]
struct GrantInput {
    system: &'static str,
    system_name: String,
    privilege: Privilege,
    mfa: bool,
    granted_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    approver: String,
    justification: String,
    last_reviewed: Option<(DateTime<Utc>, String)>,
}

/// The file as read: rows checked on their own.
#[derive(Debug, Default)]
struct FileInput {
    rows: Vec<RowInput>,
    file_errors: Vec<String>,
    ignored_columns: Vec<String>,
}

fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Reads and checks a file on its own (no database): the header, the limits, and every row's
/// values. `now` is the time of the import: the default grant date, and the limit for dates that
/// cannot be in the future.
fn read_file(bytes: &[u8], now: DateTime<Utc>) -> FileInput {
    let mut file = FileInput::default();
    if bytes.len() > MAX_IMPORT_BYTES {
        file.file_errors.push(format!(
            "The file is larger than {} MB: split it into smaller files.",
            MAX_IMPORT_BYTES / (1024 * 1024)
        ));
        return file;
    }
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => {
            file.file_errors.push("The file is empty: the first line must name the columns.".into());
            return file;
        }
        Some(Err(e)) => {
            file.file_errors.push(format!("The first line could not be read as CSV ({e})."));
            return file;
        }
        Some(Ok(record)) => record,
    };
    let header: Option<Vec<String>> =
        header.iter().map(|cell| std::str::from_utf8(cell).ok().map(str::to_string)).collect();
    let Some(header) = header else {
        file.file_errors.push("The first line is not UTF-8 text: save the file as “CSV UTF-8”.".into());
        return file;
    };
    let (layout, ignored) = read_header(&header);
    file.ignored_columns = ignored;
    let layout = match layout {
        Ok(layout) => layout,
        Err(errors) => {
            file.file_errors = errors;
            return file;
        }
    };
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                file.file_errors
                    .push(format!("Line {line} could not be read as CSV ({e}); nothing after it was read."));
                break;
            }
        };
        // Blank lines, and the rows of commas spreadsheets leave at the end, are not rows.
        if record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if file.rows.len() == MAX_IMPORT_ROWS {
            file.file_errors
                .push(format!("The file has more than {MAX_IMPORT_ROWS} rows: split it into smaller files."));
            break;
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        file.rows.push(read_row(&layout, line, &record, now));
    }
    if file.rows.is_empty() && file.file_errors.is_empty() {
        file.file_errors.push("The file has a header but no rows.".into());
    }
    file
}

fn read_row(layout: &Layout, line: u64, record: &csv::ByteRecord, now: DateTime<Utc>) -> RowInput {
    let mut row = RowInput { line, ..Default::default() };
    if record.len() != layout.width {
        row.errors.push(FieldError::new(
            "row",
            format!(
                "This row has {} cells where the header has {}: look for a missing or extra comma, or an unclosed quote.",
                record.len(),
                layout.width
            ),
        ));
        return row;
    }
    let mut cells: [&str; COLUMN_COUNT] = [""; COLUMN_COUNT];
    for column in Column::ALL {
        let Some(i) = layout.at[column as usize] else { continue };
        match record.get(i).map(std::str::from_utf8) {
            Some(Ok(text)) => cells[column as usize] = unneutralise(text.trim()),
            Some(Err(_)) | None => {
                row.errors.push(FieldError::new("row", "This row is not UTF-8 text: save the file as “CSV UTF-8”."));
                return row;
            }
        }
    }
    if cells.iter().any(|c| c.contains('\u{fffd}')) {
        row.errors.push(FieldError::new(
            "row",
            "This row has characters that were not UTF-8 text (shown as �): save the file as “CSV UTF-8” and choose it again.",
        ));
        return row;
    }
    check_row(&mut row, &Cells(cells), now);
    row
}

/// A row's cells by column: trimmed, and empty where the file has no such column.
struct Cells<'a>([&'a str; COLUMN_COUNT]);

impl<'a> Cells<'a> {
    fn get(&self, column: Column) -> &'a str {
        self.0[column as usize]
    }
}

/// Checks one row's values on their own.
fn check_row(row: &mut RowInput, cells: &Cells<'_>, now: DateTime<Utc>) {
    let cell = |column: Column| cells.get(column);
    let today = day_of(now);
    row.email = cell(Column::TechnicianEmail).to_lowercase();
    row.name = clients::model::clean_line(cell(Column::TechnicianName));
    row.client = clients::model::clean_line(cell(Column::Client));
    row.system = clients::model::clean_line(cell(Column::System));
    row.privilege = clients::model::clean_line(cell(Column::Privilege));
    // An export lists revoked grants and leavers; importing them would bring back access.
    if !cell(Column::RevokedAt).is_empty() {
        row.skipped = Some("A revoked grant: not imported.");
        return;
    }
    if TechnicianState::parse(&cell(Column::TechnicianState).to_lowercase()).is_some_and(TechnicianState::is_leaver) {
        row.skipped = Some("A leaver: not imported (Rampart records leavers from offboarding on).");
        return;
    }
    let errors = &mut row.errors;
    if !clients::model::looks_like_email(&row.email) {
        errors.push(FieldError::new(
            Column::TechnicianEmail.name(),
            "Enter the technician's email address, like name@example.com.",
        ));
    }
    if row.name.is_empty() || row.name.chars().count() > 120 {
        errors.push(FieldError::new(
            Column::TechnicianName.name(),
            "Enter the technician's name (at most 120 characters).",
        ));
    }
    row.title = clients::model::clean_line(cell(Column::TechnicianTitle));
    if row.title.chars().count() > 120 {
        errors.push(FieldError::new(Column::TechnicianTitle.name(), "Use at most 120 characters for the title."));
    }
    if !cell(Column::StartedOn).is_empty() {
        row.started_at = parse_day(Column::StartedOn.name(), cell(Column::StartedOn), errors);
    }

    let system_cell = cell(Column::System);
    row.is_grant = !row.client.is_empty() || !system_cell.is_empty();
    if !row.is_grant {
        let grant_details = [
            Column::SystemName,
            Column::Privilege,
            Column::GrantedOn,
            Column::ExpiresOn,
            Column::Approver,
            Column::Justification,
            Column::LastReviewedOn,
        ];
        if grant_details.iter().any(|c| !cell(*c).is_empty()) {
            errors.push(FieldError::new(
                Column::Client.name(),
                "This row has grant details but no client and system: name both, or leave the grant columns empty.",
            ));
        }
        return;
    }
    if row.client.is_empty() {
        errors.push(FieldError::new(Column::Client.name(), "Name the client (its slug or exact name)."));
    }
    let system = parse_system(system_cell);
    if system.is_none() {
        let values: Vec<&str> = SYSTEMS.iter().map(|(v, _)| *v).collect();
        let message = if system_cell.is_empty() {
            format!("Name the system: one of {}.", values.join(", "))
        } else {
            format!("Unknown system “{}”: use one of {}.", row.system, values.join(", "))
        };
        errors.push(FieldError::new(Column::System.name(), message));
    }
    let privilege = parse_privilege(cell(Column::Privilege));
    if privilege.is_none() {
        errors.push(FieldError::new(
            Column::Privilege.name(),
            format!("Unknown privilege “{}”: use read, standard or admin.", row.privilege),
        ));
    }
    let mfa = parse_mfa(cell(Column::Mfa));
    if mfa.is_none() {
        errors.push(FieldError::new(Column::Mfa.name(), "Say whether MFA is enforced: yes or no."));
    } else if cell(Column::Mfa).is_empty() {
        row.notes.push("MFA not stated: recorded as not enforced.".into());
    }
    let granted_at = match cell(Column::GrantedOn) {
        "" => Some(now),
        day => match parse_day(Column::GrantedOn.name(), day, errors) {
            Some(at) if day_of(at) > today => {
                errors.push(FieldError::new(Column::GrantedOn.name(), "The grant date is in the future."));
                None
            }
            other => other,
        },
    };
    let approver = clients::model::clean_line(cell(Column::Approver));
    if approver.is_empty() || approver.chars().count() > 120 {
        errors.push(FieldError::new(
            Column::Approver.name(),
            "Name who approved this access (a person's name or email, at most 120 characters).",
        ));
    } else if approver.eq_ignore_ascii_case(&row.email) || approver.to_lowercase() == row.name.to_lowercase() {
        errors.push(FieldError::new(
            Column::Approver.name(),
            "Nobody approves their own access: name the person who approved it.",
        ));
    }
    let last_reviewed = match cell(Column::LastReviewedOn) {
        "" => None,
        day => match (parse_day(Column::LastReviewedOn.name(), day, errors), granted_at) {
            (Some(at), _) if day_of(at) > today => {
                errors.push(FieldError::new(Column::LastReviewedOn.name(), "The last review is in the future."));
                None
            }
            (Some(at), Some(granted)) if day_of(at) < day_of(granted) => {
                errors.push(FieldError::new(Column::LastReviewedOn.name(), "The last review comes before the grant."));
                None
            }
            (Some(at), _) => {
                let by = match clients::model::clean_line(cell(Column::LastReviewedBy)) {
                    by if by.is_empty() => approver.clone(),
                    by => by,
                };
                Some((at, by))
            }
            (None, _) => None,
        },
    };
    // The shared checks of a grant's own fields; system and privilege were said above in the
    // words of a file.
    let mut field_errors = Vec::new();
    let fields = check_grant_fields(
        &GrantFields {
            system: system.unwrap_or_default(),
            system_name: cell(Column::SystemName),
            privilege: privilege.map(Privilege::as_str).unwrap_or_default(),
            justification: cell(Column::Justification),
            expires_on: cell(Column::ExpiresOn),
        },
        granted_at.unwrap_or(now),
        &mut field_errors,
    );
    errors.extend(field_errors.into_iter().filter(|e| e.field != "system" && e.field != "privilege"));
    if let Some(system) = system {
        row.system = match (system, &fields) {
            ("other", Some(f)) => f.system_name.clone(),
            _ => model::system_label(system).to_string(),
        };
    }
    if let Some(p) = privilege {
        row.privilege = p.as_str().into();
    }
    if !errors.is_empty() {
        return;
    }
    if let (Some(system), Some(mfa), Some(granted_at), Some(fields)) = (system, mfa, granted_at, fields) {
        row.grant = Some(GrantInput {
            system,
            system_name: fields.system_name,
            privilege: fields.privilege,
            mfa,
            granted_at,
            expires_at: fields.expires_at,
            approver,
            justification: fields.justification,
            last_reviewed,
        });
    }
}

/// What importing a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    NewTechnician,
    NewTechnicianAndGrant,
    NewGrant,
    /// The technician is already in Rampart (or earlier in the file) and the row grants nothing.
    NothingNew,
    /// Read but not imported: a revoked grant or a leaver, as an export lists them.
    Skipped,
    /// The row is wrong; nothing in the file is written until it is fixed.
    Refused,
}

impl RowAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::NewTechnician => "new_technician",
            RowAction::NewTechnicianAndGrant => "new_technician_and_grant",
            RowAction::NewGrant => "new_grant",
            RowAction::NothingNew => "nothing_new",
            RowAction::Skipped => "skipped",
            RowAction::Refused => "refused",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RowAction::NewTechnician => "New technician",
            RowAction::NewTechnicianAndGrant => "New technician and grant",
            RowAction::NewGrant => "New grant",
            RowAction::NothingNew => "Already in Rampart",
            RowAction::Skipped => "Skipped",
            RowAction::Refused => "Not imported: fix the errors",
        }
    }
}

/// One row of the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub technician_name: String,
    pub technician_email: String,
    /// As written in the file; empty on a technician-only row.
    pub client: String,
    pub system: String,
    pub privilege: String,
    pub action: RowAction,
    /// Worth knowing, not wrong.
    pub notes: Vec<String>,
    /// Keyed by column ("row" for the row as a whole).
    pub errors: Vec<FieldError>,
}

/// What importing a file would do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPreview {
    pub rows: Vec<ImportRow>,
    /// Problems with the file as a whole (its header, size or encoding).
    pub file_errors: Vec<String>,
    /// Headers that are not import columns; their cells are not read.
    pub ignored_columns: Vec<String>,
    pub new_technicians: usize,
    pub new_grants: usize,
}

impl ImportPreview {
    pub fn rows_with_errors(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }

    /// Nothing wrong and something to write.
    pub fn can_commit(&self) -> bool {
        self.file_errors.is_empty() && self.rows_with_errors() == 0 && self.new_technicians + self.new_grants > 0
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub technicians_created: usize,
    pub grants_created: usize,
}

/// A client an import may name.
#[derive(sqlx::FromRow)]
struct ClientRef {
    id: i64,
    slug: String,
    name: String,
    archived_at: Option<DateTime<Utc>>,
}

async fn list_client_refs(db: &Db) -> Result<Vec<ClientRef>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, slug, name, archived_at FROM clients ORDER BY id").fetch_all(pool).await?
    }))
}

/// Who a planned grant is for.
#[derive(Debug, Clone)]
enum Holder {
    Existing(i64),
    New { email: String, name: String, title: String, started_at: DateTime<Utc> },
}

#[derive(Debug, Clone)]
struct PlannedGrant {
    client_id: i64,
    grant: GrantInput,
}

/// What a commit writes: each technician with its new grants.
#[derive(Debug, Default)]
struct Plan {
    holders: Vec<(Holder, Vec<PlannedGrant>)>,
}

/// Who may import at all: the rest is checked per client.
pub fn may_import(actor: &Actor) -> Result<()> {
    actor.require(Permission::ManageTechnicians)?;
    actor.require(Permission::ManageAccess)
}

/// A technician new to Rampart, as first met in the file.
struct Newcomer {
    line: u64,
    name: String,
    title: String,
    started_at: Option<DateTime<Utc>>,
    earliest_grant: Option<DateTime<Utc>>,
    /// Where the technician is in the plan, once a right row names them.
    planned: Option<usize>,
}

/// An active grant as the database keys it: technician (by email, so that grants of technicians
/// new in the file compare alike), client, system, and the other system's name.
type GrantKey = (String, i64, String, String);

fn grant_key(email: &str, client_id: i64, system: &str, system_name: &str) -> GrantKey {
    (email.to_lowercase(), client_id, system.to_string(), system_name.to_lowercase())
}

/// Reads the file and checks it against the register: the preview, and what a commit writes.
async fn analyse(db: &Db, actor: &Actor, text: &str, now: DateTime<Utc>) -> Result<(ImportPreview, Plan)> {
    may_import(actor)?;
    let file = read_file(text.as_bytes(), now);
    let mut preview =
        ImportPreview { file_errors: file.file_errors, ignored_columns: file.ignored_columns, ..Default::default() };
    if file.rows.is_empty() {
        return Ok((preview, Plan::default()));
    }
    let clients: Vec<ClientRef> =
        list_client_refs(db).await?.into_iter().filter(|c| actor.can_on_client(Permission::ViewClient, c.id)).collect();
    let technicians: HashMap<String, Technician> =
        store::list_technicians(db).await?.into_iter().map(|t| (t.email.to_lowercase(), t)).collect();
    let emails: HashMap<i64, &str> = technicians.values().map(|t| (t.id, t.email.as_str())).collect();
    let held: HashSet<GrantKey> = store::list_grants(db, GrantQuery::default())
        .await?
        .iter()
        .filter_map(|g| Some(grant_key(emails.get(&g.technician_id)?, g.client_id, &g.system, &g.system_name)))
        .collect();
    let mut in_file: HashMap<GrantKey, u64> = HashMap::new();
    let mut newcomers: HashMap<String, Newcomer> = HashMap::new();
    let mut gates: HashMap<(i64, bool), Option<&'static str>> = HashMap::new();
    let mut plan = Plan::default();
    let mut planned_existing: HashMap<i64, usize> = HashMap::new();

    for input in file.rows {
        let mut row = ImportRow {
            line: input.line,
            technician_name: input.name.clone(),
            technician_email: input.email.clone(),
            client: input.client.clone(),
            system: input.system.clone(),
            privilege: input.privilege.clone(),
            action: RowAction::Refused,
            notes: input.notes,
            errors: input.errors,
        };
        if let Some(why) = input.skipped {
            row.action = RowAction::Skipped;
            row.notes.push(why.into());
            preview.rows.push(row);
            continue;
        }
        let technician_ok = !row
            .errors
            .iter()
            .any(|e| e.field == Column::TechnicianEmail.name() || e.field == Column::TechnicianName.name());
        let existing = technicians.get(&input.email);
        if existing.is_none() && input.name.is_empty() && clients::model::looks_like_email(&input.email) {
            for e in row.errors.iter_mut().filter(|e| e.field == Column::TechnicianName.name()) {
                e.message = format!("Unknown technician {}: give their name to add them to Rampart.", input.email);
            }
        }
        match (existing, newcomers.get(&input.email)) {
            (Some(t), _) if technician_ok && t.name.to_lowercase() != input.name.to_lowercase() => {
                row.notes.push(format!("Known in Rampart as “{}”; that name is kept.", t.name));
            }
            (None, Some(first)) if technician_ok => {
                if first.name.to_lowercase() != input.name.to_lowercase() {
                    row.errors.push(FieldError::new(
                        Column::TechnicianName.name(),
                        format!("Line {} names this technician “{}”: use one name per email.", first.line, first.name),
                    ));
                }
                if input.started_at.is_some() && first.started_at.is_some() && input.started_at != first.started_at {
                    row.notes.push(format!("Line {} gives another start date; that one is used.", first.line));
                }
            }
            (None, None) if technician_ok => {
                newcomers.insert(
                    input.email.clone(),
                    Newcomer {
                        line: input.line,
                        name: input.name.clone(),
                        title: input.title.clone(),
                        started_at: input.started_at,
                        earliest_grant: None,
                        planned: None,
                    },
                );
            }
            _ => {}
        }

        let mut client = None;
        if input.is_grant && !input.client.is_empty() {
            match resolve_client(&clients, &input.client) {
                Ok(c) if !actor.can_on_client(Permission::ManageAccess, c.id) => row
                    .errors
                    .push(FieldError::new(Column::Client.name(), format!("You may not grant access at {}.", c.name))),
                Ok(c) => {
                    if c.archived_at.is_some() {
                        row.notes.push(format!("{} is archived.", c.name));
                    }
                    row.client = c.name.clone();
                    client = Some(c);
                }
                Err(message) => row.errors.push(FieldError::new(Column::Client.name(), message)),
            }
        }
        if input.is_grant {
            for refusal in lifecycle::grant_refusals(actor, &input.email, existing) {
                row.errors.push(FieldError::new(Column::TechnicianEmail.name(), refusal));
            }
        }
        let grant = match (client, input.grant) {
            (Some(c), Some(g)) => Some(PlannedGrant { client_id: c.id, grant: g }),
            _ => None,
        };
        if let Some(PlannedGrant { client_id, grant: g }) = &grant {
            if let Some(t) = existing {
                let approver = g.approver.to_lowercase();
                if approver == t.name.to_lowercase() || approver == t.email.to_lowercase() {
                    row.errors.push(FieldError::new(
                        Column::Approver.name(),
                        "Nobody approves their own access: name the person who approved it.",
                    ));
                }
            }
            let key = grant_key(&input.email, *client_id, g.system, &g.system_name);
            if held.contains(&key) {
                row.errors.push(FieldError::new(
                    Column::System.name(),
                    "This technician already holds active access to this system at this client.",
                ));
            } else if let Some(line) = in_file.get(&key) {
                row.errors.push(FieldError::new(
                    Column::System.name(),
                    format!("Line {line} already grants this technician this system at this client."),
                ));
            } else {
                in_file.insert(key, input.line);
            }
            // The checklist gates of a technician already onboarding in Rampart apply here too.
            if let (Some(t), true) = (existing, row.errors.is_empty()) {
                let admin = g.privilege == Privilege::Admin;
                let gate = match gates.get(&(t.id, admin)) {
                    Some(gate) => *gate,
                    None => *gates.entry((t.id, admin)).or_insert(lifecycle::grant_gate(db, t.id, admin).await?),
                };
                if let Some(refusal) = gate {
                    row.errors.push(FieldError::new(Column::Privilege.name(), refusal));
                }
            }
        }
        if !row.errors.is_empty() {
            preview.rows.push(row);
            continue;
        }

        // A right row: plan it.
        let has_grant = grant.is_some();
        if let Some(t) = existing {
            row.action = if has_grant { RowAction::NewGrant } else { RowAction::NothingNew };
            if let Some(grant) = grant {
                let index = *planned_existing.entry(t.id).or_insert_with(|| {
                    plan.holders.push((Holder::Existing(t.id), Vec::new()));
                    plan.holders.len() - 1
                });
                plan.holders[index].1.push(grant);
            }
        } else if let Some(newcomer) = newcomers.get_mut(&input.email) {
            let first = newcomer.planned.is_none();
            let index = *newcomer.planned.get_or_insert_with(|| {
                let holder = Holder::New {
                    email: input.email.clone(),
                    name: newcomer.name.clone(),
                    title: newcomer.title.clone(),
                    started_at: now,
                };
                plan.holders.push((holder, Vec::new()));
                plan.holders.len() - 1
            });
            row.action = match (first, has_grant) {
                (true, true) => RowAction::NewTechnicianAndGrant,
                (true, false) => RowAction::NewTechnician,
                (false, true) => RowAction::NewGrant,
                (false, false) => RowAction::NothingNew,
            };
            if let Some(grant) = grant {
                let at = grant.grant.granted_at;
                newcomer.earliest_grant = Some(newcomer.earliest_grant.map_or(at, |e| e.min(at)));
                plan.holders[index].1.push(grant);
            }
        }
        preview.rows.push(row);
    }
    // A new technician started on the day given, else on the day of their earliest grant, else today.
    for (holder, _) in &mut plan.holders {
        if let Holder::New { email, started_at, .. } = holder {
            if let Some(n) = newcomers.get(email.as_str()) {
                let day = n.started_at.or(n.earliest_grant).map(day_of).unwrap_or(day_of(now));
                *started_at = midnight(day);
            }
        }
    }
    preview.new_technicians = plan.holders.iter().filter(|(h, _)| matches!(h, Holder::New { .. })).count();
    preview.new_grants = plan.holders.iter().map(|(_, g)| g.len()).sum();
    Ok((preview, plan))
}

/// A client by slug, else by exact name (ignoring case), among those the actor may see. The
/// message is the same whether the client does not exist or the actor may not see it.
fn resolve_client<'a>(clients: &'a [ClientRef], written: &str) -> std::result::Result<&'a ClientRef, String> {
    if written.is_empty() {
        return Err("Name the client (its slug or exact name).".into());
    }
    if let Some(c) = clients.iter().find(|c| c.slug == written.to_lowercase()) {
        return Ok(c);
    }
    let named: Vec<&ClientRef> = clients.iter().filter(|c| c.name.to_lowercase() == written.to_lowercase()).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("Unknown client “{written}”: use the slug or the exact name of a client.")),
        _ => Err(format!("Several clients are named “{written}”: use the slug.")),
    }
}

/// What importing `text` would do, row by row, without writing anything.
pub async fn preview_import(db: &Db, actor: &Actor, text: &str, now: DateTime<Utc>) -> Result<ImportPreview> {
    Ok(analyse(db, actor, text, now).await?.0)
}

/// Checks the file again and writes every technician and grant in one transaction; while any
/// row or the file is wrong, writes nothing and says how many rows need fixing.
pub async fn commit_import(db: &Db, actor: &Actor, text: &str, now: DateTime<Utc>) -> Result<ImportSummary> {
    let (preview, plan) = analyse(db, actor, text, now).await?;
    if !preview.file_errors.is_empty() {
        return Err(DomainError::Validation(preview.file_errors.iter().map(|e| FieldError::new("file", e)).collect()));
    }
    match preview.rows_with_errors() {
        0 => {}
        1 => return Err(DomainError::invalid("file", "The file has 1 row with errors; preview it to see it.")),
        n => {
            return Err(DomainError::invalid(
                "file",
                format!("The file has {n} rows with errors; preview it to see them."),
            ))
        }
    }
    if preview.new_technicians + preview.new_grants == 0 {
        return Err(DomainError::invalid("file", "The file has nothing new to import."));
    }
    write_plan(db, actor, &plan, now).await
}

/// Writes a plan in one transaction: all of it, or (on any refusal by the database) none.
/// Every technician and grant it creates is audited as created by the import.
async fn write_plan(db: &Db, actor: &Actor, plan: &Plan, now: DateTime<Utc>) -> Result<ImportSummary> {
    let written: std::result::Result<ImportSummary, sqlx::Error> = audited!(db, |tx| {
        let mut summary = ImportSummary { technicians_created: 0, grants_created: 0 };
        for (holder, grants) in &plan.holders {
            let technician_id: i64 = match holder {
                Holder::Existing(id) => *id,
                Holder::New { email, name, title, started_at } => {
                    summary.technicians_created += 1;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO technicians (name, email, title, state, started_at, created_at, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id",
                    )
                    .bind(name)
                    .bind(email)
                    .bind(title)
                    .bind(TechnicianState::Active.as_str())
                    .bind(started_at)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    let record = Record::by(actor, "technician.create", format!("technician:{id}")).summary(format!(
                        "imported “{name}” <{email}> as active, started {}",
                        started_at.format("%Y-%m-%d")
                    ));
                    tx.append(&record).await?;
                    id
                }
            };
            for PlannedGrant { client_id, grant: g } in grants {
                let (reviewed_at, reviewed_by) = match &g.last_reviewed {
                    Some((at, by)) => (Some(*at), Some(by.as_str())),
                    None => (None, None),
                };
                let grant_id: i64 = sqlx::query_scalar(
                    "INSERT INTO grants (technician_id, client_id, system, system_name, privilege, approver, \
                     approver_user, justification, granted_at, expires_at, mfa, last_reviewed_at, last_reviewed_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(technician_id)
                .bind(client_id)
                .bind(g.system)
                .bind(&g.system_name)
                .bind(g.privilege.as_str())
                .bind(&g.approver)
                .bind(&g.justification)
                .bind(g.granted_at)
                .bind(g.expires_at)
                .bind(g.mfa)
                .bind(reviewed_at)
                .bind(reviewed_by)
                .fetch_one(&mut *tx)
                .await?;
                let record =
                    Record::by(actor, "grant.create", format!("grant:{grant_id}")).client(*client_id).summary(format!(
                        "imported: technician {technician_id} may reach {}{} with {} privilege, MFA {}, approved by {}",
                        g.system,
                        if g.system_name.is_empty() { String::new() } else { format!(" ({})", g.system_name) },
                        g.privilege.as_str(),
                        if g.mfa { "on" } else { "off" },
                        g.approver
                    ));
                tx.append(&record).await?;
                summary.grants_created += 1;
            }
        }
        summary
    });
    written.map_err(|e| {
        if [TECHNICIAN_EMAIL, GRANT_ACTIVE].iter().any(|u| u.is_violated_by(&e)) {
            DomainError::conflict(
                None,
                "The register changed while the file was being imported, and nothing was written: preview the file again.",
            )
        } else {
            e.into()
        }
    })
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The register as CSV: every grant on a client the actor may see (revoked ones too), then a
/// row for each technician without such a grant. The import's columns come first, so that an
/// export re-imports; every cell is neutralised against spreadsheet formulas. Exporting
/// everything needs a recent confirmation.
pub async fn export_register(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<String> {
    actor.require(Permission::ViewTechnicians)?;
    actor.require_recent_confirmation(now)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let mut grants: Vec<Grant> =
        store::list_grants(db, GrantQuery { include_revoked: true, assigned_to, only_client, ..Default::default() })
            .await?;
    grants.retain(|g| actor.can_on_client(Permission::ViewAccess, g.client_id));
    let technicians = store::list_technicians(db).await?;
    let policy = store::load_sla_policy(db).await?;
    let by_id: HashMap<i64, &Technician> = technicians.iter().map(|t| (t.id, t)).collect();

    let mut out = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = IMPORT_COLUMNS.iter().chain(EXPORT_EXTRA_COLUMNS.iter()).copied().collect();
    out.write_record(&header).map_err(DomainError::internal)?;
    let mut with_grants = HashSet::new();
    for g in &grants {
        let Some(t) = by_id.get(&g.technician_id) else { continue };
        with_grants.insert(t.id);
        let state = match g.state(now) {
            GrantState::Active => "active",
            GrantState::Revoked => "revoked",
            GrantState::Expired => "expired",
        };
        let findings: Vec<&str> = model::findings(g, &policy, now).into_iter().map(|f| f.describe()).collect();
        let record = [
            t.email.clone(),
            t.name.clone(),
            t.title.clone(),
            date(t.started_at),
            g.client_slug.clone(),
            g.system.clone(),
            g.system_name.clone(),
            g.privilege.as_str().into(),
            if g.mfa { "yes" } else { "no" }.into(),
            date(g.granted_at),
            g.expires_at.map(date).unwrap_or_default(),
            g.approver.clone(),
            g.justification.clone(),
            g.last_reviewed_at.map(date).unwrap_or_default(),
            g.id.to_string(),
            state.into(),
            g.technician_state.as_str().into(),
            g.last_reviewed_by.clone().unwrap_or_default(),
            g.revoked_at.map(timestamp).unwrap_or_default(),
            g.revoked_by.clone().unwrap_or_default(),
            findings.join("; "),
        ];
        out.write_record(record.iter().map(|c| neutralise(c).into_owned())).map_err(DomainError::internal)?;
    }
    for t in technicians.iter().filter(|t| !with_grants.contains(&t.id)) {
        let mut record = vec![String::new(); header.len()];
        record[0] = t.email.clone();
        record[1] = t.name.clone();
        record[2] = t.title.clone();
        record[3] = date(t.started_at);
        record[IMPORT_COLUMNS.len() + 2] = t.state.as_str().into();
        out.write_record(record.iter().map(|c| neutralise(c).into_owned())).map_err(DomainError::internal)?;
    }
    let bytes = out.into_inner().map_err(|e| DomainError::internal(e.into_error()))?;
    let text = String::from_utf8(bytes).map_err(DomainError::internal)?;
    let summary = format!(
        "{} grant(s) and {} technician(s) without one exported",
        grants.len(),
        technicians.iter().filter(|t| !with_grants.contains(&t.id)).count()
    );
    crate::audit::record(db, Record::by(actor, "export.access_register", "access_register").summary(summary)).await?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
    }

    const HEADER: &str =
        "technician_email,technician_name,client,system,privilege,mfa,granted_on,expires_on,approver,justification";

    fn read(text: &str) -> FileInput {
        read_file(text.as_bytes(), now())
    }

    fn fields(row: &RowInput) -> Vec<&str> {
        row.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn headers_match_ignoring_case_spaces_underscores_and_aliases() {
        for (header, column) in [
            ("Technician_Email", Column::TechnicianEmail),
            ("E-mail", Column::TechnicianEmail),
            ("User Email", Column::TechnicianEmail),
            ("Full Name", Column::TechnicianName),
            ("Display Name", Column::TechnicianName),
            ("Technician", Column::TechnicianName),
            ("Company", Column::Client),
            ("Customer", Column::Client),
            ("Client Name", Column::Client),
            ("Tool", Column::System),
            ("Application", Column::System),
            ("Role", Column::Privilege),
            ("Access Level", Column::Privilege),
            ("MFA Enabled", Column::Mfa),
            ("2FA", Column::Mfa),
            ("  granted on ", Column::GrantedOn),
            ("LAST_REVIEWED_ON", Column::LastReviewedOn),
        ] {
            assert_eq!(Column::of_header(header), Some(column), "{header}");
        }
        for other in ["grant_id", "state", "findings", "revoked_by", "Notes", ""] {
            assert_eq!(Column::of_header(other), None, "{other}");
        }
    }

    #[test]
    fn every_import_column_and_export_extra_is_named_consistently() {
        for name in IMPORT_COLUMNS {
            assert_eq!(Column::of_header(name).map(Column::name), Some(name));
        }
        // The extras the export writes are either read back under their own name or ignored.
        for name in EXPORT_EXTRA_COLUMNS {
            if let Some(column) = Column::of_header(name) {
                assert_eq!(column.name(), name);
            }
        }
    }

    #[test]
    fn missing_columns_are_one_file_error_naming_them_and_the_expected_ones() {
        let file = read("Email,Company,Tool\na@msp.example,acme,rmm\n");
        assert_eq!(file.file_errors.len(), 1, "{:?}", file.file_errors);
        let error = &file.file_errors[0];
        for name in ["technician_name", "privilege", "approver", "justification"] {
            assert!(error.contains(name), "{error}");
        }
        assert!(error.contains("expected: technician_email, technician_name, technician_title"), "{error}");
        assert!(file.rows.is_empty(), "no row is read under a wrong header");
    }

    #[test]
    fn a_file_of_technicians_only_needs_no_grant_columns() {
        let file = read("Email,Full Name,Title,Department\nada@msp.example,Ada Lovelace,Engineer,Ops\n");
        assert!(file.file_errors.is_empty(), "{:?}", file.file_errors);
        assert_eq!(file.ignored_columns, vec!["Department".to_string()]);
        assert!(!file.rows[0].is_grant && file.rows[0].errors.is_empty());
    }

    #[test]
    fn two_headers_for_one_column_are_refused() {
        let file = read("Email,User Email,Name\na@b.example,a@b.example,A\n");
        assert_eq!(file.file_errors.len(), 1);
        assert!(file.file_errors[0].contains("both mean technician_email"), "{:?}", file.file_errors);
    }

    #[test]
    fn systems_privileges_and_mfa_read_as_tools_write_them() {
        assert_eq!(parse_system("RMM"), Some("rmm"));
        assert_eq!(parse_system("Password vault"), Some("password_vault"));
        assert_eq!(parse_system("password_vault"), Some("password_vault"));
        assert_eq!(parse_system("Microsoft 365 / GDAP"), Some("m365_gdap"));
        assert_eq!(parse_system("client directory (ad / entra)"), Some("client_directory"));
        assert_eq!(parse_system("Other"), Some("other"));
        assert_eq!(parse_system("Spreadsheet"), None);
        assert_eq!(parse_system(""), None);
        for (written, privilege) in [
            ("Administrator", Privilege::Admin),
            ("Admin", Privilege::Admin),
            ("Full", Privilege::Admin),
            ("User", Privilege::Standard),
            ("Technician", Privilege::Standard),
            ("standard", Privilege::Standard),
            ("Read only", Privilege::Read),
            ("Viewer", Privilege::Read),
            ("read", Privilege::Read),
        ] {
            assert_eq!(parse_privilege(written), Some(privilege), "{written}");
        }
        assert_eq!(parse_privilege("God mode"), None);
        for yes in ["yes", "TRUE", "1", "Enabled", "enforced"] {
            assert_eq!(parse_mfa(yes), Some(true), "{yes}");
        }
        for no in ["no", "false", "0", "disabled", ""] {
            assert_eq!(parse_mfa(no), Some(false), "{no}");
        }
        assert_eq!(parse_mfa("sometimes"), None);
    }

    #[test]
    fn a_good_row_is_read_with_its_defaults() {
        let file = read(&format!(
            "\u{feff}{HEADER}\nAda@MSP.example, Ada  Lovelace ,acme,Password vault,Administrator,yes,2026-01-10,2027-01-10,Grace Hopper,Vault access for monthly audits\n"
        ));
        assert!(file.file_errors.is_empty(), "a BOM is accepted: {:?}", file.file_errors);
        let row = &file.rows[0];
        assert!(row.errors.is_empty(), "{:?}", row.errors);
        assert_eq!((row.line, row.email.as_str(), row.name.as_str()), (2, "ada@msp.example", "Ada Lovelace"));
        let g = row.grant.as_ref().unwrap();
        assert_eq!((g.system, g.privilege, g.mfa), ("password_vault", Privilege::Admin, true));
        assert_eq!(g.granted_at, Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap());
        assert_eq!(g.expires_at, Some(Utc.with_ymd_and_hms(2027, 1, 10, 0, 0, 0).unwrap()));
        let today = read(&format!("{HEADER}\nada@msp.example,Ada,acme,rmm,read,no,,,Grace,Patching and monitoring\n"));
        assert_eq!(today.rows[0].grant.as_ref().unwrap().granted_at, now(), "the grant date defaults to now");
    }

    #[test]
    fn bad_values_are_row_errors_naming_their_column() {
        let file = read(&format!(
            "{HEADER}\n\
             not-an-email,,acme,rmm,read,no,,,Grace,Patching and monitoring\n\
             ada@msp.example,Ada,acme,spreadsheet,god,maybe,10/01/2026,,Grace,short\n\
             ada@msp.example,Ada,acme,rmm,read,no,2026-03-01,2026-02-01,ada@msp.example,Patching and monitoring\n\
             ada@msp.example,Ada,acme,other,read,no,,,ADA,Patching and monitoring\n\
             ada@msp.example,Ada,acme,rmm,read,no,2027-01-01,,Grace,Patching and monitoring\n\
             ada@msp.example,Ada,,,read,,,,,\n"
        ));
        assert_eq!(fields(&file.rows[0]), vec!["technician_email", "technician_name"]);
        assert_eq!(fields(&file.rows[1]), vec!["system", "privilege", "mfa", "granted_on", "justification"]);
        assert_eq!(fields(&file.rows[2]), vec!["approver", "expires_on"], "self-approval and expiry before the grant");
        assert_eq!(fields(&file.rows[3]), vec!["approver", "system_name"], "names compare ignoring case");
        assert_eq!(fields(&file.rows[4]), vec!["granted_on"], "no grant dated in the future");
        assert_eq!(fields(&file.rows[5]), vec!["client"], "grant details without client or system");
        assert!(file.rows.iter().all(|r| r.grant.is_none()));
    }

    #[test]
    fn ragged_rows_and_bad_text_are_row_errors_never_panics() {
        let mut bytes = format!("{HEADER}\nada@msp.example,Ada,acme\n").into_bytes();
        bytes.extend_from_slice(b"ada@msp.example,Ad\xff\xfe,acme,rmm,read,no,,,Grace,Patching and monitoring\n");
        bytes.extend_from_slice(
            "bob@msp.example,Bob \u{fffd},acme,rmm,read,no,,,Grace,Patching and monitoring\n".as_bytes(),
        );
        bytes.extend_from_slice(b"\"unclosed,quote\n");
        let file = read_file(&bytes, now());
        assert!(file.rows[0].errors[0].message.contains("has 3 cells where the header has 10"));
        assert!(file.rows[1].errors[0].message.contains("not UTF-8"));
        assert!(file.rows[2].errors[0].message.contains("not UTF-8"));
        assert_eq!(file.rows.len(), 4);
        assert_eq!(fields(&file.rows[3]), vec!["row"]);
        let header = read_file(b"Em\xffail,Name\n", now());
        assert!(header.file_errors[0].contains("not UTF-8"));
    }

    #[test]
    fn limits_and_empty_files_are_file_errors() {
        assert!(read("").file_errors[0].contains("empty"));
        assert!(read(&format!("{HEADER}\n\n,,,,,,,,,\n")).file_errors[0].contains("no rows"));
        let row = "ada@msp.example,Ada,,,,,,,,\n";
        let many = format!("{HEADER}\n{}", row.repeat(MAX_IMPORT_ROWS + 1));
        let file = read(&many);
        assert_eq!(file.rows.len(), MAX_IMPORT_ROWS);
        assert!(file.file_errors[0].contains("more than 5000 rows"), "{:?}", file.file_errors);
        let huge = "x".repeat(MAX_IMPORT_BYTES + 1);
        assert!(read(&huge).file_errors[0].contains("larger than 1 MB"));
    }

    // The database refuses the last technician (a second one with the same email) after the
    // first technician and its grant went in: the transaction leaves nothing behind.
    #[cfg(feature = "testing")]
    crate::contract_test!(a_plan_the_database_refuses_halfway_writes_nothing, |db| {
        let cli = Actor::command_line();
        let input = clients::ClientInput {
            name: "Acme Ltd".into(),
            slug: "acme".into(),
            impact_tier: "standard".into(),
            ..Default::default()
        };
        let acme = clients::create_client(&db, &cli, &input, chrono::Utc::now()).await.unwrap();
        let file = read_file(
            format!("{HEADER}\nada@msp.example,Ada,acme,rmm,read,yes,2025-01-01,,Grace,Patching and monitoring\n")
                .as_bytes(),
            now(),
        );
        let grant = file.rows[0].grant.clone().unwrap();
        let ada = |name: &str| Holder::New {
            email: "ada@msp.example".into(),
            name: name.into(),
            title: String::new(),
            started_at: now(),
        };
        let plan = Plan {
            holders: vec![
                (ada("Ada"), vec![PlannedGrant { client_id: acme.id, grant }]),
                (ada("Ada again"), Vec::new()),
            ],
        };
        let refused = write_plan(&db, &cli, &plan, now()).await;
        assert!(matches!(refused, Err(DomainError::Conflict { .. })), "{refused:?}");
        assert!(store::list_technicians(&db).await.unwrap().is_empty());
        let grants = GrantQuery { include_revoked: true, ..Default::default() };
        assert!(store::list_grants(&db, grants).await.unwrap().is_empty());
        let plan = Plan { holders: plan.holders.into_iter().take(1).collect() };
        let written = write_plan(&db, &cli, &plan, now()).await.unwrap();
        assert_eq!((written.technicians_created, written.grants_created), (1, 1), "the same plan, once, is written");
    });

    #[test]
    fn revoked_grants_and_leavers_from_an_export_are_skipped() {
        let file = read(&format!(
            "{HEADER},revoked_at,technician_state\n\
             ada@msp.example,Ada,acme,rmm,read,no,,,Grace,Patching and monitoring,2026-02-01T10:00:00Z,active\n\
             bob@msp.example,Bob,acme,rmm,read,no,,,Grace,Patching and monitoring,,departed\n\
             cy@msp.example,Cy,acme,rmm,read,no,,,Grace,Patching and monitoring,,active\n"
        ));
        assert!(file.rows[0].skipped.is_some() && file.rows[1].skipped.is_some());
        assert!(file.rows[2].skipped.is_none());
    }
}
