//! How long the risk score takes (Criterion; a benchmark, not a test: nothing asserts on time).
//! Run with `cargo bench -p rampart-domain --bench score`.
//!
//! The data is made up here at the size of the large reference set: a checklist of 60 controls
//! in 9 categories with a leaver and an overdue review, scored for one client (a client page)
//! and for the 2,000 clients the portfolio ranks, and the trend and heatmap charts drawn from
//! three years of daily scores and from that portfolio.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rampart_domain::clients::ImpactTier;
use rampart_domain::controls::{Category, ControlStatus};
use rampart_domain::demo::DemoRng;
use rampart_domain::scoring::charts::{self, HeatClient, TrendPoint};
use rampart_domain::scoring::model::{priority_hundredths, score, Governance, LeaverAccess, ScoreItem};
use rampart_domain::scoring::{Band, ScoreSettings};
use std::hint::black_box;

const CATEGORIES: [&str; 9] = ["RA", "IA", "PA", "PC", "LM", "BR", "NS", "SC", "IR"];

fn checklist(rng: &mut DemoRng) -> Vec<ScoreItem> {
    let statuses = [
        ControlStatus::Implemented,
        ControlStatus::Implemented,
        ControlStatus::Partial,
        ControlStatus::NotImplemented,
        ControlStatus::NotApplicable,
    ];
    (0..60)
        .map(|k| ScoreItem {
            control_id: format!("{}-{:02}", CATEGORIES[k % 9], k / 9 + 1),
            title: format!("A control with a realistic, fairly long title {k}"),
            category_id: CATEGORIES[k % 9].to_string(),
            severity: 1 + rng.below(5) as i64,
            status: *rng.pick(&statuses),
            stale: rng.chance(10),
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let settings = ScoreSettings::default();
    let mut rng = DemoRng::new(42);
    let ids: Vec<String> = CATEGORIES.iter().map(|s| s.to_string()).collect();
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
    let one = checklist(&mut rng);
    let portfolio: Vec<Vec<ScoreItem>> = (0..2000).map(|_| checklist(&mut rng)).collect();

    c.bench_function("score: one client (60 controls)", |b| {
        b.iter(|| score(black_box(&one), &ids, &governance, &settings, now))
    });
    c.bench_function("score: portfolio of 2,000 clients, ranked", |b| {
        b.iter(|| {
            let mut ranked: Vec<(Option<i64>, Option<i64>)> = portfolio
                .iter()
                .map(|items| {
                    let s = score(items, &ids, &governance, &settings, now);
                    (priority_hundredths(s.posture, ImpactTier::Sensitive, &settings), s.posture)
                })
                .collect();
            ranked.sort();
            black_box(ranked)
        })
    });

    let categories: Vec<Category> = CATEGORIES
        .iter()
        .map(|id| Category { id: id.to_string(), name: format!("Category {id}"), description: String::new() })
        .collect();
    let first = NaiveDate::from_ymd_opt(2023, 11, 27).unwrap();
    let mut posture = 62i64;
    let trend: Vec<TrendPoint> = (0..3 * 365)
        .map(|d| {
            posture = (posture + rng.below(3) as i64 - 1).clamp(0, 100);
            TrendPoint {
                day: first + Duration::days(d),
                posture: Some(posture),
                band: Band::of_posture(posture, &settings),
            }
        })
        .collect();
    let heat: Vec<HeatClient> = (0..2000)
        .map(|k| HeatClient {
            name: format!("Client number {k:04} of the large set"),
            band: Band::ALL[rng.below(4)],
            cells: (0..9).map(|_| if rng.chance(5) { None } else { Some(rng.below(101) as i64) }).collect(),
        })
        .collect();
    c.bench_function("chart: trend of three years, built and drawn", |b| {
        b.iter(|| charts::trend_chart("Northwind Dental", black_box(&trend), &[], &settings).svg().unwrap())
    });
    c.bench_function("chart: portfolio heatmap of 2,000 clients, built and drawn", |b| {
        b.iter_batched(
            || heat.clone(),
            |heat| {
                let rows = charts::heatmap_rows(&heat, charts::HEATMAP_CLIENTS);
                charts::heatmap_chart(rows, &categories, heat.len(), &settings).svg().unwrap()
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(score_benches, benches);
criterion_main!(score_benches);
