//! The charts that explain the score, drawn on the server as SVG with plotters.
//!
//! Every chart is built in two steps: a [`Chart`] holds its title, a text description (the
//! image's alternative text), its numbers as a table and what to draw; [`Chart::svg`] draws it.
//! Pages take the title, description and table without drawing; the chart routes draw.
//!
//! - No font file is needed: plotters is built without its font features, so it estimates text
//!   widths for layout and writes text as SVG `<text>`, which the browser sets in the page's
//!   own sans-serif font. Nothing reads the system's fonts.
//! - Colours are the Okabe–Ito palette of the style sheet (`--oi-*`), which colour-blind readers
//!   can tell apart; no chart relies on colour alone: values are written on the marks, lines
//!   differ in dash as well, and every chart has its table.
//! - Text is escaped (plotters escapes what it writes; the title and description added here are
//!   escaped too), and characters XML does not allow are dropped, so a client named
//!   `<script>` draws as text.

use super::model::{self, Band, Score, ScoreSettings};
use super::sources::{Meeting, QuarterReviews};
use crate::controls::Category;
use crate::error::{DomainError, Result};
use chrono::{Duration, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const INK: RGBColor = RGBColor(0x1F, 0x29, 0x37);
const MUTED: RGBColor = RGBColor(0x5B, 0x64, 0x70);
const TRACK: RGBColor = RGBColor(0xEE, 0xF0, 0xF3);
const RULE: RGBColor = RGBColor(0xC9, 0xCE, 0xD6);

const WIDTH: u32 = 720;

/// The colour of a band: blue (good) to vermillion (bad), a colour-blind-safe diverging pair.
pub fn band_colour(band: Band) -> RGBColor {
    match band {
        Band::Low => BLUE,
        Band::Moderate => SKY,
        Band::High => ORANGE,
        Band::Critical => VERMILLION,
        Band::NotRated => RULE,
    }
}

/// Text that reads well on a band's colour (dark, except on the dark blue).
fn ink_on(band: Band) -> RGBColor {
    if band == Band::Low {
        RGBColor(0xFF, 0xFF, 0xFF)
    } else {
        INK
    }
}

/// The band a coverage would have under the settings (for colouring coverage values).
fn band_of(value: Option<i64>, settings: &ScoreSettings) -> Band {
    value.map(|v| Band::of_posture(v, settings)).unwrap_or(Band::NotRated)
}

/// A chart's numbers, for the "Show the numbers" table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Trend,
    Categories,
    Contributors,
    Heatmap,
    Access,
    Reviews,
}

impl ChartKind {
    /// The client charts, in the order the client page shows them.
    pub const CLIENT: [ChartKind; 5] =
        [ChartKind::Trend, ChartKind::Categories, ChartKind::Contributors, ChartKind::Access, ChartKind::Reviews];

    /// Its name in addresses (`/charts/clients/{slug}/trend.svg`).
    pub fn slug(self) -> &'static str {
        match self {
            ChartKind::Trend => "trend",
            ChartKind::Categories => "categories",
            ChartKind::Contributors => "contributors",
            ChartKind::Heatmap => "heatmap",
            ChartKind::Access => "access",
            ChartKind::Reviews => "reviews",
        }
    }

    pub fn parse(s: &str) -> Option<ChartKind> {
        [
            ChartKind::Trend,
            ChartKind::Categories,
            ChartKind::Contributors,
            ChartKind::Heatmap,
            ChartKind::Access,
            ChartKind::Reviews,
        ]
        .into_iter()
        .find(|k| k.slug() == s)
    }
}

/// One day of a client's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub posture: Option<i64>,
    pub band: Band,
}

/// One day of a client's access hygiene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPoint {
    pub day: NaiveDate,
    pub active: i64,
    pub expired: i64,
    pub leavers: i64,
    pub findings: i64,
}

/// One row of the portfolio heatmap: a client, or a group of clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatRow {
    pub label: String,
    /// How many clients the row stands for (1 for a client of its own).
    pub clients: usize,
    pub band: Band,
    /// Coverage per category, in the order of the chart's categories.
    pub cells: Vec<Option<i64>>,
}

/// A client as the heatmap sees it, in priority order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatClient {
    pub name: String,
    pub band: Band,
    pub cells: Vec<Option<i64>>,
}

/// How many clients the heatmap shows one per row; the rest are grouped by band.
pub const HEATMAP_CLIENTS: usize = 30;

/// The heatmap's rows: the first `shown` clients (the highest priority) one per row, then the
/// others grouped by band, each group with the mean coverage of its clients per category
/// (clients with nothing applicable in a category do not count there). So the chart stays the
/// same size for 40 clients or 2,000.
pub fn heatmap_rows(clients: &[HeatClient], shown: usize) -> Vec<HeatRow> {
    let mut rows: Vec<HeatRow> = clients
        .iter()
        .take(shown)
        .map(|c| HeatRow { label: c.name.clone(), clients: 1, band: c.band, cells: c.cells.clone() })
        .collect();
    let rest = &clients[shown.min(clients.len())..];
    for band in [Band::Critical, Band::High, Band::Moderate, Band::Low, Band::NotRated] {
        let group: Vec<&HeatClient> = rest.iter().filter(|c| c.band == band).collect();
        if group.is_empty() {
            continue;
        }
        let columns = group.iter().map(|c| c.cells.len()).max().unwrap_or(0);
        let cells = (0..columns)
            .map(|k| {
                let values: Vec<i64> = group.iter().filter_map(|c| c.cells.get(k).copied().flatten()).collect();
                let n = values.len() as i64;
                (n > 0).then(|| (2 * values.iter().sum::<i64>() + n) / (2 * n))
            })
            .collect();
        let what =
            if band == Band::NotRated { "not rated".to_string() } else { format!("in the {} band", band.label()) };
        rows.push(HeatRow { label: format!("{} more {what}", group.len()), clients: group.len(), band, cells });
    }
    rows
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Plot {
    /// Nothing to draw: the message says why.
    Empty(String),
    Trend {
        first: NaiveDate,
        days: i32,
        /// Day offset and score; `None` where the client could not be rated.
        points: Vec<(i32, Option<i64>)>,
        meetings: Vec<(i32, String)>,
        thresholds: [i64; 3],
    },
    Bars {
        rows: Vec<(String, Option<i64>, Band)>,
    },
    Waterfall {
        /// Label, from and to (tenths of a point), and what kind of step.
        steps: Vec<(String, i64, i64, StepKind)>,
    },
    Heatmap {
        columns: Vec<String>,
        rows: Vec<HeatRow>,
        settings: ScoreSettings,
    },
    Lines {
        first: NaiveDate,
        days: i32,
        series: Vec<LineSpec>,
    },
    Quarters {
        rows: Vec<QuarterReviews>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepKind {
    Total,
    Gap,
    Adjustment,
    Penalty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LineSpec {
    label: String,
    colour: RGBColor,
    /// Dash and gap lengths; `None` for a solid line.
    dash: Option<(i32, i32)>,
    /// Series drawn first are wider, so that a later one running along it leaves it visible.
    width: u32,
    points: Vec<(i32, i64)>,
}

/// A chart: what it is called, what it shows in words, its numbers, and what to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    /// The text alternative: what the chart shows, in a few sentences.
    pub description: String,
    pub table: Table,
    plot: Plot,
}

impl Chart {
    /// Whether there is nothing to draw (the image says why).
    pub fn is_empty(&self) -> bool {
        matches!(self.plot, Plot::Empty(_))
    }

    /// The chart as an SVG document, with its title and description inside.
    pub fn svg(&self) -> Result<String> {
        let height = self.height();
        let mut body = String::with_capacity(16 * 1024);
        {
            let root = SVGBackend::with_string(&mut body, (WIDTH, height)).into_drawing_area();
            self.draw(&root).map_err(DomainError::internal)?;
            root.present().map_err(DomainError::internal)?;
        }
        Ok(with_title(&body, &self.title, &self.description))
    }

    fn height(&self) -> u32 {
        match &self.plot {
            Plot::Empty(_) => 120,
            Plot::Trend { .. } | Plot::Lines { .. } => 300,
            Plot::Bars { rows } => 40 + 30 * rows.len() as u32,
            Plot::Waterfall { steps } => 44 + 24 * steps.len() as u32,
            Plot::Heatmap { rows, .. } => 92 + 22 * rows.len() as u32,
            Plot::Quarters { .. } => 260,
        }
    }

    fn draw(&self, root: &Area) -> Drawn {
        root.fill(&WHITE)?;
        match &self.plot {
            Plot::Empty(message) => draw_empty(root, message),
            Plot::Trend { first, days, points, meetings, thresholds } => {
                draw_trend(root, *first, *days, points, meetings, thresholds)
            }
            Plot::Bars { rows } => draw_bars(root, rows),
            Plot::Waterfall { steps } => draw_waterfall(root, steps),
            Plot::Heatmap { columns, rows, settings } => draw_heatmap(root, columns, rows, settings),
            Plot::Lines { first, days, series } => draw_lines(root, *first, *days, series),
            Plot::Quarters { rows } => draw_quarters(root, rows),
        }
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Text as XML allows it: control characters (other than none at all: labels are one line)
/// and the two non-characters dropped.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() && *c != '\u{FFFE}' && *c != '\u{FFFF}').collect()
}

/// At most `max` characters, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    let text = clean(text);
    if text.chars().count() <= max {
        text
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn escape(text: &str) -> String {
    clean(text).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Puts `<title>` and `<desc>` first inside the root element, as SVG accessibility expects.
fn with_title(svg: &str, title: &str, description: &str) -> String {
    let head = format!("<title>{}</title>\n<desc>{}</desc>\n", escape(title), escape(description));
    match svg.find("<svg").and_then(|start| svg[start..].find('>').map(|end| start + end + 1)) {
        Some(at) => {
            let mut out = String::with_capacity(svg.len() + head.len() + 1);
            out.push_str(&svg[..at]);
            out.push('\n');
            out.push_str(&head);
            out.push_str(svg[at..].trim_start_matches('\n'));
            out
        }
        None => svg.to_string(),
    }
}

/// A font size as it should appear: plotters writes sizes divided by 1.24.
fn px(size: f64) -> f64 {
    size * 1.24
}

fn style(size: f64, colour: &'static RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    ("sans-serif", px(size)).into_font().color(colour).pos(Pos::new(h, v))
}

fn text(area: &Area, s: &str, at: (i32, i32), size: f64, colour: &'static RGBColor, h: HPos) -> Drawn {
    area.draw(&Text::new(clean(s), at, style(size, colour, h, VPos::Center)))
}

fn rect(area: &Area, from: (i32, i32), to: (i32, i32), colour: RGBColor) -> Drawn {
    area.draw(&Rectangle::new([from, to], colour.filled()))
}

fn draw_empty(root: &Area, message: &str) -> Drawn {
    let (w, h) = root.dim_in_pixel();
    root.draw(&Rectangle::new([(8, 8), (w as i32 - 8, h as i32 - 8)], ShapeStyle::from(&RULE).stroke_width(1)))?;
    text(root, message, (w as i32 / 2, h as i32 / 2), 14.0, &MUTED, HPos::Center)
}

fn day_label(first: NaiveDate, offset: i32) -> String {
    (first + Duration::days(i64::from(offset))).format("%b %Y").to_string()
}

fn draw_trend(
    root: &Area,
    first: NaiveDate,
    days: i32,
    points: &[(i32, Option<i64>)],
    meetings: &[(i32, String)],
    thresholds: &[i64; 3],
) -> Drawn {
    let x_max = days.max(1);
    let mut chart = ChartBuilder::on(root)
        .margin_top(12)
        .margin_left(8)
        .margin_right(84)
        .margin_bottom(6)
        .x_label_area_size(28)
        .y_label_area_size(40)
        .build_cartesian_2d(0..x_max, 0i32..100i32)?;
    // The band thresholds, shaded, each named at the right.
    let [low, moderate, high] = thresholds.map(|t| t.clamp(0, 100) as i32);
    let bands = [
        (Band::Critical, 0, high),
        (Band::High, high, moderate),
        (Band::Moderate, moderate, low),
        (Band::Low, low, 100),
    ];
    for (band, from, to) in bands {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0, from), (x_max, to)],
            band_colour(band).mix(0.16).filled(),
        )))?;
        let (x, y) = chart.backend_coord(&(x_max, (from + to) / 2));
        let label = format!(
            "{} {}",
            band.label(),
            if band == Band::Critical { format!("<{high}") } else { format!("≥{from}") }
        );
        text(root, &label, (x + 8, y), 11.0, &INK, HPos::Left)?;
    }
    let formatter = |x: &i32| day_label(first, *x);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&formatter)
        .label_style(("sans-serif", px(11.0)).into_font().color(&MUTED))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RULE.mix(0.6))
        .axis_style(RULE)
        .draw()?;
    // Meetings: a dashed line and a marker at the top.
    for (x, _) in meetings {
        chart.draw_series(DashedLineSeries::new(vec![(*x, 0), (*x, 100)], 4, 4, PURPLE.stroke_width(2)))?;
        chart.draw_series(std::iter::once(TriangleMarker::new((*x, 100), 6, PURPLE.filled())))?;
    }
    // The score, one run per stretch of rated days.
    let mut run: Vec<(i32, i32)> = Vec::new();
    let mut runs: Vec<Vec<(i32, i32)>> = Vec::new();
    for (x, posture) in points {
        match posture {
            Some(p) if run.last().is_none_or(|(last, _)| *last + 1 == *x) => run.push((*x, *p as i32)),
            Some(p) => {
                runs.push(std::mem::take(&mut run));
                run.push((*x, *p as i32));
            }
            None => runs.push(std::mem::take(&mut run)),
        }
    }
    runs.push(run);
    for run in runs.into_iter().filter(|r| !r.is_empty()) {
        if run.len() == 1 {
            chart.draw_series(std::iter::once(Circle::new(run[0], 3, INK.filled())))?;
        } else {
            chart.draw_series(LineSeries::new(run, INK.stroke_width(2)))?;
        }
    }
    if let Some((x, Some(p))) = points.last() {
        chart.draw_series(std::iter::once(Circle::new((*x, *p as i32), 4, INK.filled())))?;
        let (bx, by) = chart.backend_coord(&(*x, *p as i32));
        text(root, &p.to_string(), (bx - 6, by - 12), 12.0, &INK, HPos::Right)?;
    }
    Ok(())
}

fn draw_lines(root: &Area, first: NaiveDate, days: i32, series: &[LineSpec]) -> Drawn {
    let x_max = days.max(1);
    let top = series.iter().flat_map(|s| s.points.iter().map(|(_, v)| *v)).max().unwrap_or(0).max(4) as i32;
    let y_max = top + top / 5 + 1;
    let (legend, body) = root.split_vertically(30);
    let mut x = 48;
    for s in series {
        let y = 15;
        let swatch = vec![(x, y), (x + 22, y)];
        match s.dash {
            Some((dash, gap)) => {
                legend.draw(&plotters::element::DashedPathElement::new(swatch, dash, gap, s.colour.stroke_width(3)))?
            }
            None => legend.draw(&PathElement::new(swatch, s.colour.stroke_width(s.width.max(3))))?,
        }
        text(&legend, &s.label, (x + 28, y), 11.0, &INK, HPos::Left)?;
        x += 34 + (s.label.chars().count() as i32 * 6) + 16;
    }
    let mut chart = ChartBuilder::on(&body)
        .margin_top(6)
        .margin_left(8)
        .margin_right(24)
        .margin_bottom(6)
        .x_label_area_size(28)
        .y_label_area_size(40)
        .build_cartesian_2d(0..x_max, 0..y_max)?;
    let formatter = |x: &i32| day_label(first, *x);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&formatter)
        .label_style(("sans-serif", px(11.0)).into_font().color(&MUTED))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RULE.mix(0.6))
        .axis_style(RULE)
        .draw()?;
    for s in series {
        let points: Vec<(i32, i32)> = s.points.iter().map(|(x, v)| (*x, *v as i32)).collect();
        match (points.len(), s.dash) {
            (1, _) => chart.draw_series(std::iter::once(Circle::new(points[0], 3, s.colour.filled())))?,
            (_, Some((dash, gap))) => {
                chart.draw_series(DashedLineSeries::new(points, dash, gap, s.colour.stroke_width(s.width)))?
            }
            (_, None) => chart.draw_series(LineSeries::new(points, s.colour.stroke_width(s.width)))?,
        };
    }
    Ok(())
}

const LABEL_WIDTH: i32 = 250;

fn draw_bars(root: &Area, rows: &[(String, Option<i64>, Band)]) -> Drawn {
    let (w, _) = root.dim_in_pixel();
    let left = LABEL_WIDTH;
    let right = w as i32 - 60;
    let scale = |v: i64| left + ((right - left) as i64 * v / 100) as i32;
    let bottom = 16 + 30 * rows.len() as i32;
    for v in [0, 50, 100] {
        let x = scale(v);
        root.draw(&PathElement::new(vec![(x, 10), (x, bottom - 4)], RULE.stroke_width(1)))?;
        text(root, &format!("{v}"), (x, bottom + 8), 10.0, &MUTED, HPos::Center)?;
    }
    for (k, (label, value, band)) in rows.iter().enumerate() {
        let y = 16 + 30 * k as i32;
        text(root, &short(label, 38), (left - 10, y + 11), 12.0, &INK, HPos::Right)?;
        rect(root, (left, y), (right, y + 22), TRACK)?;
        match value {
            Some(v) => {
                if *v > 0 {
                    rect(root, (left, y), (scale(*v), y + 22), band_colour(*band))?;
                }
                text(root, &format!("{v}%"), (scale(*v) + 6, y + 11), 12.0, &INK, HPos::Left)?;
            }
            None => text(root, "no applicable control", (left + 8, y + 11), 11.0, &MUTED, HPos::Left)?,
        }
    }
    Ok(())
}

fn draw_waterfall(root: &Area, steps: &[(String, i64, i64, StepKind)]) -> Drawn {
    let (w, _) = root.dim_in_pixel();
    let left = LABEL_WIDTH;
    let right = w as i32 - 70;
    let scale = |tenths: i64| left + ((right - left) as i64 * tenths.clamp(0, 1000) / 1000) as i32;
    for (k, (label, from, to, kind)) in steps.iter().enumerate() {
        let y = 14 + 24 * k as i32;
        text(root, &short(label, 38), (left - 10, y + 9), 12.0, &INK, HPos::Right)?;
        let (a, b) = (scale(*from.min(to)), scale(*from.max(to)));
        let colour = match kind {
            StepKind::Total => BLUE,
            StepKind::Gap => VERMILLION,
            StepKind::Adjustment => RULE,
            StepKind::Penalty => PURPLE,
        };
        rect(root, (a, y), (b.max(a + 1), y + 18), colour)?;
        let value = match kind {
            StepKind::Total => model::tenths(*to),
            _ => {
                let delta = to - from;
                format!("{}{}", if delta < 0 { "−" } else { "+" }, model::tenths(delta.abs()))
            }
        };
        text(root, &value, (b + 6, y + 9), 12.0, &INK, HPos::Left)?;
        // A thin connector to the next bar, where it starts.
        if k + 1 < steps.len() {
            let x = scale(*to);
            root.draw(&PathElement::new(vec![(x, y + 18), (x, y + 24)], MUTED.stroke_width(1)))?;
        }
    }
    let bottom = 14 + 24 * steps.len() as i32;
    for v in [0, 50, 100] {
        let x = scale(v * 10);
        text(root, &format!("{v}"), (x, bottom + 10), 10.0, &MUTED, HPos::Center)?;
    }
    Ok(())
}

const CELL: i32 = 50;

fn draw_heatmap(root: &Area, columns: &[String], rows: &[HeatRow], settings: &ScoreSettings) -> Drawn {
    let left = 210;
    let top = 30;
    for (k, column) in columns.iter().enumerate() {
        let x = left + CELL * k as i32 + CELL / 2;
        text(root, &short(column, 6), (x, top - 14), 11.0, &INK, HPos::Center)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let y = top + 22 * r as i32;
        let label = if row.clients > 1 { short(&row.label, 34) } else { short(&row.label, 32) };
        text(root, &label, (left - 8, y + 10), 11.0, if row.clients > 1 { &MUTED } else { &INK }, HPos::Right)?;
        for (k, cell) in row.cells.iter().enumerate() {
            let x = left + CELL * k as i32;
            let band = band_of(*cell, settings);
            let fill = if cell.is_some() { band_colour(band) } else { TRACK };
            rect(root, (x + 1, y + 1), (x + CELL - 1, y + 21), fill)?;
            let ink = if cell.is_some() { ink_on(band) } else { MUTED };
            let value = cell.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
            root.draw(&Text::new(
                value,
                (x + CELL / 2, y + 11),
                ("sans-serif", px(11.0)).into_font().color(&ink).pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
        // The row's band, in words beside the cells.
        let x = left + CELL * row.cells.len() as i32 + 8;
        text(root, row.band.label(), (x, y + 11), 11.0, &MUTED, HPos::Left)?;
    }
    // The legend: what each colour means, in words.
    let y = top + 22 * rows.len() as i32 + 20;
    let mut x = left;
    let legend = [
        (Band::Low, format!("≥{}", settings.band_low_min)),
        (Band::Moderate, format!("{}–{}", settings.band_moderate_min, settings.band_low_min - 1)),
        (Band::High, format!("{}–{}", settings.band_high_min, settings.band_moderate_min - 1)),
        (Band::Critical, format!("<{}", settings.band_high_min)),
    ];
    for (band, range) in legend {
        rect(root, (x, y - 7), (x + 14, y + 7), band_colour(band))?;
        let label = format!("{range} {}", band.label());
        text(root, &label, (x + 20, y), 11.0, &INK, HPos::Left)?;
        x += 30 + label.chars().count() as i32 * 7;
    }
    Ok(())
}

fn draw_quarters(root: &Area, rows: &[QuarterReviews]) -> Drawn {
    let (w, h) = root.dim_in_pixel();
    let (left, right, top, bottom) = (60, w as i32 - 20, 36, h as i32 - 40);
    let max = rows.iter().map(|q| q.on_time + q.late).max().unwrap_or(1).max(1);
    let scale = |v: i64| bottom - ((bottom - top) as i64 * v / max) as i32;
    let slot = (right - left) / rows.len().max(1) as i32;
    text(root, "On time", (left + 18, 14), 11.0, &INK, HPos::Left)?;
    rect(root, (left, 8), (left + 12, 20), BLUE)?;
    text(root, "Late", (left + 98, 14), 11.0, &INK, HPos::Left)?;
    rect(root, (left + 80, 8), (left + 92, 20), VERMILLION)?;
    for (k, q) in rows.iter().enumerate() {
        let x = left + slot * k as i32 + slot / 4;
        let x2 = x + slot / 2;
        rect(root, (x, scale(q.on_time)), (x2, bottom), BLUE)?;
        rect(root, (x, scale(q.on_time + q.late)), (x2, scale(q.on_time)), VERMILLION)?;
        text(
            root,
            &format!("{} / {}", q.on_time, q.late),
            ((x + x2) / 2, scale(q.on_time + q.late) - 8),
            11.0,
            &INK,
            HPos::Center,
        )?;
        text(root, &q.quarter, ((x + x2) / 2, bottom + 14), 11.0, &MUTED, HPos::Center)?;
    }
    root.draw(&PathElement::new(vec![(left, bottom), (right, bottom)], RULE.stroke_width(1)))
}

/// Rows of a daily series for its table: one per week, counted back from the latest day.
fn weekly<T: Clone>(points: &[T]) -> Vec<T> {
    let mut out: Vec<T> = points.iter().rev().step_by(7).cloned().collect();
    out.reverse();
    out
}

fn days_between(first: NaiveDate, day: NaiveDate) -> i32 {
    (day - first).num_days() as i32
}

/// The score over time: one point a day, the band thresholds shaded, meetings marked.
pub fn trend_chart(client: &str, points: &[TrendPoint], meetings: &[Meeting], settings: &ScoreSettings) -> Chart {
    let title = "Risk score over time".to_string();
    let bands = format!(
        "Bands: Low from {}, Moderate from {}, High from {}, Critical below.",
        settings.band_low_min, settings.band_moderate_min, settings.band_high_min
    );
    let meetings_text = if meetings.is_empty() {
        "No meetings recorded yet.".to_string()
    } else {
        let days: Vec<String> = meetings.iter().map(|m| m.day.to_string()).collect();
        format!("Meetings on {}.", days.join(", "))
    };
    let table = Table {
        caption: format!("Risk score of {client}, one row per week"),
        headers: vec!["Day".into(), "Score".into(), "Band".into()],
        rows: weekly(points)
            .into_iter()
            .map(|p| {
                vec![
                    p.day.to_string(),
                    p.posture.map(|v| v.to_string()).unwrap_or_else(|| "–".into()),
                    p.band.label().into(),
                ]
            })
            .collect(),
    };
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Chart {
            kind: ChartKind::Trend,
            title,
            description: format!("No score history for {client} yet. {bands}"),
            table,
            plot: Plot::Empty("No score history yet".into()),
        };
    };
    let rated: Vec<(NaiveDate, i64)> = points.iter().filter_map(|p| p.posture.map(|v| (p.day, v))).collect();
    let summary = match (rated.first(), rated.last()) {
        (Some((d0, v0)), Some((d1, v1))) => {
            let (lo_day, lo) = rated.iter().min_by_key(|(d, v)| (*v, *d)).copied().unwrap_or((*d0, *v0));
            let (hi_day, hi) =
                rated.iter().max_by_key(|(d, v)| (*v, std::cmp::Reverse(*d))).copied().unwrap_or((*d1, *v1));
            format!(
                "Risk score of {client} from {d0} to {d1}: {v0} at the start, {v1} ({}) at the end; lowest {lo} on {lo_day}, highest {hi} on {hi_day}.",
                last.band.label()
            )
        }
        _ => format!("{client} could not be rated on any day from {} to {}.", first.day, last.day),
    };
    Chart {
        kind: ChartKind::Trend,
        title,
        description: format!("{summary} {bands} {meetings_text}"),
        table,
        plot: Plot::Trend {
            first: first.day,
            days: days_between(first.day, last.day),
            points: points.iter().map(|p| (days_between(first.day, p.day), p.posture)).collect(),
            meetings: meetings
                .iter()
                .filter(|m| m.day >= first.day && m.day <= last.day)
                .map(|m| (days_between(first.day, m.day), m.title.clone()))
                .collect(),
            thresholds: [settings.band_low_min, settings.band_moderate_min, settings.band_high_min],
        },
    }
}

/// Coverage per category, by the score's formula within each.
pub fn category_chart(client: &str, categories: &[Category], score: &Score, settings: &ScoreSettings) -> Chart {
    let rows: Vec<(String, Option<i64>, Band)> = categories
        .iter()
        .map(|c| {
            let coverage = score.category(&c.id).and_then(|s| s.coverage);
            (c.name.clone(), coverage, band_of(coverage, settings))
        })
        .collect();
    let words: Vec<String> = rows
        .iter()
        .map(|(name, v, _)| match v {
            Some(v) => format!("{name} {v}%"),
            None => format!("{name} no applicable control"),
        })
        .collect();
    let table = Table {
        caption: format!("Coverage of {client} by category"),
        headers: vec!["Category".into(), "Coverage".into(), "Applicable controls".into()],
        rows: categories
            .iter()
            .zip(&rows)
            .map(|(c, (name, v, _))| {
                let applicable = score.category(&c.id).map(|s| s.applicable).unwrap_or(0);
                vec![name.clone(), v.map(|v| format!("{v}%")).unwrap_or_else(|| "–".into()), applicable.to_string()]
            })
            .collect(),
    };
    Chart {
        kind: ChartKind::Categories,
        title: "Coverage by category".into(),
        description: format!(
            "Coverage of {client} by category, weighted by severity as the score is: {}. Bar colours follow the band thresholds.",
            words.join("; ")
        ),
        table,
        plot: if categories.is_empty() { Plot::Empty("No categories".into()) } else { Plot::Bars { rows } },
    }
}

/// How many gaps the waterfall names one by one; the rest are one bar.
pub const WATERFALL_GAPS: usize = 8;

/// From 100 down to the score: each large gap, the others together, the rounding, the penalties.
pub fn contributors_chart(client: &str, score: &Score) -> Chart {
    let steps = model::waterfall(score, WATERFALL_GAPS);
    let title = match score.posture {
        Some(p) => format!("Why {p}? From 100 down to the score"),
        None => "Why no score?".into(),
    };
    let (Some(coverage), Some(posture)) = (score.coverage, score.posture) else {
        return Chart {
            kind: ChartKind::Contributors,
            title,
            description: format!("{client} has no applicable control, so it has no score to explain."),
            table: Table { caption: format!("Contributors to the score of {client}"), headers: vec![], rows: vec![] },
            plot: Plot::Empty("No applicable control: nothing to explain".into()),
        };
    };
    let mut bars = vec![("Full coverage".to_string(), 0, 1000, StepKind::Total)];
    let mut rows = vec![vec!["Full coverage".to_string(), "100".to_string(), "100".to_string()]];
    let mut running = 1000;
    for step in &steps {
        let kind = if step.label.starts_with("Rounding") || step.label.starts_with("Floor") {
            StepKind::Adjustment
        } else if score.penalties.iter().any(|p| p.kind.label() == step.label) {
            StepKind::Penalty
        } else {
            StepKind::Gap
        };
        bars.push((step.label.clone(), running, running + step.delta_tenths, kind));
        running += step.delta_tenths;
        rows.push(vec![step.label.clone(), model::tenths(step.delta_tenths), model::tenths(running)]);
    }
    bars.push(("Score".to_string(), 0, 10 * posture, StepKind::Total));
    rows.push(vec!["Score".into(), String::new(), posture.to_string()]);
    let named: Vec<String> =
        steps.iter().take(4).map(|s| format!("{} {}", s.label, model::tenths(s.delta_tenths))).collect();
    let description = format!(
        "Waterfall from 100 down to the score of {client}: coverage is {coverage} after {} gaps{}; penalties take {} points; the score is {posture}. Largest steps: {}.",
        score.gaps.len(),
        if score.stale > 0 { format!(" ({} controls with stale evidence count as partial)", score.stale) } else { String::new() },
        score.penalty_points,
        if named.is_empty() { "none".to_string() } else { named.join("; ") }
    );
    Chart {
        kind: ChartKind::Contributors,
        title,
        description,
        table: Table {
            caption: format!("Contributors to the score of {client}, in points"),
            headers: vec!["Step".into(), "Points".into(), "Running total".into()],
            rows,
        },
        plot: Plot::Waterfall { steps: bars },
    }
}

/// The portfolio: clients × categories, the lowest-scored individually and the rest by band.
pub fn heatmap_chart(
    rows: Vec<HeatRow>,
    categories: &[Category],
    total_clients: usize,
    settings: &ScoreSettings,
) -> Chart {
    let individual = rows.iter().filter(|r| r.clients == 1).count();
    let groups: Vec<String> = rows.iter().filter(|r| r.clients > 1).map(|r| r.label.clone()).collect();
    let mut headers = vec!["Client".to_string()];
    headers.extend(categories.iter().map(|c| format!("{} ({})", c.name, c.id)));
    headers.push("Band".into());
    let table_rows = rows
        .iter()
        .map(|r| {
            let mut row = vec![r.label.clone()];
            row.extend(r.cells.iter().map(|v| v.map(|v| format!("{v}%")).unwrap_or_else(|| "–".into())));
            row.push(r.band.label().into());
            row
        })
        .collect();
    let description = if rows.is_empty() {
        "No client to show.".to_string()
    } else {
        format!(
            "Coverage per category for {total_clients} clients: the {individual} with the highest priority one per row{}. Cells hold the coverage in percent; colours follow the band thresholds.",
            if groups.is_empty() { String::new() } else { format!(", then the others grouped by band with their average coverage ({})", groups.join(", ")) }
        )
    };
    Chart {
        kind: ChartKind::Heatmap,
        title: "Coverage by client and category".into(),
        description,
        table: Table { caption: "Coverage by client and category".into(), headers, rows: table_rows },
        plot: if rows.is_empty() {
            Plot::Empty("No client to show".into())
        } else {
            Plot::Heatmap {
                columns: categories.iter().map(|c| c.id.clone()).collect(),
                rows,
                settings: settings.clone(),
            }
        },
    }
}

/// Grants by state and grants with findings, day by day.
pub fn access_chart(client: &str, points: &[AccessPoint]) -> Chart {
    let title = "Access hygiene over time".to_string();
    let table = Table {
        caption: format!("Access to {client}, one row per week"),
        headers: vec![
            "Day".into(),
            "Active grants".into(),
            "Past expiry, not revoked".into(),
            "Held by leavers".into(),
            "Grants with findings".into(),
        ],
        rows: weekly(points)
            .into_iter()
            .map(|p| {
                vec![
                    p.day.to_string(),
                    p.active.to_string(),
                    p.expired.to_string(),
                    p.leavers.to_string(),
                    p.findings.to_string(),
                ]
            })
            .collect(),
    };
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Chart {
            kind: ChartKind::Access,
            title,
            description: format!("No access history for {client} yet."),
            table,
            plot: Plot::Empty("No access history yet".into()),
        };
    };
    let series = |label: &str, colour, dash, width, value: fn(&AccessPoint) -> i64| LineSpec {
        label: label.into(),
        colour,
        dash,
        width,
        points: points.iter().map(|p| (days_between(first.day, p.day), value(p))).collect(),
    };
    let peak = points.iter().max_by_key(|p| (p.findings, p.day)).map(|p| (p.findings, p.day)).unwrap_or((0, last.day));
    Chart {
        kind: ChartKind::Access,
        description: format!(
            "Access to {client} from {} to {}: now {} active grants, {} past expiry and not revoked, {} held by leavers, {} with stale-access findings (at most {} on {}).",
            first.day, last.day, last.active, last.expired, last.leavers, last.findings, peak.0, peak.1
        ),
        title,
        table,
        plot: Plot::Lines {
            first: first.day,
            days: days_between(first.day, last.day),
            series: vec![
                series("Active", BLUE, None, 6, |p| p.active),
                series("With findings", GREEN, None, 2, |p| p.findings),
                series("Past expiry", ORANGE, Some((8, 4)), 2, |p| p.expired),
                series("Held by leavers", VERMILLION, Some((2, 3)), 3, |p| p.leavers),
            ],
        },
    }
}

/// Reviews done on time and late, per quarter.
pub fn reviews_chart(client: &str, quarters: &[QuarterReviews]) -> Chart {
    let table = Table {
        caption: format!("Reviews of {client} per quarter"),
        headers: vec!["Quarter".into(), "On time".into(), "Late".into()],
        rows: quarters.iter().map(|q| vec![q.quarter.clone(), q.on_time.to_string(), q.late.to_string()]).collect(),
    };
    if quarters.iter().all(|q| q.on_time + q.late == 0) {
        return Chart {
            kind: ChartKind::Reviews,
            title: "Review timeliness".into(),
            description: format!("No reviews due yet for {client}: start its review series on the client's page."),
            table,
            plot: Plot::Empty("No reviews due yet".into()),
        };
    }
    let words: Vec<String> =
        quarters.iter().map(|q| format!("{} {} on time, {} late", q.quarter, q.on_time, q.late)).collect();
    Chart {
        kind: ChartKind::Reviews,
        title: "Review timeliness".into(),
        description: format!("Reviews of {client} per quarter: {}.", words.join("; ")),
        table,
        plot: Plot::Quarters { rows: quarters.to_vec() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::ControlStatus as S;
    use crate::scoring::model::{score, Governance, LeaverAccess, ScoreItem};
    use chrono::{TimeZone, Utc};

    const HOSTILE: &str = "<script>alert(1)</script> & \"Sons\" \u{7}";

    fn categories() -> Vec<Category> {
        ["RA", "IA", "PC", "BR"]
            .iter()
            .map(|id| Category { id: id.to_string(), name: format!("{id} & <things>"), description: String::new() })
            .collect()
    }

    fn sample_score() -> Score {
        let items = vec![
            ScoreItem {
                control_id: "RA-01".into(),
                title: "MFA <everywhere>".into(),
                category_id: "RA".into(),
                severity: 5,
                status: S::NotImplemented,
                stale: false,
            },
            ScoreItem {
                control_id: "IA-01".into(),
                title: "Accounts".into(),
                category_id: "IA".into(),
                severity: 4,
                status: S::Partial,
                stale: true,
            },
            ScoreItem {
                control_id: "PC-01".into(),
                title: "Inventory".into(),
                category_id: "PC".into(),
                severity: 3,
                status: S::Implemented,
                stale: false,
            },
        ];
        let ids: Vec<String> = categories().into_iter().map(|c| c.id).collect();
        let governance = Governance {
            leavers: vec![LeaverAccess { technician_id: 1, name: HOSTILE.into(), t0: None, past_sla: true }],
            ..Default::default()
        };
        score(
            &items,
            &ids,
            &governance,
            &ScoreSettings::default(),
            Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap(),
        )
    }

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, 26).unwrap() + Duration::days(n)
    }

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"))
    }

    fn count(doc: &roxmltree::Document, tag: &str) -> usize {
        doc.descendants().filter(|n| n.has_tag_name(tag)).count()
    }

    fn texts(doc: &roxmltree::Document) -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_string())
            .collect()
    }

    /// What every chart must be: XML, titled and described inside, and free of hostile markup.
    fn check(chart: &Chart) -> String {
        let svg = chart.svg().unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        let doc = parse(&svg);
        let root = doc.root_element();
        assert!(root.has_tag_name("svg"));
        let first: Vec<&str> =
            root.children().filter(|n| n.is_element()).take(2).map(|n| n.tag_name().name()).collect();
        assert_eq!(first, vec!["title", "desc"], "title and description come first");
        let title = root.children().find(|n| n.has_tag_name("title")).and_then(|n| n.text()).unwrap();
        assert_eq!(title, clean(&chart.title));
        assert!(!chart.description.is_empty());
        svg
    }

    fn trend_points(n: i64) -> Vec<TrendPoint> {
        (0..n)
            .map(|k| {
                let posture = if k == 5 { None } else { Some(50 + (k % 40)) };
                let band = posture.map(|p| Band::of_posture(p, &ScoreSettings::default())).unwrap_or(Band::NotRated);
                TrendPoint { day: day(k), posture, band }
            })
            .collect()
    }

    #[test]
    fn the_trend_shades_the_four_bands_draws_the_score_and_marks_meetings() {
        let meetings = vec![Meeting { client_id: 1, day: day(100), title: "Quarterly review".into() }];
        let chart = trend_chart(HOSTILE, &trend_points(365), &meetings, &ScoreSettings::default());
        let svg = check(&chart);
        let doc = parse(&svg);
        let labels = texts(&doc);
        for band in ["Low ≥90", "Moderate ≥75", "High ≥60", "Critical <60"] {
            assert!(labels.iter().any(|t| t == band), "{band} in {labels:?}");
        }
        assert!(count(&doc, "polyline") >= 2, "the score is split where it was not rated, and the meeting line");
        assert!(
            svg.contains("#CC79A7") || svg.contains("#cc79a7") || svg.to_uppercase().contains("CC79A7"),
            "a meeting marker in purple"
        );
        assert!(chart.description.contains("Meetings on 2026-03-06."), "{}", chart.description);
        assert_eq!(chart.table.rows.len(), 53, "one row per week of 365 days");
        assert_eq!(chart.table.rows.last().unwrap()[0], day(364).to_string(), "the latest day is in the table");
        assert!(chart.table.caption.contains(HOSTILE), "the table is escaped by the page, not here");
    }

    #[test]
    fn a_trend_without_meetings_says_so() {
        let chart = trend_chart("Acme", &trend_points(30), &[], &ScoreSettings::default());
        check(&chart);
        assert!(chart.description.ends_with("No meetings recorded yet."), "{}", chart.description);
        let empty = trend_chart("Acme", &[], &[], &ScoreSettings::default());
        assert!(empty.is_empty());
        let svg = check(&empty);
        assert!(texts(&parse(&svg)).contains(&"No score history yet".to_string()));
    }

    #[test]
    fn categories_draw_one_bar_per_category_with_its_value() {
        let score = sample_score();
        let chart = category_chart(HOSTILE, &categories(), &score, &ScoreSettings::default());
        let svg = check(&chart);
        let doc = parse(&svg);
        let labels = texts(&doc);
        assert!(labels.contains(&"RA & <things>".to_string()), "category names escaped and kept: {labels:?}");
        assert!(labels.contains(&"0%".to_string()) && labels.contains(&"100%".to_string()), "{labels:?}");
        assert!(labels.contains(&"no applicable control".to_string()), "BR has nothing applicable");
        assert_eq!(chart.table.rows.len(), 4);
        assert_eq!(chart.table.rows[1], vec!["IA & <things>", "50%", "1"]);
    }

    #[test]
    fn the_waterfall_goes_from_100_to_the_score() {
        let score = sample_score();
        let chart = contributors_chart(HOSTILE, &score);
        let svg = check(&chart);
        let labels = texts(&parse(&svg));
        assert!(labels.iter().any(|t| t == "RA-01 MFA <everywhere>"), "{labels:?}");
        assert!(labels.iter().any(|t| t == "Leavers past the offboarding SLA"), "{labels:?}");
        let first = &chart.table.rows[0];
        let last = chart.table.rows.last().unwrap();
        assert_eq!((first[2].as_str(), last[2].clone()), ("100", score.posture.unwrap().to_string()));
        assert_eq!(chart.title, format!("Why {}? From 100 down to the score", score.posture.unwrap()));
        let not_rated = score_of_nothing();
        assert!(contributors_chart("Acme", &not_rated).is_empty());
    }

    fn score_of_nothing() -> Score {
        score(&[], &[], &Governance::default(), &ScoreSettings::default(), Utc::now())
    }

    #[test]
    fn the_heatmap_stays_small_for_two_thousand_clients() {
        let settings = ScoreSettings::default();
        let clients: Vec<HeatClient> = (0..2000)
            .map(|k| {
                let cells: Vec<Option<i64>> = (0..9)
                    .map(|c| if (k + c) % 11 == 0 { None } else { Some(((k * 7 + c * 13) % 101) as i64) })
                    .collect();
                let band = Band::ALL[k % 5];
                HeatClient { name: if k == 0 { HOSTILE.into() } else { format!("Client {k:04}") }, band, cells }
            })
            .collect();
        let rows = heatmap_rows(&clients, HEATMAP_CLIENTS);
        assert_eq!(rows.len(), HEATMAP_CLIENTS + 5, "30 clients, then one row per band");
        assert_eq!(rows.iter().map(|r| r.clients).sum::<usize>(), 2000, "every client is counted once");
        let categories: Vec<Category> = (0..9)
            .map(|c| Category { id: format!("C{c}"), name: format!("Category {c}"), description: String::new() })
            .collect();
        let chart = heatmap_chart(rows, &categories, 2000, &settings);
        let svg = check(&chart);
        assert!(svg.len() < 200 * 1024, "{} bytes", svg.len());
        let doc = parse(&svg);
        let labels = texts(&doc);
        assert!(labels.iter().any(|t| t.starts_with("<script>alert(1)")), "the hostile name is text: {labels:?}");
        assert!(count(&doc, "rect") >= 35 * 9, "a cell per row and category");
        assert!(labels.iter().any(|t| t.ends_with("more in the Critical band")), "{labels:?}");
    }

    #[test]
    fn grouped_heatmap_rows_average_what_applies() {
        let client = |band, cells: Vec<Option<i64>>| HeatClient { name: "c".into(), band, cells };
        let clients = vec![
            client(Band::Critical, vec![Some(10), None]),
            client(Band::High, vec![Some(70), Some(60)]),
            client(Band::High, vec![Some(75), None]),
        ];
        let rows = heatmap_rows(&clients, 1);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].label.as_str(), rows[1].clients), ("2 more in the High band", 2));
        assert_eq!(
            rows[1].cells,
            vec![Some(73), Some(60)],
            "(70 + 75) / 2 rounds up; a category without values stays out"
        );
    }

    #[test]
    fn access_hygiene_draws_four_series_with_a_legend() {
        let points: Vec<AccessPoint> = (0..200)
            .map(|k| AccessPoint {
                day: day(k),
                active: 10 + k % 3,
                expired: k % 2,
                leavers: i64::from(k > 150),
                findings: k % 5,
            })
            .collect();
        let chart = access_chart(HOSTILE, &points);
        let svg = check(&chart);
        let doc = parse(&svg);
        let labels = texts(&doc);
        for label in ["Active", "Past expiry", "Held by leavers", "With findings"] {
            assert!(labels.contains(&label.to_string()), "{label}");
        }
        assert!(count(&doc, "polyline") >= 4);
        assert_eq!(chart.table.headers.len(), 5);
    }

    #[test]
    fn review_timeliness_without_reviews_is_an_honest_empty_chart() {
        let chart = reviews_chart("Acme", &[]);
        assert!(chart.is_empty());
        let svg = check(&chart);
        assert_eq!(texts(&parse(&svg)), vec!["No reviews due yet"]);
        assert!(chart.table.rows.is_empty());
        let quarters = vec![
            QuarterReviews { quarter: "2026 Q2".into(), on_time: 3, late: 1 },
            QuarterReviews { quarter: "2026 Q3".into(), on_time: 4, late: 0 },
        ];
        let chart = reviews_chart("Acme", &quarters);
        let svg = check(&chart);
        let labels = texts(&parse(&svg));
        assert!(labels.contains(&"3 / 1".to_string()) && labels.contains(&"2026 Q3".to_string()), "{labels:?}");
    }

    #[test]
    fn titles_and_descriptions_are_escaped_inside_the_svg() {
        let mut chart = reviews_chart(HOSTILE, &[]);
        chart.title = HOSTILE.into();
        let svg = chart.svg().unwrap();
        assert!(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Sons&quot; </title>"), "{svg}");
        parse(&svg);
    }

    #[test]
    fn chart_names_round_trip() {
        for kind in ChartKind::CLIENT.into_iter().chain([ChartKind::Heatmap]) {
            assert_eq!(ChartKind::parse(kind.slug()), Some(kind));
        }
        assert_eq!(ChartKind::parse("secret.svg"), None);
    }
}
