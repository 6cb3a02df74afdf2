//! Access pages: technicians, one technician with their grants, who can reach a client, and
//! stale-access findings.

mod client;
mod findings;
mod sla;
mod technician;
mod technicians;

pub use client::ClientAccess;
pub use findings::FindingsPage;
pub use sla::SlaSettingsPage;
pub use technician::TechnicianPage;
pub use technicians::TechniciansPage;

use crate::access::api::{get_client_sla, list_client_access, ReviewGrant, RevokeGrant, SaveClientSla};
use crate::access::types::{technician_state_label, ClientSlaView, GrantView};
use crate::components::options;
use crate::components::{Column, DataTable};
use crate::error::AppError;
use crate::html::Markup;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
fn StateBadge(state: String) -> impl IntoView {
    let class = format!("badge badge-technician-{state}");
    view! { <span class=class>{technician_state_label(&state)}</span> }
}

#[component]
fn GrantTable(
    grants: Vec<GrantView>,
    /// Show the client column (on a technician's page, and across clients).
    show_client: bool,
    /// Show the technician column (on a client's page, and across clients).
    show_technician: bool,
) -> impl IntoView {
    if grants.is_empty() {
        return view! { <p class="muted">"No access recorded."</p> }.into_any();
    }
    let label = match (show_client, show_technician) {
        (true, true) => "Access findings",
        (true, false) => "Access by client",
        _ => "Who at the MSP can reach this client",
    };
    let rows = grant_rows(&grants, show_client, show_technician);
    view! { <DataTable label=label columns=grant_columns(show_client, show_technician) rows_html=rows/> }.into_any()
}

/// The grants' rows, written as text (see [`Markup`]): each with its state, deadlines and
/// findings, and for those who may manage it the forms that keep or revoke it (plain forms,
/// posted by the browser like every form outside an island).
fn grant_rows(grants: &[GrantView], show_client: bool, show_technician: bool) -> String {
    let mut html = Markup::with_capacity(2048 * grants.len());
    for g in grants {
        html.raw("<tr>");
        if show_client {
            html.raw(r#"<td><a href="/clients/"#).text(&g.client_slug).raw(r#"">"#);
            html.text(&g.client_name).raw("</a></td>");
        }
        if show_technician {
            html.raw(r#"<td><a href="/technicians/"#).number(g.technician_id).raw(r#"">"#);
            html.text(&g.technician_name).raw(r#"</a> <span class="badge badge-technician-"#);
            html.text(&g.technician_state).raw(r#"">"#).text(technician_state_label(&g.technician_state));
            html.raw("</span></td>");
        }
        html.raw("<td>").text(&g.system).raw("</td><td>").text(&g.privilege).raw("</td>");
        html.raw(if g.mfa { "<td>Yes</td>" } else { "<td>No</td>" });
        html.raw("<td>").time_ago(&g.granted).raw("</td><td>");
        match &g.last_reviewed {
            Some(when) => html.time_ago(when),
            None => html.raw(r#"<span class="muted">never</span>"#),
        };
        html.raw("</td><td>");
        match &g.revoked {
            Some(when) => {
                html.raw("Revoked ").time_ago(when);
                if let Some(by) = &g.revoked_by {
                    html.raw(" by ").text(by);
                }
                html.raw(r#"<br><span class="muted">Verified: "#);
                html.text(g.revocation_method.as_deref().unwrap_or_default()).raw(". ");
                html.text(&g.revocation_evidence).raw("</span>");
            }
            None => {
                html.text(&g.state);
            }
        }
        if let Some(t) = &g.time_to_revoke {
            html.raw(r#"<br><span class="muted">"#).text(t).raw(" after T0</span>");
            if g.revoked_late {
                html.raw(r#" <span class="badge badge-overdue">Past its deadline</span>"#);
            }
        }
        if let (None, Some(due)) = (&g.revoked, &g.revoke_due) {
            html.raw(if g.revoke_overdue { r#"<br><span class="text-overdue">"# } else { "<br><span>" });
            html.raw("Revoke by ").time_ago(due).raw("</span>");
        }
        if let Some(due) = &g.reapproval_due {
            html.raw(r#"<br><span class="badge badge-pending">Role changed: keep or revoke by "#);
            html.time_ago(due).raw("</span>");
        }
        if !g.findings.is_empty() {
            html.raw(r#"<ul class="findings">"#);
            for finding in &g.findings {
                html.raw(r#"<li><span class="badge badge-overdue">"#).text(finding).raw("</span></li>");
            }
            html.raw("</ul>");
        }
        html.raw("</td><td>");
        if g.can_manage {
            grant_forms(&mut html, g);
        }
        html.raw("</td></tr>");
    }
    html.finish()
}

/// A grant's forms: keep it (or confirm it is still needed), and revoke it with how the removal
/// was verified.
fn grant_forms(html: &mut Markup, g: &GrantView) {
    let id = g.id;
    let leaver = matches!(g.technician_state.as_str(), "offboarding" | "departed");
    if !leaver {
        // Each name holds its button's visible words, in order (WCAG 2.5.3).
        let (words, label) = if g.reapproval_due.is_some() {
            ("Keep", format!("Keep {} at {}", g.system, g.client_name))
        } else {
            ("Still needed", format!("Still needed: {} at {}", g.system, g.client_name))
        };
        html.raw(r#"<form action=""#).raw(<ReviewGrant as ServerFn>::url()).raw(r#"" method="post">"#);
        html.raw(r#"<input type="hidden" name="id" value=""#).number(id).raw(r#"">"#);
        html.raw(r#"<button type="submit" class="btn btn-small" aria-label=""#).text(&label).raw(r#"">"#);
        html.raw(words).raw("</button></form>");
    }
    let field = |html: &mut Markup, name: &'static str| {
        html.raw(r#"revoke-"#).raw(name).raw("-").number(id);
    };
    html.raw(r#"<details class="confirm"><summary class="btn btn-small btn-danger">Revoke…</summary>"#);
    html.raw(r#"<form action=""#).raw(<RevokeGrant as ServerFn>::url()).raw(r#"" method="post" class="stack">"#);
    html.raw(r#"<input type="hidden" name="id" value=""#).number(id).raw(r#"">"#);
    html.raw(r#"<label for=""#);
    field(html, "at");
    html.raw(r#"">Removed at (UTC; empty for now)</label><input id=""#);
    field(html, "at");
    html.raw(r#"" name="removed_at" type="datetime-local"><label for=""#);
    field(html, "method");
    html.raw(r#"">How you verified it</label><select id=""#);
    field(html, "method");
    html.raw(r#"" name="method">"#);
    for (value, label) in vocabulary::REVOCATION_METHODS {
        html.raw(r#"<option value=""#).text(value).raw(r#"">"#).text(label).raw("</option>");
    }
    html.raw(r#"</select><label for=""#);
    field(html, "evidence");
    html.raw(r#"">Evidence (ticket, report, screenshot reference)</label><input id=""#);
    field(html, "evidence");
    html.raw(r#"" name="evidence" maxlength="1000">"#);
    let label = format!("Revoke {} at {} and record", g.system, g.client_name);
    html.raw(r#"<button type="submit" class="btn btn-small btn-danger" aria-label=""#).text(&label);
    html.raw(r#"">Revoke and record</button></form></details>"#);
}

fn grant_columns(show_client: bool, show_technician: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if show_client {
        columns.push(Column::from("Client"));
    }
    if show_technician {
        columns.push("Technician".into());
    }
    columns.extend(["System", "Privilege", "MFA", "Since", "Last reviewed", "State"].map(Column::from));
    columns.push(Column::hidden("Actions"));
    columns
}

/// The data behind "who at the MSP can reach this client", created by the client's page.
#[derive(Clone, Copy)]
pub struct ClientAccessData {
    slug: Memo<String>,
    grants: Resource<Result<Vec<GrantView>, AppError>>,
    sla: Resource<Result<ClientSlaView, AppError>>,
    review: ServerAction<ReviewGrant>,
    revoke: ServerAction<RevokeGrant>,
    save_sla: ServerAction<SaveClientSla>,
}

impl ClientAccessData {
    pub fn new(slug: Memo<String>) -> Self {
        let review = ServerAction::<ReviewGrant>::new();
        let revoke = ServerAction::<RevokeGrant>::new();
        let save_sla = ServerAction::<SaveClientSla>::new();
        let grants = Resource::new(
            move || (slug.get(), review.version().get(), revoke.version().get(), save_sla.version().get()),
            |(slug, ..)| list_client_access(slug),
        );
        let sla = Resource::new(move || (slug.get(), save_sla.version().get()), |(slug, _)| get_client_sla(slug));
        Self { slug, grants, sla, review, revoke, save_sla }
    }
}

/// Choosing an amount and unit of a service level.
#[component]
fn SlaInputs(
    prefix: String,
    #[prop(into)] label: String,
    amount_name: &'static str,
    unit_name: &'static str,
    amount: Option<i64>,
    unit: String,
) -> impl IntoView {
    let amount_id = format!("{prefix}-{amount_name}");
    let unit_id = format!("{prefix}-{unit_name}");
    view! {
        <div class="sla-inputs">
            <label for=amount_id.clone()>{label.clone()}</label>
            <input id=amount_id name=amount_name type="number" min="0" max="8784" value=amount.map(|a| a.to_string()) class="input-narrow"/>
            <label for=unit_id.clone() class="visually-hidden">{format!("{label}: unit")}</label>
            <select id=unit_id name=unit_name>{options(vocabulary::SLA_UNITS.into(), unit.into())}</select>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{grant_rows, GrantView};
    use crate::time::When;

    fn when(iso: &str) -> When {
        When { iso: iso.into(), relative: "2 days ago".into(), absolute: "2026-12-05 10:00 UTC".into() }
    }

    fn grant(id: i64, technician_state: &str, can_manage: bool) -> GrantView {
        GrantView {
            id,
            technician_id: 7,
            technician_name: "Ann <O'Hara>".into(),
            technician_state: technician_state.into(),
            client_slug: "acme".into(),
            client_name: "Acme & Sons".into(),
            system: "RMM \"main\"".into(),
            privilege: "admin".into(),
            approver: String::new(),
            justification: String::new(),
            granted: when("2026-12-05T10:00:00Z"),
            expires: None,
            mfa: true,
            last_reviewed: None,
            last_reviewed_by: None,
            revoked: None,
            revoked_by: None,
            revocation_method: None,
            revocation_evidence: String::new(),
            revoke_due: Some(when("2026-12-06T10:00:00Z")),
            revoke_overdue: true,
            reapproval_due: None,
            state: "active".into(),
            time_to_revoke: None,
            revoked_late: false,
            findings: vec!["A leaver <still> holds this access".into()],
            can_manage,
            technician_page: true,
        }
    }

    #[test]
    fn a_grant_row_escapes_every_value_and_shows_its_deadline_and_findings() {
        let html = grant_rows(&[grant(41, "active", false)], true, true);
        assert!(html.starts_with(r#"<tr><td><a href="/clients/acme">Acme &amp; Sons</a></td>"#), "{html}");
        assert!(html.contains(r#"<a href="/technicians/7">Ann &lt;O&#39;Hara&gt;</a> <span class="badge badge-technician-active">Active</span>"#), "{html}");
        assert!(html.contains(r#"<td>RMM &quot;main&quot;</td><td>admin</td><td>Yes</td>"#), "{html}");
        assert!(html.contains(r#"<span class="muted">never</span>"#), "{html}");
        assert!(
            html.contains(r#"<br><span class="text-overdue">Revoke by <time datetime="2026-12-06T10:00:00Z""#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<li><span class="badge badge-overdue">A leaver &lt;still&gt; holds this access</span></li>"#
            ),
            "{html}"
        );
        assert!(!html.contains("<form"), "no forms for one who may not manage: {html}");
        assert!(html.ends_with("<td></td></tr>"), "{html}");
    }

    #[test]
    fn one_who_manages_a_grant_may_keep_or_revoke_it_and_a_leavers_only_revoke_it() {
        let html = grant_rows(&[grant(41, "active", true)], false, true);
        assert!(!html.contains("/clients/acme"), "no client column: {html}");
        assert!(
            html.contains(
                r#"<form action="/api/access/review" method="post"><input type="hidden" name="id" value="41">"#
            ),
            "{html}"
        );
        assert!(
            html.contains(
                r#"aria-label="Still needed: RMM &quot;main&quot; at Acme &amp; Sons">Still needed</button>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<form action="/api/access/revoke" method="post" class="stack"><input type="hidden" name="id" value="41">"#), "{html}");
        assert!(html.contains(r#"<label for="revoke-method-41">How you verified it</label><select id="revoke-method-41" name="method"><option value="tool_user_list">"#), "{html}");
        assert_eq!(html.matches("<option ").count(), vocabulary::REVOCATION_METHODS.len());
        let leaver = grant_rows(&[grant(42, "offboarding", true)], false, true);
        assert!(!leaver.contains("/api/access/review"), "a leaver's access is not kept: {leaver}");
        assert!(leaver.contains(r#"<input id="revoke-evidence-42" name="evidence" maxlength="1000">"#), "{leaver}");
    }
}
