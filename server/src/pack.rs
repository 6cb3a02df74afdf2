//! The review pack of a meeting: a print-ready page and a PDF. `{id}` is the security review's
//! occurrence (the same id as its page, `/reviews/{id}`). Plain axum handlers: they find the
//! actor from the session as server functions do and call one service,
//! [`domain::meetings::get_pack`], which authorizes (a client the actor may not see, and
//! a review without a meeting, are not found alike).
//!
//! A signed meeting's pack is drawn only from the snapshot frozen at sign-off: its score, trend
//! and tables never change. A draft's pack is live and shows the score charts.
//!
//! The MSP's name and logo come from RAMPART_MSP_NAME and RAMPART_MSP_LOGO_URL (see docs/operations.md's
//! settings); every text is escaped. The PDF uses the PDF base-14 font Helvetica (WinAnsi), so
//! no font file is needed: characters outside WinAnsi are replaced.

use crate::config::Branding;
use crate::security::error_response;
use crate::signed_in::SignedIn;
use crate::state::ServerState;
use app::error::AppError;
use app::html::escape;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::meetings::Pack;
use std::fmt::Write;

pub const PACK_PATH: &str = "/reviews/{id}/pack";
pub const PDF_PATH: &str = "/reviews/{id}/pack.pdf";
/// Every address this module serves (the authorization matrix has a row for each).
pub const PATHS: [&str; 2] = [PACK_PATH, PDF_PATH];

impl Branding {
    /// The logo's origin, for the page's image policy (a path on this site needs none).
    fn logo_origin(&self) -> Option<String> {
        let url = self.logo_url.as_deref()?;
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split(['/', '?', '#']).next()?;
        let safe = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        safe.then(|| format!("{scheme}://{host}"))
    }
}

fn points(p: Option<i64>) -> String {
    p.map(|p| p.to_string()).unwrap_or_else(|| "not rated".into())
}

fn percent(p: Option<i64>) -> String {
    p.map(|p| format!("{p}%")).unwrap_or_else(|| "n/a".into())
}

/// At most `n` points of the trend, evenly spread, always with the last.
fn sampled(trend: &[domain::meetings::PackPoint], n: usize) -> Vec<&domain::meetings::PackPoint> {
    if trend.len() <= n {
        return trend.iter().collect();
    }
    let step = trend.len().div_ceil(n);
    let mut out: Vec<_> = trend.iter().step_by(step).collect();
    if let Some(last) = trend.last() {
        if out.last().is_none_or(|p| p.day != last.day) {
            out.push(last);
        }
    }
    out
}

fn status_line(pack: &Pack) -> String {
    match &pack.signed {
        Some((at, by)) => {
            format!("Signed off by {} on {} (UTC); the figures are as they were then.", by, at.format("%Y-%m-%d %H:%M"))
        }
        None => "Draft: not signed off yet; the figures are live.".into(),
    }
}

fn list(out: &mut String, heading: &str, items: &[String], empty: &str) {
    let _ = write!(out, "<section><h2>{}</h2>", escape(heading));
    if items.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", escape(empty));
    } else {
        out.push_str("<ul>");
        for item in items {
            let _ = write!(out, "<li>{}</li>", escape(item));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

/// The pack as a standalone HTML page.
pub fn pack_html(pack: &Pack, branding: &Branding, occurrence_id: i64) -> String {
    let mut out = String::new();
    let title = format!("{} · {} · {}", pack.client_name, pack.title, pack.held_on);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"/pkg/rampart.css\"></head><body class=\"pack\"><main class=\"pack-page\">",
        escape(&format!("Review pack · {title}"))
    );
    out.push_str("<header class=\"pack-header\">");
    if let Some(logo) = &branding.logo_url {
        let _ = write!(out, "<img class=\"pack-logo\" src=\"{}\" alt=\"{}\">", escape(logo), escape(&branding.name));
    }
    let _ = write!(
        out,
        "<div><p class=\"pack-msp\">{}</p><h1>{}</h1><p class=\"pack-subtitle\">{} · held on {}</p>\
         <p class=\"pack-status\">{}</p></div></header>",
        escape(&branding.name),
        escape(&pack.client_name),
        escape(&pack.title),
        pack.held_on,
        escape(&status_line(pack))
    );
    let _ = write!(
        out,
        "<nav class=\"pack-actions\" aria-label=\"Pack\"><a href=\"/reviews/{occurrence_id}\">Back to the review</a> · \
         <a href=\"/reviews/{occurrence_id}/pack.pdf\" download>Download as PDF</a></nav>"
    );
    let _ = write!(
        out,
        "<section class=\"pack-score\" aria-label=\"Score\"><p class=\"pack-big\"><span>Score</span> <strong>{}</strong></p>\
         <p class=\"pack-big\"><span>Band</span> <strong>{}</strong></p><p class=\"pack-big\"><span>Coverage</span> <strong>{}</strong></p></section>",
        escape(&points(pack.posture)),
        escape(&pack.band),
        escape(&percent(pack.coverage))
    );
    if let Some(explanation) = &pack.band_explanation {
        let _ = write!(out, "<p>{}</p>", escape(explanation));
    }
    out.push_str("<section><h2>Trend</h2>");
    if pack.signed.is_none() {
        let slug = escape(&pack.client_slug);
        let _ = write!(
            out,
            "<img class=\"pack-chart\" src=\"/charts/clients/{slug}/trend.svg\" alt=\"The score over the last year (table below)\">"
        );
    }
    out.push_str("<table class=\"data\" aria-label=\"Score trend\"><thead><tr><th scope=\"col\">Day</th><th scope=\"col\">Score</th></tr></thead><tbody>");
    for p in sampled(&pack.trend, 12) {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", p.day, escape(&points(p.posture)));
    }
    out.push_str("</tbody></table></section>");
    out.push_str("<section><h2>Coverage by category</h2><table class=\"data\" aria-label=\"Coverage by category\"><thead><tr><th scope=\"col\">Category</th><th scope=\"col\">Coverage</th></tr></thead><tbody>");
    for c in &pack.categories {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(&c.name), escape(&percent(c.coverage)));
    }
    out.push_str("</tbody></table>");
    out.push_str("<table class=\"data\" aria-label=\"Penalties\"><thead><tr><th scope=\"col\">Penalty</th><th scope=\"col\">Count</th><th scope=\"col\">Points</th></tr></thead><tbody>");
    for p in &pack.penalties {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td><td>−{}</td></tr>", escape(&p.label), p.count, p.points);
    }
    out.push_str("</tbody></table></section>");
    list(&mut out, "What changed", &pack.changes, "Nothing changed.");
    list(&mut out, "Access changes", &pack.access_changes, "No access was granted or revoked.");
    out.push_str("<section><h2>Decisions</h2>");
    if pack.decisions.is_empty() {
        out.push_str("<p class=\"muted\">No decisions.</p>");
    } else {
        out.push_str("<table class=\"data\" aria-label=\"Decisions\"><thead><tr><th scope=\"col\">Topic</th><th scope=\"col\">Decision</th></tr></thead><tbody>");
        for d in &pack.decisions {
            let decision = if d.decision.is_empty() { "undecided" } else { &d.decision };
            let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(&d.topic), escape(decision));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section><section><h2>Action items</h2>");
    if pack.actions.is_empty() {
        out.push_str("<p class=\"muted\">No action items.</p>");
    } else {
        out.push_str("<table class=\"data\" aria-label=\"Action items\"><thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Owner</th><th scope=\"col\">Due</th><th scope=\"col\">State</th></tr></thead><tbody>");
        for a in &pack.actions {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.title),
                escape(&a.owner),
                a.due_on.map(|d| d.to_string()).unwrap_or_default(),
                if a.done { "Done" } else { "Open" }
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
    list(&mut out, "Attendees from the MSP", &pack.attendees_msp, "None recorded.");
    list(&mut out, "Attendees from the client", &pack.attendees_client, "None recorded.");
    list(&mut out, "Agenda", &pack.agenda, "No agenda.");
    let _ = write!(out, "<section><h2>Minutes</h2><p class=\"pre\">{}</p></section>", escape(&pack.minutes));
    out.push_str("</main></body></html>");
    out
}

/// A character of WinAnsiEncoding (the base-14 fonts' usual encoding), or a stand-in.
fn win_ansi(c: char) -> Vec<u8> {
    match c {
        ' '..='~' => vec![c as u8],
        '\u{a0}'..='\u{ff}' => vec![c as u32 as u8],
        '€' => vec![0x80],
        '‚' => vec![0x82],
        '…' => vec![0x85],
        '‘' => vec![0x91],
        '’' => vec![0x92],
        '“' => vec![0x93],
        '”' => vec![0x94],
        '•' => vec![0x95],
        '–' => vec![0x96],
        '—' => vec![0x97],
        '−' => vec![b'-'],
        '→' => b"->".to_vec(),
        '\t' => vec![b' '],
        _ => vec![b'?'],
    }
}

fn encode(s: &str) -> Vec<u8> {
    s.chars().flat_map(win_ansi).collect()
}

/// Lines of at most `width` characters, broken at spaces (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_string();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// A4 (the PDF prints on Letter scaled to fit: the margins leave room).
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;

/// Writes text top to bottom, starting a new page when one is full.
struct Layout {
    pages: Vec<pdf_writer::Content>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout { pages: vec![pdf_writer::Content::new()], y: PAGE_H - MARGIN }
    }

    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(pdf_writer::Content::new());
            self.y = PAGE_H - MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, s: &str) {
        use pdf_writer::{Name, Str};
        let font = if bold { Name(b"F2") } else { Name(b"F1") };
        let bytes = encode(s);
        let page = self.pages.last_mut().expect("a layout always has a page");
        page.begin_text();
        page.set_font(font, size);
        page.next_line(x, self.y - size);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn paragraph(&mut self, size: f32, bold: bool, text: &str) {
        let width = ((PAGE_W - 2.0 * MARGIN) / (size * 0.5)) as usize;
        for line in wrap(text, width) {
            self.room(size * 1.4);
            self.text(MARGIN, size, bold, &line);
            self.y -= size * 1.4;
        }
    }

    fn heading(&mut self, text: &str) {
        self.y -= 8.0;
        self.room(40.0);
        self.paragraph(14.0, true, text);
        self.y -= 2.0;
    }

    /// A table: a bold header row, then rows, columns at the given offsets.
    fn table(&mut self, columns: &[(f32, &str)], rows: &[Vec<String>]) {
        let size = 10.0;
        let widths: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(i, (x, _))| {
                let end = columns.get(i + 1).map(|(n, _)| *n).unwrap_or(PAGE_W - 2.0 * MARGIN);
                (((end - x) / (size * 0.5)) as usize).saturating_sub(2).max(4)
            })
            .collect();
        self.room(size * 2.8);
        for (x, label) in columns {
            self.text(MARGIN + x, size, true, label);
        }
        self.y -= size * 1.5;
        for row in rows {
            let cells: Vec<Vec<String>> = row.iter().zip(&widths).map(|(cell, w)| wrap(cell, *w)).collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            self.room(size * 1.4 * height as f32);
            for ((x, _), lines) in columns.iter().zip(&cells) {
                for (i, line) in lines.iter().enumerate() {
                    let y = self.y;
                    self.y -= size * 1.4 * i as f32;
                    self.text(MARGIN + x, size, false, line);
                    self.y = y;
                }
            }
            self.y -= size * 1.4 * height as f32;
        }
    }

    fn items(&mut self, items: &[String], empty: &str) {
        if items.is_empty() {
            self.paragraph(10.0, false, empty);
        }
        for item in items {
            self.paragraph(10.0, false, &format!("• {item}"));
        }
    }
}

/// The pack as a PDF document: the same sections as the page, as text and tables.
pub fn pack_pdf(pack: &Pack, branding: &Branding) -> Vec<u8> {
    use pdf_writer::{Name, Pdf, Rect, Ref, TextStr};
    let mut l = Layout::new();
    l.paragraph(11.0, false, &branding.name);
    l.paragraph(22.0, true, &pack.client_name);
    l.paragraph(12.0, false, &format!("{} · held on {}", pack.title, pack.held_on));
    l.paragraph(10.0, false, &status_line(pack));
    l.heading("Score");
    l.paragraph(
        16.0,
        true,
        &format!("Score {} · band {} · coverage {}", points(pack.posture), pack.band, percent(pack.coverage)),
    );
    if let Some(explanation) = &pack.band_explanation {
        l.paragraph(10.0, false, explanation);
    }
    l.heading("Trend");
    let trend: Vec<Vec<String>> =
        sampled(&pack.trend, 12).iter().map(|p| vec![p.day.to_string(), points(p.posture)]).collect();
    l.table(&[(0.0, "Day"), (150.0, "Score")], &trend);
    l.heading("Coverage by category");
    let categories: Vec<Vec<String>> =
        pack.categories.iter().map(|c| vec![c.name.clone(), percent(c.coverage)]).collect();
    l.table(&[(0.0, "Category"), (300.0, "Coverage")], &categories);
    let penalties: Vec<Vec<String>> =
        pack.penalties.iter().map(|p| vec![p.label.clone(), p.count.to_string(), format!("-{}", p.points)]).collect();
    l.y -= 6.0;
    l.table(&[(0.0, "Penalty"), (300.0, "Count"), (380.0, "Points")], &penalties);
    l.heading("What changed");
    l.items(&pack.changes, "Nothing changed.");
    l.heading("Access changes");
    l.items(&pack.access_changes, "No access was granted or revoked.");
    l.heading("Decisions");
    let decisions: Vec<Vec<String>> = pack
        .decisions
        .iter()
        .map(|d| vec![d.topic.clone(), if d.decision.is_empty() { "undecided".into() } else { d.decision.clone() }])
        .collect();
    if decisions.is_empty() {
        l.paragraph(10.0, false, "No decisions.");
    } else {
        l.table(&[(0.0, "Topic"), (220.0, "Decision")], &decisions);
    }
    l.heading("Action items");
    let actions: Vec<Vec<String>> = pack
        .actions
        .iter()
        .map(|a| {
            vec![
                a.title.clone(),
                a.owner.clone(),
                a.due_on.map(|d| d.to_string()).unwrap_or_default(),
                if a.done { "Done".into() } else { "Open".into() },
            ]
        })
        .collect();
    if actions.is_empty() {
        l.paragraph(10.0, false, "No action items.");
    } else {
        l.table(&[(0.0, "Action"), (230.0, "Owner"), (340.0, "Due"), (420.0, "State")], &actions);
    }
    l.heading("Attendees");
    l.paragraph(10.0, false, &format!("MSP: {}", pack.attendees_msp.join(", ")));
    l.paragraph(10.0, false, &format!("Client: {}", pack.attendees_client.join(", ")));
    l.heading("Agenda");
    l.items(&pack.agenda, "No agenda.");
    l.heading("Minutes");
    l.paragraph(10.0, false, &pack.minutes);

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..l.pages.len()).map(|i| Ref::new(first + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    let title = format!("Review pack · {} · {}", pack.client_name, pack.held_on);
    pdf.document_info(info).title(TextStr(&title)).author(TextStr(&branding.name));
    for (i, content) in l.pages.into_iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.parent(tree).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(content_id);
        let mut fonts = page.resources();
        let mut dict = fonts.fonts();
        dict.pair(Name(b"F1"), regular);
        dict.pair(Name(b"F2"), bold);
        drop(dict);
        drop(fonts);
        drop(page);
        pdf.stream(content_id, &content.finish());
    }
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.finish()
}

/// The pack of review `id`, for the signed-in user; the answer on any other path.
async fn load(state: &ServerState, actor: &domain::Actor, id: &str, path: &str) -> Result<(i64, Pack), Response> {
    let db = &state.app.db;
    // An id that is not a number is as unknown as one that does not exist.
    let Ok(id) = id.parse::<i64>() else {
        return Err(error_response(path, AppError::NotFound));
    };
    match domain::meetings::get_pack(db, actor, id, domain::clock::now()).await {
        Ok(pack) => Ok((id, pack)),
        Err(error) => Err(error_response(path, AppError::from(error))),
    }
}

pub async fn pack_page(
    State(state): State<ServerState>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let (id, pack) = match load(&state, &actor, &id, PACK_PATH).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let branding = &state.branding;
    let images = match branding.logo_origin() {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".into(),
    };
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src {images}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'")),
            ),
        ],
        pack_html(&pack, branding, id),
    )
        .into_response()
}

pub async fn pack_pdf_file(
    State(state): State<ServerState>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let (_, pack) = match load(&state, &actor, &id, PDF_PATH).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let branding = state.branding.clone();
    let bytes = match tokio::task::spawn_blocking(move || pack_pdf(&pack, &branding)).await {
        Ok(bytes) => bytes,
        Err(_) => return error_response(PDF_PATH, AppError::Internal),
    };
    let filename = format!("review-pack-{id}.pdf");
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_cuts_only_overlong_ones() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
    }

    #[test]
    fn text_outside_win_ansi_is_replaced_not_dropped() {
        assert_eq!(encode("Müller → 5 €"), b"M\xfcller -> 5 \x80".to_vec());
        assert_eq!(encode("日"), b"?".to_vec());
    }

    #[test]
    fn a_logo_outside_the_site_is_named_in_the_image_policy_only_when_well_formed() {
        let b = |u: &str| Branding { name: "MSP".into(), logo_url: Some(u.into()) };
        assert_eq!(b("https://cdn.example.com/logo.png").logo_origin().as_deref(), Some("https://cdn.example.com"));
        assert_eq!(b("/static/logo.png").logo_origin(), None);
        assert_eq!(b("https://evil.example; script-src *").logo_origin(), None);
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        let pack = Pack {
            client_name: "<script>alert(1)</script>".into(),
            client_slug: "x".into(),
            title: "Review".into(),
            held_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 20).unwrap(),
            signed: None,
            posture: Some(70),
            coverage: Some(75),
            band: "Moderate".into(),
            band_explanation: None,
            categories: vec![],
            penalties: vec![],
            trend: vec![],
            attendees_msp: vec![],
            attendees_client: vec![],
            agenda: vec![],
            minutes: "a & b".into(),
            changes: vec![],
            access_changes: vec![],
            decisions: vec![],
            actions: vec![],
        };
        let branding = Branding { name: "\"MSP\"".into(), logo_url: Some("https://x.example/l.png?a=1&b=2".into()) };
        let html = pack_html(&pack, &branding, 1);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("src=\"https://x.example/l.png?a=1&amp;b=2\""));
        assert!(html.contains("a &amp; b"));
        let pdf = pack_pdf(&pack, &branding);
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
