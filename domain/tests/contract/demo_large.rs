//! The large demo data set, at a small scale so that the tests stay quick, on both databases:
//! the same seed gives the same data, the counts are as asked, one audit entry says what was
//! generated, and the pages read it (the portfolio, a score, a signed meeting's pack).
//! Nothing here is about time.
// Rows are read as tuples, as the tables have them.
#![allow(clippy::type_complexity)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rampart_domain::authz::Actor;
use rampart_domain::demo::large::{self, LargeShape};
use rampart_domain::testing::{self, TestDatabase};
use rampart_domain::{on_pool, Db};
use sha2::{Digest, Sha256};

const SHAPE: LargeShape = LargeShape { clients: 24, technicians: 12, grants: 150, days: 60 };

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 30, 0).unwrap()
}

/// A digest of the key tables, row by row in id order.
async fn digest(db: &Db) -> String {
    let mut hash = Sha256::new();
    on_pool!(db, |pool| {
        let rows: Vec<(i64, String, String, String, DateTime<Utc>)> =
            sqlx::query_as("SELECT id, slug, name, impact_tier, created_at FROM clients ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        hash.update(format!("{rows:?}"));
        let rows: Vec<(i64, String, String, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT client_id, control_id, status, last_verified_at FROM client_controls ORDER BY client_id, control_id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        hash.update(format!("{rows:?}"));
        let rows: Vec<(i64, i64, i64, String, String, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT id, technician_id, client_id, system, privilege, granted_at, revoked_at FROM grants ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        hash.update(format!("{rows:?}"));
        let rows: Vec<(i64, NaiveDate, Option<i64>, Option<i64>, String)> = sqlx::query_as(
            "SELECT client_id, day, coverage, posture, categories FROM score_snapshots ORDER BY client_id, day",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        hash.update(format!("{rows:?}"));
        let rows: Vec<(i64, i64, NaiveDate, String, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT id, series_id, due_on, state, closed_at FROM review_occurrences ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        hash.update(format!("{rows:?}"));
        let rows: Vec<(i64, i64, Option<String>)> =
            sqlx::query_as("SELECT id, occurrence_id, snapshot FROM meetings ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        hash.update(format!("{rows:?}"));
    });
    format!("{:x}", hash.finalize())
}

async fn count(db: &Db, sql: &str) -> i64 {
    on_pool!(db, |pool| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

/// Fills a fresh database and checks what any filled one must hold; returns its digest.
async fn fill_and_check(test: TestDatabase, seed: u64) -> String {
    let db = test.db.clone();
    let entries_before = count(&db, "SELECT COUNT(*) FROM audit_log").await;
    let summary = large::fill(&db, SHAPE, seed, now()).await.unwrap();
    assert!(summary.filled);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM clients").await, SHAPE.clients as i64);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM technicians").await, SHAPE.technicians as i64);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM grants").await, SHAPE.grants as i64);
    assert_eq!(summary.grants, SHAPE.grants);
    // About 60 controls on each checklist (every client-side control, a few never assessed).
    let controls = count(&db, "SELECT COUNT(*) FROM client_controls").await;
    assert_eq!(controls as usize, summary.controls);
    assert!(controls >= 50 * SHAPE.clients as i64, "{controls} checklist rows");
    // A day of score history for every day each client existed, up to yesterday.
    let snapshots = count(&db, "SELECT COUNT(*) FROM score_snapshots").await;
    assert_eq!(snapshots as usize, summary.snapshots);
    assert!(snapshots > SHAPE.clients as i64 * SHAPE.days / 2);
    assert!(snapshots <= SHAPE.clients as i64 * SHAPE.days);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM score_snapshots WHERE day >= '2026-11-20'").await,
        0,
        "today's scores are the daily job's"
    );
    // The index by day, dropped for the fill, is back as the migration made it.
    let index_sql = match db.backend() {
        rampart_domain::db::Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'score_snapshots_day_idx' \
             AND tbl_name = 'score_snapshots' AND sql LIKE '%(day)'"
        }
        rampart_domain::db::Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'score_snapshots_day_idx' \
             AND tablename = 'score_snapshots' AND indexdef LIKE '%(day)'"
        }
    };
    assert_eq!(count(&db, index_sql).await, 1, "the snapshots' index by day");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM review_series").await, 5 * SHAPE.clients as i64);
    assert!(summary.meetings > 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM meetings").await as usize, summary.meetings);
    // One entry for the whole generation (and one per demo user, added through the service).
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'demo.fill'").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log").await, entries_before + 1 + summary.users.len() as i64);
    assert!(rampart_domain::audit::verify(&db, &Actor::command_line(), None).await.unwrap().broken.is_none());

    // The pages read it: the portfolio ranks every client, a score, a signed meeting's pack.
    let cli = Actor::command_line();
    let ranking = rampart_domain::scoring::rank_clients(&db, &cli, now()).await.unwrap();
    assert_eq!(ranking.clients.len(), SHAPE.clients);
    let slug = &ranking.clients[0].slug;
    let history =
        rampart_domain::scoring::list_snapshots(&db, &cli, slug, now().date_naive() - chrono::Duration::days(30))
            .await
            .unwrap();
    assert_eq!(history.len(), 30);
    let occurrence = on_pool!(&db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT occurrence_id FROM meetings WHERE state = 'signed' ORDER BY id LIMIT 1"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let pack = rampart_domain::meetings::get_pack(&db, &cli, occurrence, now()).await.unwrap();
    assert!(pack.signed.is_some());
    let d = digest(&db).await;

    // Ids continue after the generated ones (PostgreSQL's sequences were moved past them).
    let input = rampart_domain::clients::ClientInput {
        name: "Added Afterwards".into(),
        slug: "added-afterwards".into(),
        impact_tier: "standard".into(),
        ..Default::default()
    };
    rampart_domain::clients::create_client(&db, &cli, &input, chrono::Utc::now()).await.unwrap();
    // A second run leaves a filled database alone.
    assert!(!large::fill(&db, SHAPE, seed, now()).await.unwrap().filled);
    test.cleanup().await;
    d
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_on_sqlite() {
    let a = fill_and_check(testing::sqlite().await, 7).await;
    let b = fill_and_check(testing::sqlite().await, 7).await;
    let c = fill_and_check(testing::sqlite().await, 8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_on_postgres() {
    let Some(first) = testing::postgres().await else {
        eprintln!("skipped: set {} to run on PostgreSQL", testing::POSTGRES_URL_VAR);
        return;
    };
    let a = fill_and_check(first, 7).await;
    let b = fill_and_check(testing::postgres().await.unwrap(), 7).await;
    let c = fill_and_check(testing::postgres().await.unwrap(), 8).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    // PostgreSQL is written by COPY (text, NULLs, escapes, timestamps), SQLite by INSERT: the
    // same seed still reads back as the same rows.
    let on_sqlite = fill_and_check(testing::sqlite().await, 7).await;
    assert_eq!(a, on_sqlite, "the same data on both databases");
}
