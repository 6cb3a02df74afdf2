//! The risk score on both databases: computed from the checklist and the access register,
//! scoped like everything else, its settings, and the daily snapshot job (idempotent, and run
//! once when two servers share one database).

use chrono::{DateTime, Duration, Utc};
use rampart_domain::access::{self, NewGrant, NewTechnician, OffboardingInput};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::controls::{self, ControlStatus, ControlUpdate};
use rampart_domain::scoring::{self, Band, ChartKind, PenaltyKind};
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str, tier: &str) {
    let input =
        ClientInput { name: format!("{slug} Ltd"), slug: slug.into(), impact_tier: tier.into(), ..Default::default() };
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
}

use rampart_domain::testing::user;

/// Records a status, verified at `verified_at` (which is also when the change is made).
async fn set(db: &Db, slug: &str, control: &str, status: &str, verified_at: DateTime<Utc>) {
    let (_, item, _) = controls::get_client_control(db, &cli(), slug, control, verified_at).await.unwrap();
    let update = ControlUpdate {
        status: status.into(),
        version: item.version,
        verified_now: true,
        justification: if status == "not_applicable" { "Nothing of the kind here.".into() } else { String::new() },
        ..Default::default()
    };
    controls::update_client_control(db, &cli(), slug, control, &update, verified_at).await.unwrap();
}

/// Every control of the client's checklist implemented, verified at `at`.
async fn all_implemented(db: &Db, slug: &str, at: DateTime<Utc>) {
    let checklist = controls::get_checklist(db, &cli(), slug, at).await.unwrap();
    let selected: Vec<(String, i64)> = checklist.items.iter().map(|i| (i.control.id.clone(), i.version)).collect();
    let update = ControlUpdate { status: "implemented".into(), verified_now: true, ..Default::default() };
    controls::update_client_controls(db, &cli(), slug, &selected, &update, at).await.unwrap();
}

/// A technician with a grant at `slug`, whose offboarding started `days_ago` days ago.
async fn leaver(db: &Db, email: &str, slug: &str, days_ago: i64, now: DateTime<Utc>) -> i64 {
    let new = NewTechnician {
        name: format!("Leaver {email}"),
        email: email.into(),
        title: "Engineer".into(),
        started_on: "2025-01-06".into(),
    };
    let t = access::create_technician(db, &cli(), &new, now).await.unwrap();
    for step in access::get_lifecycle(db, &cli(), t.id, now).await.unwrap().steps {
        access::complete_step(db, &cli(), t.id, step.id, "", now).await.unwrap();
    }
    let grant = NewGrant {
        technician_id: t.id,
        client_slug: slug.into(),
        system: "rmm".into(),
        privilege: "standard".into(),
        justification: "Daily patching and monitoring".into(),
        mfa: true,
        ..Default::default()
    };
    access::grant_access(db, &cli(), &grant, now).await.unwrap();
    let (current, _) = access::get_technician(db, &cli(), t.id).await.unwrap();
    let t0 = (now - Duration::days(days_ago)).format("%Y-%m-%dT%H:%M").to_string();
    access::start_offboarding(db, &cli(), t.id, current.version, &OffboardingInput { t0, involuntary: false }, now)
        .await
        .unwrap();
    t.id
}

contract_test!(the_score_reads_the_checklist_as_the_controls_module_does, |db| {
    let now = Utc::now();
    client(&db, "acme", "standard").await;
    let fresh = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap();
    let checklist = controls::get_checklist(&db, &cli(), "acme", now).await.unwrap();
    assert_eq!(fresh.score.applicable, checklist.items.len(), "the same controls as the checklist");
    assert_eq!((fresh.score.coverage, fresh.score.band), (Some(0), Band::Critical), "nothing assessed counts zero");

    all_implemented(&db, "acme", now).await;
    let full = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap();
    assert_eq!((full.score.coverage, full.score.posture, full.score.band), (Some(100), Some(100), Band::Low));
    assert!(full.score.gaps.is_empty());
    assert_eq!(full.priority_hundredths, Some(0));

    // RA-01 (severity 5) not implemented: a gap in words, and the band raised to High.
    set(&db, "acme", "RA-01", "not_implemented", now).await;
    let gap = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap();
    assert_eq!(gap.score.gaps.len(), 1);
    assert!(gap.score.gaps[0].describe().starts_with("RA-01 MFA on every remote access path not implemented: −5"));
    assert_eq!(gap.score.band, Band::High);
    assert!(gap.score.band_explanation().unwrap().contains("RA-01"));

    // Marking it not applicable takes it out of the sums.
    set(&db, "acme", "RA-01", "not_applicable", now).await;
    let na = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap();
    assert_eq!((na.score.coverage, na.score.not_applicable, na.score.band), (Some(100), 1, Band::Low));
});

contract_test!(the_scores_checklist_counts_are_the_checklists_own, |db| {
    let now = Utc::now();
    client(&db, "acme", "standard").await;
    set(&db, "acme", "RA-01", "implemented", now).await;
    set(&db, "acme", "RA-02", "partial", now).await;
    set(&db, "acme", "RA-07", "not_implemented", now).await;
    set(&db, "acme", "RA-04", "not_applicable", now).await;
    // RA-05 is reviewed monthly: verified 40 days ago, it is past its re-verification time.
    set(&db, "acme", "RA-05", "implemented", now - Duration::days(40)).await;
    // An accepted risk on RA-07; one still waiting for approval on RA-06 does not count.
    let manager = user(&db, "asks@example.test", "manager", &[]).await;
    let approver = user(&db, "approves@example.test", "manager", &[]).await;
    let until = (now + Duration::days(90)).format("%Y-%m-%d").to_string();
    let reason = "A compensating control is in place until the upgrade.";
    let asked = controls::request_exception(&db, &manager, "acme", "RA-07", reason, &until, now).await.unwrap();
    controls::approve_exception(&db, &approver, asked.id, now).await.unwrap();
    controls::request_exception(&db, &manager, "acme", "RA-06", reason, &until, now).await.unwrap();

    let counts = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap().checklist;
    let checklist = controls::get_checklist(&db, &cli(), "acme", now).await.unwrap();
    assert_eq!(counts, checklist.counts(), "the score counts the checklist as the checklist does");
    let of = |status| counts.of_status(status);
    assert_eq!(
        (of(ControlStatus::Implemented), of(ControlStatus::Partial), of(ControlStatus::NotImplemented)),
        (2, 1, 1)
    );
    assert_eq!(of(ControlStatus::NotApplicable), 1);
    assert_eq!(of(ControlStatus::NotAssessed), checklist.items.len() - 5);
    assert_eq!((counts.stale, counts.accepted), (1, 1));
});

contract_test!(evidence_past_its_re_verification_time_counts_as_partial, |db| {
    let now = Utc::now();
    client(&db, "acme", "standard").await;
    all_implemented(&db, "acme", now).await;
    // RA-01 is reviewed quarterly: verified 200 days ago, it is stale now.
    set(&db, "acme", "RA-01", "implemented", now - Duration::days(200)).await;
    let s = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap().score;
    assert_eq!(s.stale, 1);
    let gap = &s.gaps[0];
    assert_eq!((gap.control_id.as_str(), gap.stale, gap.gap_halves), ("RA-01", true, 5), "½ × 5 missing");
    let (_, overdue) = controls::list_overdue(&db, &cli(), now, 10).await.unwrap();
    assert_eq!(overdue, 1, "the same control is overdue evidence");
});

contract_test!(leavers_past_the_revocation_deadline_cost_points_and_raise_the_band_after_a_week, |db| {
    let now = Utc::now();
    client(&db, "acme", "sensitive").await;
    all_implemented(&db, "acme", now).await;
    leaver(&db, "elena@msp.example", "acme", 3, now).await;
    let s = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap();
    let leavers = s.score.penalty(PenaltyKind::LeaverPastSla).unwrap();
    assert_eq!((leavers.count, leavers.points), (1, 3));
    assert_eq!(leavers.items, vec!["Leaver elena@msp.example".to_string()]);
    assert_eq!((s.score.posture, s.score.band), (Some(97), Band::Low), "3 days after T0: no override yet");
    assert_eq!(s.priority_hundredths, Some(3 * 125), "(100 − 97) × 1.25");

    leaver(&db, "tom@msp.example", "acme", 9, now).await;
    let s = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap().score;
    assert_eq!((s.posture, s.band), (Some(94), Band::High), "9 days after T0: at least High");
    assert!(
        s.band_explanation().unwrap().contains("still holds access 9 days after leaving"),
        "{:?}",
        s.band_explanation()
    );

    let debt = scoring::get_governance_debt(&db, &cli(), now).await.unwrap();
    assert_eq!(debt.leavers_past_sla.len(), 2);
    assert_eq!(debt.overdue_reviews, 0, "no review schedule yet");
    assert!(debt.meetings_next_week.is_empty());
});

contract_test!(scores_and_charts_are_scoped_like_the_client, |db| {
    let now = Utc::now();
    client(&db, "own", "standard").await;
    client(&db, "other", "critical").await;
    let viewer = user(&db, "viewer@example.test", "client_viewer", &["own"]).await;
    let tech = user(&db, "tech@example.test", "technician", &["own"]).await;
    for actor in [&viewer, &tech] {
        assert!(scoring::get_client_score(&db, actor, "own", now).await.is_ok());
        for slug in ["other", "missing"] {
            assert!(matches!(scoring::get_client_score(&db, actor, slug, now).await, Err(DomainError::NotFound)));
            let chart = scoring::get_client_chart(&db, actor, slug, ChartKind::Trend, now).await;
            assert!(matches!(chart, Err(DomainError::NotFound)), "{slug}: the same answer as a missing client");
        }
    }
    let (_, charts) = scoring::get_client_charts(&db, &viewer, "own", now).await.unwrap();
    let kinds: Vec<ChartKind> = charts.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ChartKind::CLIENT.to_vec());
    assert!(matches!(scoring::rank_clients(&db, &viewer, now).await, Err(DomainError::Forbidden)));
    let ranked = scoring::rank_clients(&db, &tech, now).await.unwrap();
    assert_eq!(ranked.clients.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(), vec!["own"]);
    let heatmap = scoring::get_portfolio_heatmap(&db, &tech, now).await.unwrap();
    assert!(!heatmap.svg().unwrap().contains("other Ltd"), "a technician's heatmap holds only their clients");
    let everyone = scoring::rank_clients(&db, &cli(), now).await.unwrap();
    assert_eq!(everyone.clients[0].slug, "other", "the critical client, equally bare, ranks first");
});

contract_test!(only_admins_change_the_settings_and_bad_values_change_nothing, |db| {
    let now = Utc::now();
    let admin = user(&db, "admin@example.test", "admin", &[]).await;
    let manager = user(&db, "manager@example.test", "manager", &[]).await;
    let viewer_client = "acme";
    client(&db, viewer_client, "standard").await;
    let viewer = user(&db, "viewer@example.test", "client_viewer", &[viewer_client]).await;
    let (defaults, changed) = scoring::get_settings(&db, &viewer).await.unwrap();
    assert_eq!((defaults, changed), (scoring::ScoreSettings::default(), None), "everyone reads them");

    let values = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let refused = scoring::save_settings(&db, &manager, &values(&[("leaver_points", "5")]), now).await;
    assert!(matches!(refused, Err(DomainError::Forbidden)));
    let bad =
        scoring::save_settings(&db, &admin, &values(&[("band_low_min", "70"), ("leaver_cap", "lots")]), now).await;
    let Err(DomainError::Validation(errors)) = bad else { panic!("{bad:?}") };
    assert_eq!(errors[0].field, "leaver_cap");
    let unordered = scoring::save_settings(&db, &admin, &values(&[("band_low_min", "70")]), now).await;
    assert!(matches!(unordered, Err(DomainError::Validation(_))), "Low must stay above Moderate");
    assert_eq!(
        scoring::get_settings(&db, &admin).await.unwrap().0,
        scoring::ScoreSettings::default(),
        "nothing written"
    );

    let saved = scoring::save_settings(&db, &admin, &values(&[("band_low_min", "98"), ("leaver_points", "4")]), now)
        .await
        .unwrap();
    assert_eq!((saved.band_low_min, saved.leaver_points), (98, 4));
    let (read, changed) = scoring::get_settings(&db, &viewer).await.unwrap();
    assert_eq!(read, saved);
    assert_eq!(changed.map(|(_, by)| by), Some("admin user".to_string()));

    all_implemented(&db, viewer_client, now).await;
    leaver(&db, "elena@msp.example", viewer_client, 2, now).await;
    let s = scoring::get_client_score(&db, &viewer, viewer_client, now).await.unwrap().score;
    assert_eq!((s.posture, s.band), (Some(96), Band::Moderate), "4 points per leaver; Low now starts at 98");
});

contract_test!(the_daily_snapshot_is_taken_once_a_day_and_never_rewritten, |db| {
    let now = Utc::now();
    let day = now.date_naive();
    client(&db, "acme", "standard").await;
    client(&db, "bank", "critical").await;
    client(&db, "gone", "standard").await;
    clients::archive_client(&db, &cli(), "gone", chrono::Utc::now()).await.unwrap();
    all_implemented(&db, "acme", now).await;

    assert_eq!(scoring::take_daily_snapshots(&db, now, "server-a").await.unwrap(), Some(2), "active clients only");
    assert_eq!(scoring::take_daily_snapshots(&db, now, "server-a").await.unwrap(), None, "once a day");
    assert_eq!(scoring::take_daily_snapshots(&db, now + Duration::minutes(5), "server-b").await.unwrap(), None);
    let run = scoring::find_job_run(&db, scoring::SNAPSHOT_JOB, day).await.unwrap().unwrap();
    assert_eq!(run.runner, "server-a");
    assert!(run.finished_at.is_some());

    // Writing the day again (a run taken over, say) keeps what was written.
    set(&db, "acme", "RA-01", "not_implemented", now).await;
    assert_eq!(scoring::snapshot_all(&db, day, now).await.unwrap(), 0);
    let kept = scoring::list_snapshots(&db, &cli(), "acme", day).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].posture, kept[0].band), (Some(100), Band::Low));
    assert_eq!(kept[0].categories.get("RA"), Some(&Some(100)));
    assert_eq!(scoring::count_snapshots(&db, day).await.unwrap(), 2);

    // The next day is a new run, with the change.
    let tomorrow = now + Duration::days(1);
    assert_eq!(scoring::take_daily_snapshots(&db, tomorrow, "server-b").await.unwrap(), Some(2));
    let both = scoring::list_snapshots(&db, &cli(), "acme", day).await.unwrap();
    assert_eq!(both.iter().map(|s| s.band).collect::<Vec<_>>(), vec![Band::Low, Band::High]);
    let (_, charts) = scoring::get_client_charts(&db, &cli(), "acme", tomorrow).await.unwrap();
    let trend = charts.iter().find(|c| c.kind == ChartKind::Trend).unwrap();
    assert_eq!(trend.table.rows.len(), 1, "two days are one week: one row");
    assert!(trend.description.contains("100 at the start"), "{}", trend.description);
});

/// A claim of today's job by another server that has not finished, started at `started_at`.
async fn unfinished_claim(db: &Db, runner: &str, started_at: DateTime<Utc>) {
    rampart_domain::on_pool!(db, |pool| {
        sqlx::query("INSERT INTO job_runs (job, day, runner, started_at) VALUES ($1, $2, $3, $4)")
            .bind(scoring::SNAPSHOT_JOB)
            .bind(started_at.date_naive())
            .bind(runner)
            .bind(started_at)
            .execute(pool)
            .await
            .unwrap();
    });
}

contract_test!(a_claim_left_by_a_server_that_died_is_taken_over_after_an_hour, |db| {
    // A fixed hour of the day, so that an hour later is the same day.
    let now = Utc::now().date_naive().and_hms_opt(9, 0, 0).unwrap().and_utc();
    client(&db, "acme", "standard").await;
    // Another server claimed today ten minutes ago and is still at it: leave it be.
    unfinished_claim(&db, "server-busy", now - Duration::minutes(10)).await;
    assert_eq!(scoring::take_daily_snapshots(&db, now, "server-b").await.unwrap(), None);
    // An hour later it has still not finished: it died, so the next server takes over.
    let later = now + Duration::minutes(61);
    assert_eq!(scoring::take_daily_snapshots(&db, later, "server-b").await.unwrap(), Some(1));
    let run = scoring::find_job_run(&db, scoring::SNAPSHOT_JOB, now.date_naive()).await.unwrap().unwrap();
    assert_eq!((run.runner.as_str(), run.finished_at.is_some()), ("server-b", true));
    // Finished runs are never taken over, however old.
    let tomorrow = now + Duration::days(1);
    assert_eq!(scoring::take_daily_snapshots(&db, tomorrow, "server-a").await.unwrap(), Some(1));
    assert_eq!(scoring::take_daily_snapshots(&db, tomorrow + Duration::hours(3), "server-b").await.unwrap(), None);
});

/// Two servers (two pools) on one database, both asking at once: exactly one runs the job.
async fn two_servers_take_one_snapshot(first: Db, second: Db) {
    let now = Utc::now();
    for slug in ["acme", "bank", "cafe"] {
        client(&first, slug, "standard").await;
    }
    let (a, b) = tokio::join!(
        scoring::take_daily_snapshots(&first, now, "server-a"),
        scoring::take_daily_snapshots(&second, now, "server-b")
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(outcomes.iter().filter(|o| o.is_some()).count(), 1, "exactly one server ran it: {outcomes:?}");
    assert_eq!(outcomes.iter().flatten().sum::<u64>(), 3);
    assert_eq!(scoring::count_snapshots(&second, now.date_naive()).await.unwrap(), 3);
    let run = scoring::find_job_run(&first, scoring::SNAPSHOT_JOB, now.date_naive()).await.unwrap().unwrap();
    let winner = if outcomes[0].is_some() { "server-a" } else { "server-b" };
    assert_eq!(run.runner, winner);
    second.close().await;
}

#[tokio::test]
async fn two_servers_on_one_sqlite_file_take_one_snapshot() {
    let test = rampart_domain::testing::sqlite().await;
    let second = rampart_domain::setup::connect(&test.url).await.unwrap();
    test.run(|first| two_servers_take_one_snapshot(first, second)).await;
}

#[tokio::test]
async fn two_servers_on_one_postgres_database_take_one_snapshot() {
    let Some(test) = rampart_domain::testing::postgres().await else {
        eprintln!("skipped: set {} to run on PostgreSQL", rampart_domain::testing::POSTGRES_URL_VAR);
        return;
    };
    let second = rampart_domain::setup::connect(&test.url).await.unwrap();
    test.run(|first| two_servers_take_one_snapshot(first, second)).await;
}

contract_test!(the_demo_backfills_a_year_of_daily_history, |db| {
    let started = std::time::Instant::now();
    let summary = rampart_domain::demo::fill(&db, rampart_domain::demo::DemoSize::Small, 7).await.unwrap();
    eprintln!("demo filled in {:?}", started.elapsed());
    let now = Utc::now();
    let ranking = scoring::rank_clients(&db, &cli(), now).await.unwrap();
    assert_eq!(ranking.clients.len(), summary.clients_created - 2, "archived clients are not ranked");
    let yesterday = (now - Duration::days(1)).date_naive();
    assert_eq!(scoring::count_snapshots(&db, yesterday).await.unwrap(), ranking.clients.len() as i64);
    let year_ago = (now - Duration::days(scoring::HISTORY_DAYS)).date_naive();
    let mut total = 0;
    let mut moved = 0;
    for c in &ranking.clients {
        let history = scoring::list_snapshots(&db, &cli(), &c.slug, year_ago).await.unwrap();
        assert!(!history.is_empty(), "{} has a history", c.slug);
        assert!(history.len() <= scoring::HISTORY_DAYS as usize);
        assert!(history.windows(2).all(|w| w[0].day < w[1].day), "one snapshot a day");
        if history.first().map(|s| s.posture) != history.last().map(|s| s.posture) {
            moved += 1;
        }
        total += history.len();
    }
    assert!(total > 40 * 100, "most clients have most of a year: {total}");
    assert!(moved > ranking.clients.len() / 2, "scores change over the year ({moved} clients moved)");
    // The leaver three days past every deadline shows in the access history of their clients.
    let mut leavers = 0;
    for c in &ranking.clients {
        let whole = scoring::get_client_score(&db, &cli(), &c.slug, now).await.unwrap().score;
        leavers += whole.penalty(PenaltyKind::LeaverPastSla).map(|p| p.count).unwrap_or(0);
    }
    assert!(leavers > 0, "the demo's late leaver is penalised somewhere");
});
