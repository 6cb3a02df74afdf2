//! Review pages: the schedule as a list and as a month calendar, and a client's reviews.

mod calendar;
mod client;
mod review;
mod schedule;

pub use calendar::CalendarPage;
pub use client::{ClientReviews, ClientReviewsData};
pub use review::ReviewPage;
pub use schedule::SchedulePage;

use crate::components::{Column, DataTable};
use crate::html::Markup;
use crate::reviews::api::ChangeOccurrence;
use crate::reviews::types::{kind_label, OccurrenceView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

fn query(name: &'static str) -> Memo<String> {
    let map = use_query_map();
    Memo::new(move |_| map.read().get(name).unwrap_or_default())
}

#[component]
fn StateBadge(o: OccurrenceView) -> impl IntoView {
    if o.overdue {
        view! { <span class="badge badge-overdue">{format!("{} · overdue", o.state_label)}</span> }.into_any()
    } else {
        let class = format!("badge badge-review-{}", o.state);
        view! { <span class=class>{o.state_label}</span> }.into_any()
    }
}

#[component]
fn ScheduleTabs(current: &'static str) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Schedule views">
            <a href="/reviews" aria-current=(current == "list").then_some("page")>"List"</a>
            <a href="/reviews/calendar" aria-current=(current == "calendar").then_some("page")>"Calendar"</a>
        </nav>
    }
}

/// Occurrences with their due day, state and, for those one may run, the actions.
fn review_columns(show_client: bool) -> Vec<Column> {
    let mut columns = vec![Column::from("Due")];
    if show_client {
        columns.push("Client".into());
    }
    columns.extend([Column::from("Review"), "State".into(), Column::hidden("Actions")]);
    columns
}

#[component]
fn ReviewTable(items: Vec<OccurrenceView>, show_client: bool, label: &'static str) -> impl IntoView {
    let rows = review_rows(&items, show_client);
    view! { <DataTable label=label columns=review_columns(show_client) rows_html=rows/> }
}

/// The occurrences' rows, written as text (see [`Markup`]): due day, review, state, and for
/// those who may run it the forms that start, schedule, close or skip it (plain forms, posted
/// by the browser like every form outside an island).
fn review_rows(items: &[OccurrenceView], show_client: bool) -> String {
    let mut html = Markup::with_capacity(2048 * items.len());
    for o in items {
        html.raw(if o.overdue { r#"<tr class="row-overdue"><td>"# } else { "<tr><td>" });
        html.raw(r#"<time datetime=""#).text(&o.due_on).raw(r#"">"#).text(&o.due_on).raw("</time>");
        if let Some(day) = &o.scheduled_on {
            html.raw(r#"<br><span class="muted">scheduled "#).text(day).raw("</span>");
        }
        html.raw("</td>");
        if show_client {
            html.raw(r#"<td><a href="/clients/"#).text(&o.client_slug).raw(r#"">"#);
            html.text(&o.client_name).raw("</a></td>");
        }
        html.raw(r#"<td><a href="/reviews/"#).number(o.id).raw(r#"">"#).text(&o.title).raw("</a>");
        let kind = kind_label(&o.kind);
        if o.title != kind {
            html.raw(r#"<br><span class="muted">"#).text(kind).raw("</span>");
        }
        html.raw(r#"<br><span class="muted small">"#).text(&o.cadence);
        if !o.owner.is_empty() {
            html.raw(" · owner ").text(&o.owner);
        }
        html.raw("</span></td><td>");
        if o.overdue {
            html.raw(r#"<span class="badge badge-overdue">"#).text(&o.state_label).raw(" · overdue</span>");
        } else {
            html.raw(r#"<span class="badge badge-review-"#).text(&o.state).raw(r#"">"#);
            html.text(&o.state_label).raw("</span>");
        }
        if let Some(when) = &o.closed {
            html.raw(r#"<br><span class="muted">closed "#).time_ago(when);
            if let Some(by) = &o.closed_by {
                html.raw(" by ").text(by);
            }
            html.raw("</span>");
        }
        if !o.note.is_empty() {
            html.raw(r#"<br><span class="muted">"#).text(&o.note).raw("</span>");
        }
        html.raw("</td><td>");
        if o.can_manage {
            review_forms(&mut html, o);
        }
        html.raw("</td></tr>");
    }
    html.finish()
}

/// An occurrence's forms, each naming the occurrence, the version it was read at and what to do.
fn review_forms(html: &mut Markup, o: &OccurrenceView) {
    let id = o.id;
    let name = format!("{} at {}", o.title, o.client_name);
    let form = |html: &mut Markup, action: &'static str| {
        html.raw(r#"<form action=""#).raw(<ChangeOccurrence as ServerFn>::url()).raw(r#"" method="post">"#);
        html.raw(r#"<input type="hidden" name="id" value=""#).number(id);
        html.raw(r#""><input type="hidden" name="version" value=""#).number(o.version);
        html.raw(r#""><input type="hidden" name="action" value=""#).raw(action).raw(r#"">"#);
    };
    // Each name holds its button's visible words, in order (WCAG 2.5.3).
    let button = |html: &mut Markup, class: &'static str, label: String, words: &'static str| {
        html.raw(r#"<button type="submit" class=""#).raw(class).raw(r#"" aria-label=""#).text(&label);
        html.raw(r#"">"#).raw(words).raw("</button></form>");
    };
    let field = |html: &mut Markup, id_prefix: &'static str, label: &'static str, input: &'static str| {
        html.raw(r#"<label for=""#).raw(id_prefix).number(id).raw(r#"">"#).raw(label).raw("</label>");
        html.raw(r#"<input id=""#).raw(id_prefix).number(id).raw(r#"" "#).raw(input).raw(">");
    };
    html.raw(r#"<div class="row-actions">"#);
    if o.state == "planned" {
        form(html, "start");
        button(html, "btn btn-small", format!("Start {name}"), "Start");
    }
    html.raw(r#"<details class="confirm"><summary class="btn btn-small">Schedule…</summary>"#);
    form(html, "schedule");
    field(html, "schedule-", "Meeting day", r#"name="scheduled_on" type="date""#);
    button(html, "btn btn-small", format!("Schedule {name}"), "Save day");
    html.raw("</details>");
    html.raw(r#"<details class="confirm"><summary class="btn btn-small btn-primary">Close…</summary>"#);
    form(html, "done");
    field(html, "done-note-", "What was done (optional)", r#"name="note" maxlength="2000""#);
    button(html, "btn btn-small btn-primary", format!("Mark {name} done"), "Mark done");
    form(html, "skip");
    field(html, "skip-note-", "Why it is skipped", r#"name="note" maxlength="2000""#);
    button(html, "btn btn-small", format!("Skip {name}"), "Skip");
    html.raw("</details></div>");
}

#[cfg(test)]
mod tests {
    use super::{review_rows, OccurrenceView};

    fn occurrence(state: &str, overdue: bool, can_manage: bool) -> OccurrenceView {
        OccurrenceView {
            id: 9,
            version: 3,
            client_slug: "acme".into(),
            client_name: "Acme & Sons".into(),
            kind: "quarterly_business".into(),
            title: "QBR <Q4>".into(),
            cadence: "Quarterly".into(),
            owner: "Ann".into(),
            due_on: "2026-12-10".into(),
            scheduled_on: Some("2026-12-09".into()),
            state: state.into(),
            state_label: "Planned".into(),
            overdue,
            note: String::new(),
            closed: None,
            closed_by: None,
            can_manage,
        }
    }

    #[test]
    fn a_review_row_escapes_every_value_and_marks_an_overdue_one() {
        let html = review_rows(&[occurrence("planned", true, false)], true);
        assert!(html.starts_with(r#"<tr class="row-overdue"><td><time datetime="2026-12-10">2026-12-10</time><br><span class="muted">scheduled 2026-12-09</span></td>"#), "{html}");
        assert!(
            html.contains(
                r#"<td><a href="/clients/acme">Acme &amp; Sons</a></td><td><a href="/reviews/9">QBR &lt;Q4&gt;</a>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<span class="muted small">Quarterly · owner Ann</span>"#), "{html}");
        assert!(html.contains(r#"<span class="badge badge-overdue">Planned · overdue</span>"#), "{html}");
        assert!(!html.contains("<form"), "no forms for one who may not run it: {html}");
    }

    #[test]
    fn one_who_runs_a_review_may_start_schedule_close_or_skip_it_each_form_naming_its_version() {
        let html = review_rows(&[occurrence("planned", false, true)], false);
        assert!(html.starts_with("<tr><td>"), "{html}");
        assert!(!html.contains("/clients/acme"), "no client column: {html}");
        let hidden = |action: &str| {
            format!(
                r#"<form action="/api/reviews/change" method="post"><input type="hidden" name="id" value="9"><input type="hidden" name="version" value="3"><input type="hidden" name="action" value="{action}">"#
            )
        };
        for action in ["start", "schedule", "done", "skip"] {
            assert!(html.contains(&hidden(action)), "{action}: {html}");
        }
        assert!(
            html.contains(r#"aria-label="Mark QBR &lt;Q4&gt; at Acme &amp; Sons done">Mark done</button>"#),
            "{html}"
        );
        assert!(html.contains(r#"<label for="done-note-9">What was done (optional)</label><input id="done-note-9" name="note" maxlength="2000">"#), "{html}");
        let started = review_rows(&[occurrence("in_progress", false, true)], false);
        assert!(!started.contains(r#"value="start""#), "a started review is not started again: {started}");
    }
}
