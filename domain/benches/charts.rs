//! How long one chart takes to draw (a benchmark, not a test: it prints figures and asserts
//! nothing about time). Run with `cargo bench -p rampart-domain --bench charts`.
//!
//! The data is made up here, at the size of the large reference set: a year of daily
//! snapshots, a full checklist, and a portfolio of 2,000 clients for the heatmap. Set
//! `RAMPART_CHART_DIR` to a folder to also write each chart there as SVG, to look at.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rampart_domain::controls::{Category, ControlStatus};
use rampart_domain::demo::DemoRng;
use rampart_domain::scoring::charts::{self, AccessPoint, HeatClient, TrendPoint};
use rampart_domain::scoring::model::{score, Governance, LeaverAccess, ScoreItem};
use rampart_domain::scoring::{Band, Chart, Meeting, QuarterReviews, ScoreSettings};
use std::hint::black_box;
use std::time::Instant;

/// Builds one chart from the data made up in `main`.
type Builder<'a> = Box<dyn Fn() -> Chart + 'a>;

fn main() {
    let settings = ScoreSettings::default();
    let mut rng = DemoRng::new(42);
    let categories: Vec<Category> = [
        ("RA", "Remote access"),
        ("IA", "Identity & MFA"),
        ("PA", "Privileged access"),
        ("PC", "Patch & configuration"),
        ("LM", "Logging & monitoring"),
        ("BR", "Backup & recovery"),
        ("NS", "Network segmentation"),
        ("SC", "Supply chain & contracts"),
        ("IR", "Incident response"),
    ]
    .iter()
    .map(|(id, name)| Category { id: id.to_string(), name: name.to_string(), description: String::new() })
    .collect();
    let ids: Vec<String> = categories.iter().map(|c| c.id.clone()).collect();
    let statuses =
        [ControlStatus::Implemented, ControlStatus::Implemented, ControlStatus::Partial, ControlStatus::NotImplemented];
    let items: Vec<ScoreItem> = (0..60)
        .map(|k| ScoreItem {
            control_id: format!("{}-{:02}", ids[k % 9], k / 9 + 1),
            title: format!("A control with a realistic, fairly long title {k}"),
            category_id: ids[k % 9].clone(),
            severity: 1 + rng.below(5) as i64,
            status: *rng.pick(&statuses),
            stale: rng.chance(10),
        })
        .collect();
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 6, 0, 0).unwrap();
    let governance = Governance {
        leavers: vec![LeaverAccess {
            technician_id: 1,
            name: "Elena Rossi".into(),
            t0: Some(now - Duration::days(9)),
            past_sla: true,
        }],
        overdue_reviews: 1,
        kev_items: 0,
    };
    let scored = score(&items, &ids, &governance, &settings, now);
    let first = NaiveDate::from_ymd_opt(2025, 11, 27).unwrap();
    let mut posture = 62i64;
    let trend: Vec<TrendPoint> = (0..365)
        .map(|d| {
            posture = (posture + rng.below(3) as i64 - 1 + i64::from(d % 30 == 0) * 2).clamp(0, 100);
            TrendPoint {
                day: first + Duration::days(d),
                posture: Some(posture),
                band: Band::of_posture(posture, &settings),
            }
        })
        .collect();
    let meetings: Vec<Meeting> = [80, 170, 260, 350]
        .iter()
        .map(|d| Meeting { client_id: 1, day: first + Duration::days(*d), title: "Quarterly review".into() })
        .collect();
    let access: Vec<AccessPoint> = (0..365)
        .map(|d| AccessPoint {
            day: first + Duration::days(d),
            active: 12 + d / 60,
            expired: (d / 90) % 3,
            leavers: i64::from(d > 355),
            findings: 2 + (d % 40) / 15,
        })
        .collect();
    let quarters: Vec<QuarterReviews> = ["2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]
        .iter()
        .enumerate()
        .map(|(k, q)| QuarterReviews { quarter: q.to_string(), on_time: 3 + k as i64, late: (k as i64 + 1) % 3 })
        .collect();
    let portfolio: Vec<HeatClient> = (0..2000)
        .map(|k| HeatClient {
            name: format!("Client number {k:04} of the large set"),
            band: Band::ALL[rng.below(4)],
            cells: (0..9).map(|_| if rng.chance(5) { None } else { Some(rng.below(101) as i64) }).collect(),
        })
        .collect();

    let name = "Northwind Dental <&> Partners";
    let built: Vec<(&str, Builder)> = vec![
        ("trend", Box::new(|| charts::trend_chart(name, &trend, &meetings, &settings))),
        ("categories", Box::new(|| charts::category_chart(name, &categories, &scored, &settings))),
        ("contributors", Box::new(|| charts::contributors_chart(name, &scored))),
        (
            "heatmap",
            Box::new(|| {
                let rows = charts::heatmap_rows(&portfolio, charts::HEATMAP_CLIENTS);
                charts::heatmap_chart(rows, &categories, portfolio.len(), &settings)
            }),
        ),
        ("access", Box::new(|| charts::access_chart(name, &access))),
        ("reviews", Box::new(|| charts::reviews_chart(name, &quarters))),
        ("reviews-empty", Box::new(|| charts::reviews_chart(name, &[]))),
    ];
    let out = std::env::var("RAMPART_CHART_DIR").ok();
    println!("{:<14} {:>12} {:>12} {:>10}", "chart", "build+draw", "draw only", "bytes");
    for (label, build) in &built {
        let chart = build();
        let svg = chart.svg().expect("a chart draws");
        if let Some(dir) = &out {
            std::fs::write(format!("{dir}/{label}.svg"), &svg).expect("the folder is writable");
        }
        let runs = 200;
        let start = Instant::now();
        for _ in 0..runs {
            black_box(build().svg().expect("a chart draws"));
        }
        let full = start.elapsed() / runs;
        let start = Instant::now();
        for _ in 0..runs {
            black_box(chart.svg().expect("a chart draws"));
        }
        let draw = start.elapsed() / runs;
        println!(
            "{label:<14} {:>9.3} ms {:>9.3} ms {:>10}",
            full.as_secs_f64() * 1e3,
            draw.as_secs_f64() * 1e3,
            svg.len()
        );
    }
}
