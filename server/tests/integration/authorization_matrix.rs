//! The authorization matrix: every server function and every page, as every role, against a
//! client of their own, a foreign client and one that does not exist.
//!
//! The list of endpoints is read from the running application (the registered server
//! functions and the router's pages). An endpoint without a row below fails the test, and so
//! does a row for an endpoint that no longer exists: a new endpoint must say who may use it.
//! For users limited to some clients, the foreign and the nonexistent answers must be
//! identical, and the foreign client's name must never appear in any answer.

use crate::support::{on_each_backend, TestApp};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Admin,
    Manager,
    Technician,
    Auditor,
    ClientViewer,
}

const EVERYONE: [Who; 6] = [Who::Anonymous, Who::Admin, Who::Manager, Who::Technician, Who::Auditor, Who::ClientViewer];

impl Who {
    fn email(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Admin => Some("admin@example.test"),
            Who::Manager => Some("manager@example.test"),
            Who::Technician => Some("tech@example.test"),
            Who::Auditor => Some("auditor@example.test"),
            Who::ClientViewer => Some("viewer@example.test"),
        }
    }

    /// May see this client at all.
    fn sees(self, target: Target) -> bool {
        match (self, target) {
            (_, Target::Missing) | (Who::Anonymous, _) => false,
            (Who::Admin | Who::Manager | Who::Auditor, _) => true,
            (Who::Technician | Who::ClientViewer, Target::Own) => true,
            (Who::Technician | Who::ClientViewer, Target::Foreign) => false,
        }
    }

    fn manages_clients(self) -> bool {
        matches!(self, Who::Admin | Who::Manager)
    }

    /// Limited to some clients: must not learn whether a foreign client exists.
    fn limited(self) -> bool {
        matches!(self, Who::Technician | Who::ClientViewer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Foreign,
    Missing,
}

impl Target {
    fn slug(self) -> &'static str {
        match self {
            Target::Own => "own-client",
            Target::Foreign => "foreign-client",
            Target::Missing => "no-such-client",
        }
    }
}

const FOREIGN_NAME: &str = "Foreign Canary Ltd";
const TARGETS: [Target; 3] = [Target::Own, Target::Foreign, Target::Missing];

/// Expected status for a client-scoped change: unseen is not found, seen but not allowed is
/// forbidden.
fn change_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 401,
        _ if !who.sees(target) => 404,
        _ if !who.manages_clients() => 403,
        _ => 200,
    }
}

/// Expected page status for a client page: signed-out visitors are sent to sign in.
fn page_status(who: Who, target: Target, allowed: bool) -> u16 {
    match who {
        Who::Anonymous => 303,
        _ if !who.sees(target) => 404,
        _ if !allowed => 403,
        _ => 200,
    }
}

/// How an endpoint is exercised and what each caller must get.
enum Row {
    /// A server function that concerns no client.
    Call { form: fn() -> Vec<(&'static str, String)>, expect: fn(Who) -> u16 },
    /// A server function on one client; `prepare` puts the client in the state the call needs.
    ClientCall { form: fn(&str, i64) -> Vec<(&'static str, String)>, expect: fn(Who, Target) -> u16, prepare: Prepare },
    /// A page that concerns no client.
    Page { path: &'static str, expect: fn(Who) -> u16 },
    /// A page of one client (`{slug}` in the path).
    ClientPage { path: &'static str, expect: fn(Who, Target) -> u16 },
    /// A page of one client's security review with a meeting held (`{id}` in the path).
    MeetingPage { path: &'static str, expect: fn(Who, Target) -> u16 },
}

#[derive(Clone, Copy)]
enum Prepare {
    Nothing,
    Active,
    Archived,
    /// Active, and the version is that of the client's state of [`CONTROL`].
    ControlState,
    /// No risk acceptance open on [`EXCEPTION_CONTROL`].
    NoOpenException,
    /// A pending risk acceptance (asked for by the command line) on [`EXCEPTION_CONTROL`]; the
    /// key is its id.
    PendingException,
    /// No active EDR grant of the matrix technician at the client.
    NoEdrGrant,
    /// An active PSA grant of the matrix technician at the client; the key is its id.
    PsaGrant,
    /// The client's open access review; the key is its id.
    OpenReview,
    /// The client's open security review, with a draft meeting held; the key is its id.
    Meeting,
}

/// The technician (id 1) whose grants the matrix changes.
const TECHNICIAN: i64 = 1;

/// The control whose risk acceptances the matrix exercises.
const EXCEPTION_CONTROL: &str = "RA-04";
/// An exception id that does not exist.
const MISSING_EXCEPTION: i64 = 999_999;

/// A control on every client's checklist (both MSP and client, every tier).
const CONTROL: &str = "RA-01";

/// A body with what differs per request or per target masked: the slug itself, the per-request
/// script nonce, and the order in which the server happened to send resolved data (resources
/// resolve concurrently, so their script chunks come in any order and grouping).
fn comparable(body: &str, target: Target) -> String {
    let mut out = body.replace(target.slug(), "{slug}");
    for attribute in ["nonce=\"", "crossorigin=\""] {
        let mut masked = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(start) = rest.find(attribute) {
            let value_start = start + attribute.len();
            masked.push_str(&rest[..value_start]);
            let value_len = rest[value_start..].find('"').unwrap_or(0);
            masked.push('*');
            rest = &rest[value_start + value_len..];
        }
        masked.push_str(rest);
        out = masked;
    }
    // The page without its scripts, then each resolved resource, sorted.
    let mut html = String::new();
    let mut scripts = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find("<script") {
        html.push_str(&rest[..start]);
        let end = rest[start..].find("</script>").map(|e| start + e + "</script>".len()).unwrap_or(rest.len());
        scripts.push_str(&rest[start..end]);
        rest = &rest[end..];
    }
    html.push_str(rest);
    let mut resolved: Vec<&str> = scripts
        .split("__RESOLVED_RESOURCES[")
        .skip(1)
        .map(|s| s.split("\";").next().unwrap_or(s).split("</script>").next().unwrap_or(s))
        .collect();
    resolved.sort_unstable();
    format!("{html}\n{}", resolved.join("\n"))
}

fn control_form(slug: &str, version: i64) -> Vec<(&'static str, String)> {
    vec![
        ("slug", slug.to_string()),
        ("control_id", CONTROL.into()),
        ("version", version.to_string()),
        ("status", "partial".into()),
        ("owner", "Matrix".into()),
        ("evidence_note", String::new()),
        ("evidence_links", String::new()),
        ("justification", String::new()),
        ("verified_now", "on".into()),
        ("note", "set by the matrix".into()),
    ]
}

/// Expected status for a client-scoped change of controls: technicians may change their own.
fn control_change_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 401,
        _ if !who.sees(target) => 404,
        Who::Admin | Who::Manager | Who::Technician => 200,
        _ => 403,
    }
}

/// Expected status for asking for, approving or ending a risk acceptance (someone else asked).
fn approve_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 401,
        _ if !who.sees(target) => 404,
        Who::Admin | Who::Manager => 200,
        _ => 403,
    }
}

/// Expected status for what every member of staff may see, and client viewers may not.
fn staff_status(who: Who) -> u16 {
    match who {
        Who::Anonymous => 401,
        Who::ClientViewer => 403,
        _ => 200,
    }
}

/// Expected status for the audit log: admins and auditors only.
fn audit_status(who: Who) -> u16 {
    match who {
        Who::Anonymous => 401,
        Who::Admin | Who::Auditor => 200,
        _ => 403,
    }
}

fn audit_page_status(who: Who) -> u16 {
    match audit_status(who) {
        401 => 303,
        other => other,
    }
}

fn people_status(who: Who) -> u16 {
    match who {
        Who::Anonymous => 401,
        Who::Admin | Who::Manager | Who::Auditor => 200,
        _ => 403,
    }
}

fn people_page_status(who: Who) -> u16 {
    match people_status(who) {
        401 => 303,
        other => other,
    }
}

/// Inviting or adding a client viewer of the target client: admins and managers, for any client.
fn invite_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 401,
        Who::Admin | Who::Manager if target == Target::Missing => 422,
        Who::Admin | Who::Manager => 200,
        _ => 403,
    }
}

fn invite_form(slug: &str, _: i64) -> Vec<(&'static str, String)> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    vec![("email", format!("invitee{n}@example.test")), ("role", "client_viewer".into()), ("clients[]", slug.into())]
}

fn create_person_form(slug: &str, version: i64) -> Vec<(&'static str, String)> {
    let mut form = invite_form(slug, version);
    form.push(("display_name", "Added by the matrix".into()));
    form.push(("password", "a long enough password".into()));
    form
}

/// A change of a person who does not exist (so that no matrix user is changed).
fn nobody(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut form = vec![("email", "nobody@example.test".to_string()), ("clients[]", "own-client".into())];
    form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    form
}

fn admin_only_status(who: Who) -> u16 {
    match who {
        Who::Anonymous => 401,
        Who::Admin => 404,
        _ => 403,
    }
}

fn staff_page_status(who: Who) -> u16 {
    match staff_status(who) {
        401 => 303,
        other => other,
    }
}

/// Expected status for managing the catalog's custom controls.
fn manage_status(who: Who) -> u16 {
    match who {
        Who::Anonymous => 401,
        _ if who.manages_clients() => 200,
        _ => 403,
    }
}

fn manage_page_status(who: Who) -> u16 {
    match manage_status(who) {
        401 => 303,
        other => other,
    }
}

/// Expected status for reading something of one client.
fn read_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 401,
        _ if who.sees(target) => 200,
        _ => 404,
    }
}

fn client_form(slug: &str, version: i64) -> Vec<(&'static str, String)> {
    vec![
        ("slug", slug.to_string()),
        ("version", version.to_string()),
        ("name", "Renamed by the matrix".into()),
        ("impact_tier", "sensitive".into()),
        ("sector", String::new()),
        ("tags", String::new()),
        ("contact_name", String::new()),
        ("contact_email", String::new()),
        ("notes", String::new()),
    ]
}

/// A CSV import naming the client: an EDR grant for the matrix technician (the one every
/// refused import must not leave behind), and a new technician (ditto).
fn import_form(slug: &str, _: i64) -> Vec<(&'static str, String)> {
    static HIRED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = HIRED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let text = format!(
        "technician_email,technician_name,client,system,privilege,mfa,approver,justification\n\
         tech1@msp.example,Matrix Technician,{slug},edr,read,yes,Matrix Approver,Imported by the matrix\n\
         imported{n}@msp.example,Imported Hire {n},,,,,,\n"
    );
    vec![("text", text)]
}

/// Expected status for previewing an import: only those who manage technicians and access get
/// that far, before any client is looked up; an unknown client is a row error in the answer.
fn import_preview_status(who: Who, _: Target) -> u16 {
    manage_status(who)
}

/// Expected status for an import: as its preview, and refused while a row is wrong.
fn import_status(who: Who, target: Target) -> u16 {
    match manage_status(who) {
        200 if target == Target::Missing => 422,
        other => other,
    }
}

/// One row per endpoint. The paths are the router's (`{slug}`) and the server functions'.
fn rows() -> Vec<(&'static str, Row)> {
    let mut rows = vec![
        (
            "/api/auth/sign_in",
            Row::Call {
                // Another unknown account each time: one account is throttled after five failures.
                form: || {
                    static TRIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                    let n = TRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    vec![
                        ("email", format!("nobody{n}@example.test")),
                        ("password", "wrong".into()),
                        ("next", String::new()),
                    ]
                },
                expect: |_| 401,
            },
        ),
        ("/api/auth/sign_out", Row::Call { form: Vec::new, expect: |_| 200 }),
        (
            "/api/auth/sign_out_everywhere",
            Row::Call { form: Vec::new, expect: |who| if who == Who::Anonymous { 401 } else { 200 } },
        ),
        ("/account", Row::Page { path: "/account", expect: |who| if who == Who::Anonymous { 303 } else { 200 } }),
        // The second step of sign-in: public; without a password first, nobody is signed in.
        ("/login/code", Row::Page { path: "/login/code", expect: |_| 200 }),
        ("/api/auth/sign_in_code", Row::Call { form: || vec![("code", "123456".into())], expect: |_| 401 }),
        (
            "/api/auth/mfa_status",
            Row::Call { form: Vec::new, expect: |who| if who == Who::Anonymous { 401 } else { 200 } },
        ),
        (
            "/api/auth/start_mfa_enrolment",
            Row::Call { form: Vec::new, expect: |who| if who == Who::Anonymous { 401 } else { 200 } },
        ),
        // Every signed-in user may confirm their own enrolment (started by the row above); a
        // wrong code is refused.
        (
            "/api/auth/confirm_mfa_enrolment",
            Row::Call {
                form: || vec![("code", "not-a-code".into())],
                expect: |who| if who == Who::Anonymous { 401 } else { 422 },
            },
        ),
        // Passkeys. What the second step of sign-in asks for: public (it reads only this
        // browser's waiting sign-in).
        ("/api/auth/pending_sign_in", Row::Call { form: Vec::new, expect: |_| 200 }),
        // Adding a passkey: every signed-in user, for themselves (after a recent confirmation).
        (
            "/api/auth/passkey_begin",
            Row::Call {
                form: || vec![("ceremony", "Register".into())],
                expect: |who| if who == Who::Anonymous { 401 } else { 200 },
            },
        ),
        // An answer with no ceremony waiting: "start again", whoever sends it.
        (
            "/api/auth/passkey_finish",
            Row::Call { form: || vec![("ceremony", "SignIn".into()), ("credential", "{}".into())], expect: |_| 409 },
        ),
        // Removing a passkey: one's own only; one that does not exist is not found.
        (
            "/api/auth/passkey_remove",
            Row::Call {
                form: || vec![("id", "999999".into())],
                expect: |who| if who == Who::Anonymous { 401 } else { 404 },
            },
        ),
        ("/api/auth/me", Row::Call { form: Vec::new, expect: |_| 200 }),
        // The caller's own session's message, if any: everyone, signed in or not.
        ("/api/flash/take", Row::Call { form: Vec::new, expect: |_| 200 }),
        // Step-up: every signed-in user confirms their own identity; a wrong password is 422.
        (
            "/api/auth/confirm",
            Row::Call {
                form: || vec![("password", "not the password".into()), ("next", "/".into())],
                expect: |who| if who == Who::Anonymous { 401 } else { 422 },
            },
        ),
        (
            "/account/confirm",
            Row::Page {
                path: "/account/confirm?next=/audit",
                expect: |who| if who == Who::Anonymous { 303 } else { 200 },
            },
        ),
        // People: admins, managers (client viewers only) and auditors read; admins change.
        ("/settings/users", Row::Page { path: "/settings/users", expect: people_page_status }),
        ("/api/users/list", Row::Call { form: Vec::new, expect: people_status }),
        ("/api/users/invite", Row::ClientCall { form: invite_form, expect: invite_status, prepare: Prepare::Nothing }),
        (
            "/api/users/create",
            Row::ClientCall { form: create_person_form, expect: invite_status, prepare: Prepare::Nothing },
        ),
        // Changes of a person who does not exist: admins get as far as "not found".
        ("/api/users/change_role", Row::Call { form: || nobody(&[("role", "auditor")]), expect: admin_only_status }),
        ("/api/users/assign_clients", Row::Call { form: || nobody(&[]), expect: admin_only_status }),
        ("/api/users/disable", Row::Call { form: || nobody(&[]), expect: admin_only_status }),
        ("/api/users/enable", Row::Call { form: || nobody(&[]), expect: admin_only_status }),
        ("/api/users/reset_mfa", Row::Call { form: || nobody(&[]), expect: admin_only_status }),
        (
            "/api/users/revoke_invitation",
            Row::Call {
                form: || vec![("id", MISSING_EXCEPTION.to_string())],
                expect: |who| match who {
                    Who::Anonymous => 401,
                    Who::Admin | Who::Manager => 404,
                    _ => 403,
                },
            },
        ),
        // Invitation links are public: the token is the authority, and a bad one reads alike.
        ("/invite/{token}", Row::Page { path: "/invite/0123456789abcdef", expect: |_| 404 }),
        ("/api/invitations/open", Row::Call { form: || vec![("token", "0123456789abcdef".into())], expect: |_| 409 }),
        (
            "/api/invitations/accept",
            Row::Call {
                form: || {
                    vec![
                        ("token", "0123456789abcdef".into()),
                        ("display_name", "Mallory".into()),
                        ("password", "a long enough password".into()),
                    ]
                },
                expect: |_| 409,
            },
        ),
        (
            "/api/portfolio/get",
            Row::Call {
                form: Vec::new,
                expect: |who| match who {
                    Who::Anonymous => 401,
                    Who::ClientViewer => 403,
                    _ => 200,
                },
            },
        ),
        (
            "/api/clients/list",
            Row::Call {
                form: || vec![("query[archived]", "true".into())],
                expect: |who| if who == Who::Anonymous { 401 } else { 200 },
            },
        ),
        (
            "/api/clients/create",
            Row::Call {
                form: || {
                    static CREATED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                    let n = CREATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let mut form = client_form("", 0);
                    form.retain(|(k, _)| *k != "version" && *k != "name");
                    form.push(("name", format!("Created by the matrix {n}")));
                    form
                },
                expect: |who| match who {
                    Who::Anonymous => 401,
                    _ if who.manages_clients() => 200,
                    _ => 403,
                },
            },
        ),
        (
            "/api/clients/get",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: |who, target| match who {
                    Who::Anonymous => 401,
                    _ if who.sees(target) => 200,
                    _ => 404,
                },
                prepare: Prepare::Nothing,
            },
        ),
        ("/api/clients/update", Row::ClientCall { form: client_form, expect: change_status, prepare: Prepare::Active }),
        (
            "/api/clients/archive",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: change_status,
                prepare: Prepare::Active,
            },
        ),
        (
            "/api/clients/restore",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: change_status,
                prepare: Prepare::Archived,
            },
        ),
        (
            "/api/catalog/list",
            Row::Call {
                form: || vec![("include_retired", "false".into())],
                expect: |who| match who {
                    Who::Anonymous => 401,
                    Who::ClientViewer => 403,
                    _ => 200,
                },
            },
        ),
        (
            "/api/controls/checklist",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/controls/summary",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/controls/get",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string()), ("control_id", CONTROL.into())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/controls/update",
            Row::ClientCall { form: control_form, expect: control_change_status, prepare: Prepare::ControlState },
        ),
        (
            "/api/controls/bulk_update",
            Row::ClientCall {
                form: |slug, version| {
                    vec![
                        ("slug", slug.to_string()),
                        ("selected[]", format!("{CONTROL}:{version}")),
                        ("status", "implemented".into()),
                        ("justification", String::new()),
                        ("note", "bulk by the matrix".into()),
                        ("verified_now", "on".into()),
                    ]
                },
                expect: control_change_status,
                prepare: Prepare::ControlState,
            },
        ),
        (
            "/api/exceptions/request",
            Row::ClientCall {
                form: |slug, _| {
                    vec![
                        ("slug", slug.to_string()),
                        ("control_id", EXCEPTION_CONTROL.into()),
                        ("reason", "Asked for by a matrix caller".into()),
                        (
                            "expires_on",
                            (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%d").to_string(),
                        ),
                    ]
                },
                expect: approve_status,
                prepare: Prepare::NoOpenException,
            },
        ),
        (
            "/api/exceptions/approve",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string())],
                expect: approve_status,
                prepare: Prepare::PendingException,
            },
        ),
        (
            "/api/exceptions/end",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string())],
                expect: approve_status,
                prepare: Prepare::PendingException,
            },
        ),
        (
            "/api/controls/overdue",
            Row::Call {
                form: Vec::new,
                expect: |who| match who {
                    Who::Anonymous => 401,
                    Who::ClientViewer => 403,
                    _ => 200,
                },
            },
        ),
        (
            "/overdue",
            Row::Page {
                path: "/overdue",
                expect: |who| match who {
                    Who::Anonymous => 303,
                    Who::ClientViewer => 403,
                    _ => 200,
                },
            },
        ),
        ("/api/catalog/form", Row::Call { form: || vec![("id", "CUS-01".into())], expect: manage_status }),
        (
            "/api/catalog/save",
            Row::Call {
                form: || {
                    vec![
                        ("id", String::new()),
                        ("title", "Added by the matrix".into()),
                        ("description", "Something checkable.".into()),
                        ("category_id", "NS".into()),
                        ("severity", "3".into()),
                        ("review", "annual".into()),
                        ("applies_to", "client".into()),
                        ("tiers[]", "critical".into()),
                        ("references", String::new()),
                    ]
                },
                expect: manage_status,
            },
        ),
        (
            // A custom control that does not exist: managers learn that, nobody else gets that far.
            "/api/catalog/retire",
            Row::Call {
                form: || vec![("id", "CUS-99".into())],
                expect: |who| match manage_status(who) {
                    200 => 404,
                    other => other,
                },
            },
        ),
        ("/catalog/new", Row::Page { path: "/catalog/new", expect: manage_page_status }),
        ("/catalog/{id}/edit", Row::Page { path: "/catalog/CUS-01/edit", expect: manage_page_status }),
        ("/api/access/technicians", Row::Call { form: Vec::new, expect: staff_status }),
        ("/api/access/technician", Row::Call { form: || vec![("id", TECHNICIAN.to_string())], expect: staff_status }),
        (
            "/api/access/create_technician",
            Row::Call {
                form: || {
                    static CREATED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                    let n = CREATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    vec![
                        ("name", "New Hire".into()),
                        ("email", format!("hire{n}@msp.example")),
                        ("title", String::new()),
                        ("started_on", "2026-11-01".into()),
                    ]
                },
                expect: manage_status,
            },
        ),
        (
            // An impossible move (back to onboarding): managers are told so, nobody else gets that far.
            "/api/access/technician_state",
            Row::Call {
                form: || vec![("id", "2".into()), ("version", "1".into()), ("state", "onboarding".into())],
                expect: |who| match manage_status(who) {
                    200 => 422,
                    other => other,
                },
            },
        ),
        (
            "/api/access/grant",
            Row::ClientCall {
                form: |slug, _| {
                    vec![
                        ("technician_id", TECHNICIAN.to_string()),
                        ("client_slug", slug.to_string()),
                        ("system", "edr".into()),
                        ("system_name", String::new()),
                        ("privilege", "read".into()),
                        ("justification", "Investigating alerts".into()),
                        ("expires_on", String::new()),
                        ("mfa", "on".into()),
                    ]
                },
                expect: approve_status,
                prepare: Prepare::NoEdrGrant,
            },
        ),
        (
            "/api/access/revoke",
            Row::ClientCall {
                form: |_, id| {
                    vec![
                        ("id", id.to_string()),
                        ("removed_at", String::new()),
                        ("method", "tool_user_list".into()),
                        ("evidence", "revoked by the matrix".into()),
                    ]
                },
                expect: approve_status,
                prepare: Prepare::PsaGrant,
            },
        ),
        (
            "/api/access/review",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string())],
                expect: approve_status,
                prepare: Prepare::PsaGrant,
            },
        ),
        (
            "/api/access/client",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        ("/api/access/findings", Row::Call { form: Vec::new, expect: staff_status }),
        (
            // A stale version: managers are told someone else changed the technician.
            "/api/access/start_offboarding",
            Row::Call {
                form: || {
                    vec![
                        ("id", "2".into()),
                        ("version", "999".into()),
                        ("t0", String::new()),
                        ("involuntary", "on".into()),
                    ]
                },
                expect: |who| match manage_status(who) {
                    200 => 409,
                    other => other,
                },
            },
        ),
        (
            "/api/access/change_role",
            Row::Call {
                form: || vec![("id", "2".into()), ("version", "999".into()), ("title", "Team lead".into())],
                expect: |who| match manage_status(who) {
                    200 => 409,
                    other => other,
                },
            },
        ),
        (
            // A step that does not exist: managers learn that, nobody else gets that far.
            "/api/access/complete_step",
            Row::Call {
                form: || vec![("technician_id", "2".into()), ("step_id", "999999".into()), ("note", String::new())],
                expect: |who| match manage_status(who) {
                    200 => 404,
                    other => other,
                },
            },
        ),
        ("/api/access/sla", Row::Call { form: Vec::new, expect: staff_status }),
        (
            "/api/access/save_sla",
            Row::Call {
                form: || vec![("code", "REVIEW".into()), ("amount", "90".into()), ("unit", "days".into())],
                expect: |who| match who {
                    Who::Anonymous => 401,
                    Who::Admin => 200,
                    _ => 403,
                },
            },
        ),
        (
            "/api/access/client_sla",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/access/save_client_sla",
            Row::ClientCall {
                form: |slug, _| {
                    vec![
                        ("slug", slug.to_string()),
                        ("code", "REVIEW".into()),
                        ("amount", "60".into()),
                        ("unit", "days".into()),
                    ]
                },
                expect: approve_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/access/import_preview",
            Row::ClientCall { form: import_form, expect: import_preview_status, prepare: Prepare::Nothing },
        ),
        (
            "/api/access/import",
            Row::ClientCall { form: import_form, expect: import_status, prepare: Prepare::NoEdrGrant },
        ),
        ("/api/access/import_draft", Row::Call { form: Vec::new, expect: manage_status }),
        ("/technicians/import", Row::Page { path: "/technicians/import", expect: manage_page_status }),
        (
            rampart_server::export::REGISTER_PATH,
            Row::Page { path: rampart_server::export::REGISTER_PATH, expect: staff_page_status },
        ),
        (
            rampart_server::export::IMPORT_EXAMPLE_PATH,
            Row::Page { path: rampart_server::export::IMPORT_EXAMPLE_PATH, expect: |_| 200 },
        ),
        ("/settings/service-levels", Row::Page { path: "/settings/service-levels", expect: staff_page_status }),
        ("/api/audit/list", Row::Call { form: || vec![("query[verify]", "false".into())], expect: audit_status }),
        ("/audit", Row::Page { path: "/audit", expect: audit_page_status }),
        (
            rampart_server::export::AUDIT_PATH,
            Row::Page { path: rampart_server::export::AUDIT_PATH, expect: audit_page_status },
        ),
        (
            "/api/reviews/schedule",
            Row::Call {
                form: || {
                    vec![
                        ("kind", String::new()),
                        ("state", String::new()),
                        ("from", String::new()),
                        ("to", String::new()),
                    ]
                },
                expect: staff_status,
            },
        ),
        ("/api/reviews/calendar", Row::Call { form: || vec![("month", "2027-03".into())], expect: staff_status }),
        (
            "/api/reviews/client",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            // A stale version: managers are told someone else changed the review.
            "/api/reviews/change",
            Row::ClientCall {
                form: |_, id| {
                    vec![
                        ("id", id.to_string()),
                        ("version", "999".into()),
                        ("action", "schedule".into()),
                        ("scheduled_on", "2030-01-15".into()),
                    ]
                },
                expect: |who, target| match approve_status(who, target) {
                    200 => 409,
                    other => other,
                },
                prepare: Prepare::OpenReview,
            },
        ),
        (
            "/api/reviews/create_series",
            Row::ClientCall {
                form: |slug, _| {
                    vec![
                        ("slug", slug.to_string()),
                        ("kind", "custom".into()),
                        ("title", "Firewall rule review".into()),
                        ("cadence", "annual".into()),
                        ("owner", String::new()),
                        ("starts_on", "2030-01-01".into()),
                    ]
                },
                expect: approve_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/reviews/add_defaults",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string()), ("starts_on", "2030-01-01".into())],
                expect: approve_status,
                prepare: Prepare::Nothing,
            },
        ),
        (
            "/api/reviews/get",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string())],
                expect: read_status,
                prepare: Prepare::OpenReview,
            },
        ),
        (
            // The review is not in progress: managers are told so, nobody else gets that far.
            "/api/reviews/decide",
            Row::ClientCall {
                form: |_, id| {
                    vec![
                        ("occurrence_id", id.to_string()),
                        ("item_id", "999999".into()),
                        ("decision", "keep".into()),
                        ("reason", String::new()),
                    ]
                },
                expect: |who, target| match approve_status(who, target) {
                    200 => 409,
                    other => other,
                },
                prepare: Prepare::OpenReview,
            },
        ),
        // The first review of the own client (set_up gives it the default series first).
        (
            "/reviews/{id}",
            Row::Page { path: "/reviews/1", expect: |who| if who == Who::Anonymous { 303 } else { 200 } },
        ),
        (
            // The secret in the address is the credential: an unknown one is not found for anyone.
            rampart_server::calendar::FEED_PATH,
            Row::Page { path: "/calendar/00000000000000000000000000000000000000000000abcd.ics", expect: |_| 404 },
        ),
        (
            "/api/reviews/feed_status",
            Row::Call { form: Vec::new, expect: |who| if who == Who::Anonymous { 401 } else { 200 } },
        ),
        (
            "/api/reviews/rotate_feed",
            Row::Call { form: Vec::new, expect: |who| if who == Who::Anonymous { 401 } else { 200 } },
        ),
        ("/reviews", Row::Page { path: "/reviews", expect: staff_page_status }),
        ("/reviews/calendar", Row::Page { path: "/reviews/calendar?month=2030-01", expect: staff_page_status }),
        ("/technicians", Row::Page { path: "/technicians", expect: staff_page_status }),
        ("/technicians/{id}", Row::Page { path: "/technicians/1", expect: staff_page_status }),
        ("/findings", Row::Page { path: "/findings", expect: staff_page_status }),
        (
            "/catalog",
            Row::Page {
                path: "/catalog",
                expect: |who| match who {
                    Who::Anonymous => 303,
                    Who::ClientViewer => 403,
                    _ => 200,
                },
            },
        ),
        (
            "/clients/{slug}/controls",
            Row::ClientPage { path: "/clients/{slug}/controls", expect: |who, target| page_status(who, target, true) },
        ),
        (
            "/clients/{slug}/controls/{control_id}",
            Row::ClientPage {
                path: "/clients/{slug}/controls/RA-01",
                expect: |who, target| page_status(who, target, true),
            },
        ),
        ("/login", Row::Page { path: "/login", expect: |_| 200 }),
        (
            "/",
            Row::Page {
                path: "/",
                expect: |who| match who {
                    Who::Anonymous => 303,
                    // A client viewer has no portfolio and is sent to their own client list.
                    Who::ClientViewer => 302,
                    _ => 200,
                },
            },
        ),
        ("/clients", Row::Page { path: "/clients", expect: |who| if who == Who::Anonymous { 303 } else { 200 } }),
        (
            "/clients/new",
            Row::Page {
                path: "/clients/new",
                expect: |who| match who {
                    Who::Anonymous => 303,
                    _ if who.manages_clients() => 200,
                    _ => 403,
                },
            },
        ),
        (
            "/clients/{slug}",
            Row::ClientPage { path: "/clients/{slug}", expect: |who, target| page_status(who, target, true) },
        ),
        (
            "/clients/{slug}/edit",
            Row::ClientPage {
                path: "/clients/{slug}/edit",
                expect: |who, target| page_status(who, target, who.manages_clients()),
            },
        ),
    ];
    rows.extend(score_rows());
    rows.extend(sso_rows());
    rows
}

/// Expected status of a chart of one client: an image, so a signed-out visitor gets 401 (not
/// a redirect to a page), and a client one may not see is not found, like a missing one.
fn chart_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 401,
        _ if who.sees(target) => 200,
        _ => 404,
    }
}

/// The risk score: its server functions, pages and chart images.
/// Admins only: the single sign-on settings.
fn admin_status(who: Who) -> u16 {
    match who {
        Who::Anonymous => 401,
        Who::Admin => 200,
        _ => 403,
    }
}

/// Single sign-on: the admins' settings and the public sign-in routes. The matrix never turns
/// it on (so nothing reaches for a provider): starting answers "off", and a callback without a
/// sign-in under way is refused; both send the browser to the sign-in page.
fn sso_rows() -> Vec<(&'static str, Row)> {
    vec![
        ("/api/sso/settings", Row::Call { form: Vec::new, expect: admin_status }),
        (
            // Saved switched off; an admin's first save is version 0.
            "/api/sso/save_settings",
            Row::Call {
                form: || {
                    vec![
                        ("display_name", "Matrix IdP".into()),
                        ("issuer", "https://idp.example.test".into()),
                        ("client_id", "matrix".into()),
                        ("jit_role", "technician".into()),
                        ("version", "0".into()),
                    ]
                },
                expect: admin_status,
            },
        ),
        (
            // An issuer refused before any request is made: admins get 422, nobody else gets that far.
            "/api/sso/test",
            Row::Call {
                form: || vec![("issuer", "http://idp.example.test".into())],
                expect: |who| match admin_status(who) {
                    200 => 422,
                    other => other,
                },
            },
        ),
        ("/api/sso/option", Row::Call { form: Vec::new, expect: |_| 200 }),
        (
            "/settings/sso",
            Row::Page {
                path: "/settings/sso",
                expect: |who| match admin_status(who) {
                    401 => 303,
                    other => other,
                },
            },
        ),
        (rampart_server::sso::START_PATH, Row::Page { path: rampart_server::sso::START_PATH, expect: |_| 303 }),
        (rampart_server::sso::CALLBACK_PATH, Row::Page { path: "/auth/sso/callback?code=x&state=y", expect: |_| 303 }),
    ]
}

fn score_rows() -> Vec<(&'static str, Row)> {
    let mut rows = vec![
        (
            "/api/score/client",
            Row::ClientCall {
                form: |slug, _| vec![("slug", slug.to_string())],
                expect: read_status,
                prepare: Prepare::Nothing,
            },
        ),
        ("/api/score/portfolio", Row::Call { form: Vec::new, expect: staff_status }),
        ("/api/score/ranking", Row::Call { form: || vec![("page", "1".into())], expect: staff_status }),
        (
            "/api/score/settings",
            Row::Call { form: Vec::new, expect: |who| if who == Who::Anonymous { 401 } else { 200 } },
        ),
        (
            // The default value, saved again: only admins may.
            "/api/score/save_settings",
            Row::Call {
                form: || vec![("values[leaver_points]", "3".into())],
                expect: |who| match who {
                    Who::Anonymous => 401,
                    Who::Admin => 200,
                    _ => 403,
                },
            },
        ),
        ("/score", Row::Page { path: "/score", expect: |who| if who == Who::Anonymous { 303 } else { 200 } }),
        (
            "/settings/score",
            Row::Page {
                path: "/settings/score",
                expect: |who| match who {
                    Who::Anonymous => 303,
                    Who::Admin => 200,
                    _ => 403,
                },
            },
        ),
        ("/portfolio/ranking", Row::Page { path: "/portfolio/ranking", expect: staff_page_status }),
        (
            rampart_server::charts::HEATMAP_PATH,
            Row::Page { path: rampart_server::charts::HEATMAP_PATH, expect: staff_status },
        ),
    ];
    for (path, _) in rampart_server::charts::CLIENT_CHARTS {
        rows.push((path, Row::ClientPage { path, expect: chart_status }));
    }
    rows.extend(meeting_rows());
    rows
}

/// A managers' change that the prepared meeting refuses with `status` (so that the matrix
/// changes nothing); everyone else gets the usual answers.
fn meeting_change(status: u16) -> impl Fn(Who, Target) -> u16 {
    move |who, target| match approve_status(who, target) {
        200 => status,
        other => other,
    }
}

/// Review meetings: their server functions (on the client's security review, a draft meeting
/// held), and the pack as a page and a PDF. Client viewers read their own client's.
fn meeting_rows() -> Vec<(&'static str, Row)> {
    fn id_form(id: i64) -> Vec<(&'static str, String)> {
        vec![("id", id.to_string())]
    }
    vec![
        (
            "/api/reviews/meeting",
            Row::ClientCall { form: |_, id| id_form(id), expect: read_status, prepare: Prepare::Meeting },
        ),
        (
            // Already held: managers are told so.
            "/api/reviews/hold_meeting",
            Row::ClientCall {
                form: |_, id| id_form(id),
                expect: |w, t| meeting_change(409)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            // A stale version.
            "/api/reviews/save_meeting",
            Row::ClientCall {
                form: |_, id| {
                    vec![
                        ("id", id.to_string()),
                        ("version", "999".into()),
                        ("held_on", "2030-01-01".into()),
                        ("attendees_msp", "Matrix".into()),
                        ("attendees_client", String::new()),
                        ("agenda", "Changed by the matrix".into()),
                        ("minutes", String::new()),
                    ]
                },
                expect: |w, t| meeting_change(409)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            // No topic.
            "/api/reviews/add_topic",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string()), ("topic", " ".into())],
                expect: |w, t| meeting_change(422)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            // A topic that does not exist.
            "/api/reviews/decide_topic",
            Row::ClientCall {
                form: |_, id| {
                    vec![("id", id.to_string()), ("decision_id", "999999".into()), ("decision", "Yes".into())]
                },
                expect: |w, t| meeting_change(404)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            // No owner.
            "/api/reviews/add_action",
            Row::ClientCall {
                form: |_, id| {
                    vec![
                        ("id", id.to_string()),
                        ("title", "Set by the matrix".into()),
                        ("owner", String::new()),
                        ("due_on", String::new()),
                    ]
                },
                expect: |w, t| meeting_change(422)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            // An action item that does not exist.
            "/api/reviews/complete_action",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string()), ("item_id", "999999".into())],
                expect: |w, t| meeting_change(404)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            // A stale version.
            "/api/reviews/sign_off_meeting",
            Row::ClientCall {
                form: |_, id| vec![("id", id.to_string()), ("version", "999".into())],
                expect: |w, t| meeting_change(409)(w, t),
                prepare: Prepare::Meeting,
            },
        ),
        (
            rampart_server::pack::PACK_PATH,
            Row::MeetingPage { path: rampart_server::pack::PACK_PATH, expect: pack_status },
        ),
        (
            rampart_server::pack::PDF_PATH,
            Row::MeetingPage { path: rampart_server::pack::PDF_PATH, expect: pack_status },
        ),
    ]
}

/// The pack: signed-out visitors are sent to sign in; whoever sees the client reads it.
fn pack_status(who: Who, target: Target) -> u16 {
    match who {
        Who::Anonymous => 303,
        _ if who.sees(target) => 200,
        _ => 404,
    }
}

/// Every endpoint the running application serves: server functions and pages.
fn served_endpoints() -> BTreeSet<String> {
    let mut endpoints: BTreeSet<String> = BTreeSet::new();
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        assert_eq!(method, http::Method::POST, "{path} must not change state over GET");
        endpoints.insert(path.to_string());
    }
    for route in rampart_server::startup::route_list() {
        endpoints.insert(route.path().to_string());
    }
    for path in rampart_server::export::DOWNLOADS {
        endpoints.insert(path.to_string());
    }
    for path in rampart_server::charts::paths() {
        endpoints.insert(path.to_string());
    }
    endpoints.insert(rampart_server::calendar::FEED_PATH.to_string());
    for path in rampart_server::sso::PATHS {
        endpoints.insert(path.to_string());
    }
    for path in rampart_server::pack::PATHS {
        endpoints.insert(path.to_string());
    }
    endpoints
}

#[test]
fn every_endpoint_has_a_row_and_every_row_an_endpoint() {
    let served = served_endpoints();
    let listed: BTreeSet<String> = rows().into_iter().map(|(path, _)| path.to_string()).collect();
    let missing: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(missing.is_empty(), "endpoints without a row in the authorization matrix: {missing:?}");
    assert!(stale.is_empty(), "rows for endpoints that do not exist: {stale:?}");
}

async fn set_up(app: &TestApp) {
    app.add_client("Own Client Ltd", "own-client").await;
    app.add_client(FOREIGN_NAME, "foreign-client").await;
    app.add_user("admin@example.test", "admin", &[]).await;
    app.add_user("manager@example.test", "manager", &[]).await;
    app.add_user("tech@example.test", "technician", &["own-client"]).await;
    app.add_user("auditor@example.test", "auditor", &[]).await;
    app.add_user("viewer@example.test", "client_viewer", &["own-client"]).await;
    let custom = domain::controls::CustomControlInput {
        title: "Custom control of the matrix".into(),
        description: "Something checkable.".into(),
        category_id: "NS".into(),
        severity: "2".into(),
        review: "annual".into(),
        applies_to: "client".into(),
        tiers: vec!["critical".into()],
        references: String::new(),
    };
    domain::controls::create_custom_control(&app.db, &domain::Actor::command_line(), &custom).await.unwrap();
    let cli = domain::Actor::command_line();
    let now = chrono::Utc::now();
    for (name, email) in [("Matrix Technician", "tech1@msp.example"), ("Second Technician", "tech2@msp.example")] {
        let new = domain::access::NewTechnician {
            name: name.into(),
            email: email.into(),
            title: "Engineer".into(),
            started_on: "2026-01-05".into(),
        };
        let technician = domain::access::create_technician(&app.db, &cli, &new, now).await.unwrap();
        // Onboarded, so that access may be granted.
        for step in domain::access::get_lifecycle(&app.db, &cli, technician.id, now).await.unwrap().steps {
            domain::access::complete_step(&app.db, &cli, technician.id, step.id, "", now).await.unwrap();
        }
    }
    for slug in ["own-client", "foreign-client"] {
        let new = domain::access::NewGrant {
            technician_id: TECHNICIAN,
            client_slug: slug.into(),
            system: "rmm".into(),
            privilege: "admin".into(),
            justification: "Patching and monitoring".into(),
            // Admin without MFA: a finding on both clients, to leak if scoping were wrong.
            mfa: false,
            ..Default::default()
        };
        domain::access::grant_access(&app.db, &cli, &new, now).await.unwrap();
    }
    // Both clients have a review schedule (due in 2030, so that nothing else changes with it).
    for slug in ["own-client", "foreign-client"] {
        let first = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        domain::reviews::add_default_series(&app.db, &cli, slug, first, now).await.unwrap();
    }
    // Evidence verified long ago, so that both clients have overdue controls to leak.
    let long_ago = chrono::Utc::now() - chrono::Duration::days(400);
    for slug in ["own-client", "foreign-client"] {
        let update =
            domain::controls::ControlUpdate { status: "implemented".into(), verified_now: true, ..Default::default() };
        domain::controls::update_client_control(
            &app.db,
            &domain::Actor::command_line(),
            slug,
            "RA-02",
            &update,
            long_ago,
        )
        .await
        .unwrap();
    }
}

async fn prepare(app: &TestApp, target: Target, prepare: Prepare) -> i64 {
    use domain::{clients, controls, Actor};
    let cli = Actor::command_line();
    let Ok(client) = clients::get_client(&app.db, &cli, target.slug()).await else {
        return if matches!(
            prepare,
            Prepare::PendingException | Prepare::PsaGrant | Prepare::OpenReview | Prepare::Meeting
        ) {
            MISSING_EXCEPTION
        } else {
            1
        };
    };
    if matches!(prepare, Prepare::Meeting) {
        let filter = domain::reviews::ScheduleFilter {
            client: target.slug().into(),
            kind: "security_review".into(),
            state: "planned".into(),
            ..Default::default()
        };
        let calendar = domain::reviews::Calendar::default();
        let now = chrono::Utc::now();
        let open = domain::reviews::list_schedule(&app.db, &cli, &filter, &calendar, now).await.unwrap();
        let id = open[0].id;
        if domain::meetings::find_meeting(&app.db, &cli, id).await.unwrap().is_none() {
            domain::meetings::hold_meeting(&app.db, &cli, id, now).await.unwrap();
        }
        return id;
    }
    if matches!(prepare, Prepare::OpenReview) {
        let filter = domain::reviews::ScheduleFilter {
            client: target.slug().into(),
            kind: "access_review".into(),
            state: "planned".into(),
            ..Default::default()
        };
        let calendar = domain::reviews::Calendar::default();
        let open = domain::reviews::list_schedule(&app.db, &cli, &filter, &calendar, chrono::Utc::now()).await.unwrap();
        return open[0].id;
    }
    if matches!(prepare, Prepare::NoEdrGrant | Prepare::PsaGrant) {
        let now = chrono::Utc::now();
        let grants = domain::access::list_client_access(&app.db, &cli, target.slug(), now).await.unwrap();
        let active = |system: &str| grants.iter().find(|g| g.system == system && g.revoked_at.is_none()).map(|g| g.id);
        if let (Prepare::NoEdrGrant, Some(id)) = (prepare, active("edr")) {
            let reset = domain::access::RevocationInput {
                removed_at: String::new(),
                method: "tool_user_list".into(),
                evidence: "reset by the matrix".into(),
            };
            domain::access::revoke_grant(&app.db, &cli, id, &reset, now).await.unwrap();
        }
        if matches!(prepare, Prepare::PsaGrant) {
            return match active("psa") {
                Some(id) => id,
                None => {
                    let new = domain::access::NewGrant {
                        technician_id: TECHNICIAN,
                        client_slug: target.slug().into(),
                        system: "psa".into(),
                        privilege: "standard".into(),
                        justification: "Tickets for this client".into(),
                        mfa: true,
                        ..Default::default()
                    };
                    domain::access::grant_access(&app.db, &cli, &new, now).await.unwrap().id
                }
            };
        }
        return 0;
    }
    if matches!(prepare, Prepare::NoOpenException | Prepare::PendingException) {
        let now = chrono::Utc::now();
        let (_, item, _) =
            controls::get_client_control(&app.db, &cli, target.slug(), EXCEPTION_CONTROL, now).await.unwrap();
        if let Some(open) = item.exception.filter(|e| e.ended_at.is_none()) {
            controls::end_exception(&app.db, &cli, open.id, now).await.unwrap();
        }
        if matches!(prepare, Prepare::PendingException) {
            let until = (now + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
            let reason = "Asked for by the matrix";
            let asked =
                controls::request_exception(&app.db, &cli, target.slug(), EXCEPTION_CONTROL, reason, &until, now);
            return asked.await.unwrap().id;
        }
        return 0;
    }
    let client = match (prepare, client.archived_at.is_some()) {
        (Prepare::Active | Prepare::ControlState, true) => {
            clients::restore_client(&app.db, &cli, target.slug(), chrono::Utc::now()).await.unwrap()
        }
        (Prepare::Archived, false) => {
            clients::archive_client(&app.db, &cli, target.slug(), chrono::Utc::now()).await.unwrap()
        }
        _ => client,
    };
    match prepare {
        Prepare::ControlState => control_version(app, target).await,
        _ => client.version,
    }
}

async fn control_version(app: &TestApp, target: Target) -> i64 {
    let now = chrono::Utc::now();
    match domain::controls::get_client_control(&app.db, &domain::Actor::command_line(), target.slug(), CONTROL, now)
        .await
    {
        Ok((_, item, _)) => item.version,
        Err(_) => 0,
    }
}

/// What a refused change must leave alone: the client, its state of [`CONTROL`] and its risk
/// acceptance of [`EXCEPTION_CONTROL`], its grants, the technicians, and the audit log.
async fn fingerprint(app: &TestApp, target: Target) -> Option<String> {
    let cli = domain::Actor::command_line();
    let technicians = domain::access::list_technicians(&app.db, &cli).await.ok()?.len();
    // A refused change appends no audit entry either.
    let audited = domain::audit::head(&app.db, &cli).await.ok()?.seq;
    let Ok(client) = domain::clients::get_client(&app.db, &cli, target.slug()).await else {
        return Some(format!("no client; {technicians} technicians; audit entry {audited}"));
    };
    let now = chrono::Utc::now();
    let (_, item, _) =
        domain::controls::get_client_control(&app.db, &cli, target.slug(), EXCEPTION_CONTROL, now).await.ok()?;
    let exception = item.exception.map(|e| (e.id, e.approved_at.is_some(), e.ended_at.is_some()));
    let grants: Vec<_> = domain::access::list_client_access(&app.db, &cli, target.slug(), now)
        .await
        .ok()?
        .into_iter()
        .map(|g| (g.id, g.revoked_at.is_some(), g.last_reviewed_at.is_some()))
        .collect();
    let control = control_version(app, target).await;
    Some(format!("{} {} {control} {exception:?} {grants:?} {technicians} {audited}", client.name, client.version))
}

#[tokio::test]
async fn every_role_gets_exactly_what_the_rule_table_allows() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let mut failures = Vec::new();
        for who in EVERYONE {
            for (endpoint, row) in rows() {
                let answers = match &row {
                    Row::Call { .. } | Row::Page { .. } => vec![None],
                    Row::ClientCall { .. } | Row::ClientPage { .. } | Row::MeetingPage { .. } => {
                        TARGETS.iter().copied().map(Some).collect()
                    }
                };
                let mut by_target = Vec::new();
                for target in answers {
                    // A fresh session per call: sign-out and sign-in rows must not affect the next.
                    let client = match who.email() {
                        Some(email) => app.signed_in(email).await,
                        None => app.client(),
                    };
                    let (expected, response, before) = match (&row, target) {
                        (Row::Call { form, expect }, _) => {
                            let form = form();
                            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                            (expect(who), app.call(&client, endpoint, &form).await, None)
                        }
                        (Row::ClientCall { form, expect, prepare: how }, Some(target)) => {
                            let version = prepare(&app, target, *how).await;
                            let before = fingerprint(&app, target).await;
                            let form = form(target.slug(), version);
                            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                            (expect(who, target), app.call(&client, endpoint, &form).await, Some((target, before)))
                        }
                        (Row::Page { path, expect }, _) => (expect(who), app.page(&client, path).await, None),
                        (Row::ClientPage { path, expect }, Some(target)) => {
                            let path = path.replace("{slug}", target.slug());
                            (expect(who, target), app.page(&client, &path).await, None)
                        }
                        (Row::MeetingPage { path, expect }, Some(target)) => {
                            let id = prepare(&app, target, Prepare::Meeting).await;
                            let path = path.replace("{id}", &id.to_string());
                            (expect(who, target), app.page(&client, &path).await, None)
                        }
                        _ => unreachable!("client rows always have a target"),
                    };
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    if status != expected {
                        failures.push(format!("{who:?} {endpoint} {target:?}: expected {expected}, got {status}"));
                    }
                    if who.limited() && body.contains(FOREIGN_NAME) {
                        failures.push(format!("{who:?} {endpoint} {target:?}: the foreign client's name leaked"));
                    }
                    // A refused change writes nothing; then the client is made active again.
                    if let Some((target, before)) = before {
                        if status != 200 && fingerprint(&app, target).await != before {
                            failures.push(format!("{who:?} {endpoint} {target:?}: refused, but the client changed"));
                        }
                        prepare(&app, target, Prepare::Active).await;
                    }
                    if let Some(target) = target {
                        by_target.push((target, status, comparable(&body, target)));
                    }
                }
                if who.limited() {
                    let foreign = by_target.iter().find(|(t, _, _)| *t == Target::Foreign);
                    let missing = by_target.iter().find(|(t, _, _)| *t == Target::Missing);
                    if let (Some((_, fs, fb)), Some((_, ms, mb))) = (foreign, missing) {
                        if fs != ms || fb != mb {
                            failures.push(format!("{who:?} {endpoint}: a foreign client answers unlike a missing one"));
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "authorization matrix failures:\n{}", failures.join("\n"));
    })
    .await;
}

/// The step-up column of the matrix: the endpoints whose service needs a recent confirmation of
/// identity, and what they answer an allowed user whose confirmation is old (a server function
/// refuses with 403 StepUpRequired; a download opened in the browser is sent to confirm first).
/// Every other endpoint answers as in the matrix.
const NEEDS_CONFIRMATION: &[(&str, u16)] = &[
    ("/api/auth/start_mfa_enrolment", 403),
    ("/api/auth/confirm_mfa_enrolment", 403),
    ("/api/auth/passkey_begin", 403),
    ("/api/auth/passkey_remove", 403),
    ("/api/users/change_role", 403),
    ("/api/users/assign_clients", 403),
    ("/api/users/disable", 403),
    ("/api/users/enable", 403),
    ("/api/users/reset_mfa", 403),
    ("/api/sso/save_settings", 403),
    (rampart_server::export::REGISTER_PATH, 303),
    (rampart_server::export::AUDIT_PATH, 303),
];

/// What an endpoint answers `who` when their confirmation is old, given what it answers when
/// it is recent.
fn unconfirmed_status(endpoint: &str, confirmed: u16) -> u16 {
    match NEEDS_CONFIRMATION.iter().find(|(e, _)| *e == endpoint) {
        Some((_, refused)) if ![401, 403].contains(&confirmed) => *refused,
        _ => confirmed,
    }
}

#[tokio::test]
async fn exactly_the_sensitive_actions_need_a_recent_confirmation_and_write_nothing_without() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let mut failures = Vec::new();
        for who in [Who::Admin, Who::Manager] {
            for (endpoint, row) in rows() {
                let client = app.signed_in(who.email().unwrap()).await;
                domain::testing::forget_confirmations(&app.db).await;
                let target = Target::Own;
                let (confirmed, response, before) = match &row {
                    Row::Call { form, expect } => {
                        let form = form();
                        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        (expect(who), app.call(&client, endpoint, &form).await, None)
                    }
                    Row::ClientCall { form, expect, prepare: how } => {
                        let version = prepare(&app, target, *how).await;
                        let before = domain::audit::all_entries(&app.db).await.unwrap().len();
                        let form = form(target.slug(), version);
                        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        (expect(who, target), app.call(&client, endpoint, &form).await, Some(before))
                    }
                    Row::Page { path, expect } => (expect(who), app.page(&client, path).await, None),
                    Row::ClientPage { path, expect } => {
                        let path = path.replace("{slug}", target.slug());
                        (expect(who, target), app.page(&client, &path).await, None)
                    }
                    Row::MeetingPage { path, expect } => {
                        let id = prepare(&app, target, Prepare::Meeting).await;
                        let path = path.replace("{id}", &id.to_string());
                        (expect(who, target), app.page(&client, &path).await, None)
                    }
                };
                let wanted = unconfirmed_status(endpoint, confirmed);
                let status = response.status().as_u16();
                if status != wanted {
                    failures.push(format!(
                        "{who:?} {endpoint}: expected {wanted} without a recent confirmation, got {status}"
                    ));
                }
                if wanted != confirmed && status == 303 {
                    let to = response.headers()["location"].to_str().unwrap_or("").to_owned();
                    if !to.starts_with("/account/confirm?next=") {
                        failures.push(format!("{who:?} {endpoint}: sent to {to}, not to confirm"));
                    }
                }
                if let Some(before) = before {
                    if wanted != confirmed && domain::audit::all_entries(&app.db).await.unwrap().len() != before {
                        failures.push(format!("{who:?} {endpoint}: refused, but something was written"));
                    }
                    prepare(&app, target, Prepare::Active).await;
                }
            }
        }
        assert!(failures.is_empty(), "step-up column failures:\n{}", failures.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn limited_users_list_only_their_own_clients() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        for who in [Who::Technician, Who::ClientViewer] {
            let client = app.signed_in(who.email().unwrap()).await;
            let response = app.call(&client, "/api/clients/list", &[("query[archived]", "true")]).await;
            let list: serde_json::Value = response.json().await.unwrap();
            let slugs: Vec<&str> =
                list["items"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
            assert_eq!(slugs, vec!["own-client"], "{who:?}");
            let page = app.page(&client, "/clients?archived=1").await.text().await.unwrap();
            assert!(page.contains("Own Client Ltd") && !page.contains(FOREIGN_NAME), "{who:?}");
        }
        let viewer = app.signed_in("viewer@example.test").await;
        let own = app.call(&viewer, "/api/clients/get", &[("slug", "own-client")]).await;
        let own: serde_json::Value = own.json().await.unwrap();
        assert!(own["notes"].is_null(), "internal notes never reach a client viewer: {own}");
        let page = app.page(&viewer, "/clients/own-client").await.text().await.unwrap();
        assert!(!page.contains("Internal note of"), "not in the page nor in its hydration data");
    })
    .await;
}

#[tokio::test]
async fn the_register_export_holds_only_the_clients_one_may_see() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let path = rampart_server::export::REGISTER_PATH;
        for (who, sees_foreign) in
            [(Who::Admin, true), (Who::Manager, true), (Who::Auditor, true), (Who::Technician, false)]
        {
            let client = app.signed_in(who.email().unwrap()).await;
            let response = app.page(&client, path).await;
            assert_eq!(response.status(), 200, "{who:?}");
            let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
            assert_eq!(header("content-type"), "text/csv; charset=utf-8");
            let disposition = header("content-disposition");
            let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
            assert_eq!(disposition, format!("attachment; filename=\"rampart-access-register-{today}.csv\""));
            let body = response.text().await.unwrap();
            assert!(body.starts_with("\u{feff}technician_email,technician_name,"), "{who:?}: {body}");
            assert!(body.contains(",own-client,rmm,"), "{who:?} sees the own client's grant: {body}");
            assert_eq!(body.contains("foreign-client"), sees_foreign, "{who:?}: {body}");
            assert!(!body.contains(FOREIGN_NAME), "{who:?}: only slugs are exported");
        }
        let viewer = app.signed_in(Who::ClientViewer.email().unwrap()).await;
        let refused = app.page(&viewer, path).await;
        assert_eq!(refused.status(), 403);
        assert!(!refused.text().await.unwrap().contains("foreign-client"));
        let anonymous = app.page(&app.client(), path).await;
        assert_eq!(anonymous.status(), 303);
        assert_eq!(anonymous.headers()["location"], "/login?next=/access/register.csv");
    })
    .await;
}
