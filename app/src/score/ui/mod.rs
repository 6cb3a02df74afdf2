//! Score pages and parts: a client's risk score with its reasons and charts, the page that
//! explains the formula, its settings, the full ranking, and the score sections of the
//! portfolio.

mod client;
mod formula;
mod portfolio;
mod ranking;
mod settings;

pub use client::ClientScore;
pub use formula::ScorePage;
pub use portfolio::PortfolioScore;
pub use ranking::RankingPage;
pub use settings::ScoreSettingsPage;

use crate::error::AppError;
use crate::score::api::get_client_score;
use crate::score::types::{ChartView, ScoreView};
use leptos::prelude::*;

/// Said above a ranking while every client's score is recomputed after a change of the
/// settings, the service levels or the catalog (the scores shown are from before it).
#[component]
pub(super) fn UpdatingNote(updating: bool) -> impl IntoView {
    updating.then(|| {
        view! {
            <p class="alert alert-info" role="status">
                "Scores are being recomputed after a change of the score settings, service levels or catalog: "
                "those shown are from before it. Reload in a minute."
            </p>
        }
    })
}

/// A band as text with an icon (from the style) and colour, never colour alone.
#[component]
pub fn BandBadge(band: String, label: String) -> impl IntoView {
    let known = ["low", "moderate", "high", "critical", "not_rated"];
    let class =
        format!("badge badge-band-{}", if known.contains(&band.as_str()) { band.as_str() } else { "not_rated" });
    view! { <span class=class>{label}</span> }
}

/// A chart: its title, the image (drawn on the server) with its description as the text
/// alternative, and its numbers as a table on demand.
#[component]
pub fn ChartFigure(chart: ChartView) -> impl IntoView {
    let has_rows = !chart.rows.is_empty();
    view! {
        <figure class="chart" id=format!("chart-{}", chart.kind)>
            <figcaption class="chart-title">{chart.title.clone()}</figcaption>
            <img src=chart.src.clone() alt=chart.description.clone() loading="lazy" decoding="async"/>
            <details class="chart-numbers">
                <summary>"Show the numbers"</summary>
                {if has_rows {
                    view! { <div class="table-wrap" inner_html=numbers_table(&chart)></div> }.into_any()
                } else {
                    view! { <p class="muted">{chart.description.clone()}</p> }.into_any()
                }}
            </details>
        </figure>
    }
}

/// A chart's numbers as a table, written as HTML text: a trend has a row a day, and rendered
/// as views, cell by cell, the tables cost a client's page more than its other sections.
fn numbers_table(chart: &ChartView) -> String {
    use crate::html::escape_into;
    let mut html = String::with_capacity(64 * (chart.rows.len() + 2));
    html.push_str(r#"<table class="data"><caption>"#);
    escape_into(&mut html, &chart.caption);
    html.push_str("</caption><thead><tr>");
    for header in &chart.headers {
        html.push_str(r#"<th scope="col">"#);
        escape_into(&mut html, header);
        html.push_str("</th>");
    }
    html.push_str("</tr></thead><tbody>");
    for row in &chart.rows {
        html.push_str("<tr>");
        // The first cell names the row; the rest are numbers.
        for (k, cell) in row.iter().enumerate() {
            html.push_str(if k == 0 { r#"<th scope="row">"# } else { r#"<td class="num">"# });
            escape_into(&mut html, cell);
            html.push_str(if k == 0 { "</th>" } else { "</td>" });
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// The data behind a client's "Risk score" section, created by the client's page.
#[derive(Clone, Copy)]
pub struct ScoreData {
    score: Resource<Result<ScoreView, AppError>>,
}

impl ScoreData {
    pub fn new(slug: Memo<String>) -> Self {
        Self { score: Resource::new(move || slug.get(), get_client_score) }
    }
}

#[cfg(test)]
mod tests {
    use super::{numbers_table, ChartView};

    #[test]
    fn a_charts_numbers_are_a_table_with_a_named_row_each_and_every_text_escaped() {
        let chart = ChartView {
            kind: "trend".into(),
            src: String::new(),
            title: String::new(),
            description: String::new(),
            caption: "Posture <by day>".into(),
            headers: vec!["Day".into(), "Posture".into()],
            rows: vec![vec!["2026-11-26".into(), "71".into()], vec!["<b>\"x\"</b>".into(), "5 & 6".into()]],
        };
        assert_eq!(
            numbers_table(&chart),
            concat!(
                r#"<table class="data"><caption>Posture &lt;by day&gt;</caption>"#,
                r#"<thead><tr><th scope="col">Day</th><th scope="col">Posture</th></tr></thead><tbody>"#,
                r#"<tr><th scope="row">2026-11-26</th><td class="num">71</td></tr>"#,
                r#"<tr><th scope="row">&lt;b&gt;&quot;x&quot;&lt;/b&gt;</th><td class="num">5 &amp; 6</td></tr>"#,
                "</tbody></table>"
            )
        );
    }
}
