//! PostgreSQL row-level security (migrations/postgres/0016_row_security.sql), tested as the
//! application's own role, which does not own the tables: in one client's scope every table
//! holding client data shows that client's rows only, writes to another client's rows are
//! refused, and without a scope the application works as before. PostgreSQL only: skipped
//! unless `RAMPART_TEST_POSTGRES_URL` is set.

use chrono::{Duration, Utc};
use rampart_domain::access::{self, lifecycle::SlaInput, NewGrant, NewTechnician};
use rampart_domain::clients::{self, ClientFilter, ClientInput};
use rampart_domain::controls::{self, ControlUpdate};
use rampart_domain::meetings::{self, ActionInput};
use rampart_domain::reviews::{self, Calendar, NewSeries, OccurrenceInput, ReviewKind, ScheduleFilter};
use rampart_domain::{scoring, testing, Actor, Db};
use sqlx::{Connection, PgConnection, Row};

/// Every table with row security, and which of its rows belong to the client `$1` (in words of
/// SQL, run as the owner).
const TABLES: &[(&str, &str)] = &[
    ("clients", "id = $1"),
    ("client_tags", "client_id = $1"),
    ("client_controls", "client_id = $1"),
    ("control_history", "client_id = $1"),
    ("control_exceptions", "client_id = $1"),
    ("grants", "client_id = $1"),
    ("sla_settings", "client_id IS NULL OR client_id = $1"),
    ("score_snapshots", "client_id = $1"),
    ("client_scores", "client_id = $1"),
    ("review_series", "client_id = $1"),
    ("review_occurrences", "client_id = $1"),
    ("access_review_items", "occurrence_id IN (SELECT id FROM review_occurrences WHERE client_id = $1)"),
    ("meetings", "client_id = $1"),
    ("meeting_decisions", "meeting_id IN (SELECT id FROM meetings WHERE client_id = $1)"),
    ("action_items", "client_id = $1"),
    ("audit_log", "client_id = $1"),
];

/// Tables that refer to clients but are read to build the acting user, before any scope exists
/// (and never by the portal): identity, not client data.
const IDENTITY_TABLES: &[&str] = &["users", "user_clients", "invitation_clients"];

/// Identity and sign-in tables, and the kept scores' shared state: a client's scope sees none of
/// their rows (migrations 0018, 0020).
const UNSCOPED_ONLY: &[&str] = &[
    "users",
    "user_clients",
    "invitations",
    "invitation_clients",
    "mfa_totp",
    "passkeys",
    "mfa_recovery_codes",
    "sessions",
    "sign_in_failures",
    "sso_settings",
    "sso_logins",
    "user_identities",
    "score_state",
];

/// Gives a client a row in every table that holds client data.
async fn fill(db: &Db, slug: &str, technician: i64) -> i64 {
    let cli = Actor::command_line();
    let now = Utc::now();
    let input = ClientInput {
        name: format!("{slug} Ltd"),
        slug: slug.into(),
        impact_tier: "critical".into(),
        notes: format!("{slug} internal note"),
        tags: format!("{slug}-tag"),
        ..Default::default()
    };
    let client = clients::create_client(db, &cli, &input, chrono::Utc::now()).await.unwrap();
    let update = ControlUpdate {
        status: "partial".into(),
        owner: "Sam".into(),
        note: format!("{slug} history"),
        verified_now: true,
        ..Default::default()
    };
    controls::update_client_control(db, &cli, slug, "RA-01", &update, now).await.unwrap();
    let until = (now + Duration::days(30)).format("%Y-%m-%d").to_string();
    controls::request_exception(db, &cli, slug, "RA-04", "waiting for the new firewall", &until, now).await.unwrap();
    let grant = NewGrant {
        technician_id: technician,
        client_slug: slug.into(),
        system: "rmm".into(),
        privilege: "standard".into(),
        justification: format!("{slug} day-to-day support"),
        mfa: true,
        ..Default::default()
    };
    access::grant_access(db, &cli, &grant, now).await.unwrap();
    let sla = SlaInput { amount: "12".into(), unit: "hours".into(), ..Default::default() };
    access::lifecycle::save_client_sla(db, &cli, slug, "REVOKE", &sla, now).await.unwrap();
    let today = now.format("%Y-%m-%d").to_string();
    for kind in ["security_review", "access_review"] {
        let series = NewSeries { kind: kind.into(), starts_on: today.clone(), ..Default::default() };
        reviews::create_series(db, &cli, slug, &series, now).await.unwrap();
    }
    let filter = ScheduleFilter { client: slug.into(), ..Default::default() };
    let schedule = reviews::list_schedule(db, &cli, &filter, &Calendar::default(), now).await.unwrap();
    let access_review = schedule.iter().find(|o| o.kind == ReviewKind::AccessReview).unwrap();
    let start = OccurrenceInput { action: "start".into(), version: access_review.version, ..Default::default() };
    reviews::change_occurrence(db, &cli, access_review.id, &start, now).await.unwrap();
    let security_review = schedule.iter().find(|o| o.kind == ReviewKind::SecurityReview).unwrap();
    meetings::hold_meeting(db, &cli, security_review.id, now).await.unwrap();
    meetings::add_decision(db, &cli, security_review.id, "Budget for EDR").await.unwrap();
    let action = ActionInput { title: "Renew firewall support".into(), owner: "Sam".into(), due_on: String::new() };
    meetings::add_action_item(db, &cli, security_review.id, &action).await.unwrap();
    client.id
}

async fn count(db: &Db, table: &str) -> i64 {
    let Db::Postgres(pool) = db else { unreachable!("PostgreSQL only") };
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_client_scope_shows_the_application_role_no_other_clients_rows() {
    let Some(test) = testing::postgres().await else {
        eprintln!("skipped: set {} to run on PostgreSQL", testing::POSTGRES_URL_VAR);
        return;
    };
    let owner_url = test.url.clone();
    let app_url = test.application_role_url().await.expect("a PostgreSQL test database");
    test.run(|db| async move {
        let cli = Actor::command_line();
        let now = Utc::now();
        let new = NewTechnician {
            name: "Robin Tech".into(),
            email: "robin@msp.example".into(),
            title: "Engineer".into(),
            started_on: (now - Duration::days(30)).format("%Y-%m-%d").to_string(),
        };
        let technician = access::create_technician(&db, &cli, &new, now).await.unwrap();
        for step in access::get_lifecycle(&db, &cli, technician.id, now).await.unwrap().steps {
            access::complete_step(&db, &cli, technician.id, step.id, "", now).await.unwrap();
        }
        let alpha = fill(&db, "alpha", technician.id).await;
        let beta = fill(&db, "beta", technician.id).await;
        scoring::snapshot_all(&db, now.date_naive(), now).await.unwrap();

        let mut owner = PgConnection::connect(&owner_url).await.unwrap();

        // Every table that refers to a client is either protected or identity.
        let referring: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c \
             WHERE c.contype = 'f' AND c.confrelid = 'clients'::regclass",
        )
        .fetch_all(&mut owner)
        .await
        .unwrap();
        for table in referring.iter().map(String::as_str).chain(["clients"]) {
            if IDENTITY_TABLES.contains(&table) {
                continue;
            }
            let protected: bool = sqlx::query_scalar("SELECT relrowsecurity FROM pg_class WHERE oid = $1::regclass")
                .bind(table)
                .fetch_one(&mut owner)
                .await
                .unwrap();
            assert!(protected, "{table} holds client data but has no row-level security");
            assert!(TABLES.iter().any(|(t, _)| *t == table), "{table} is missing from this test");
        }

        // What each client owns, as the owner sees it.
        let mut expected = Vec::new();
        for (table, own) in TABLES {
            let total: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut owner).await.unwrap();
            let mine: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {own}"))
                .bind(alpha)
                .fetch_one(&mut owner)
                .await
                .unwrap();
            let theirs: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {own}"))
                .bind(beta)
                .fetch_one(&mut owner)
                .await
                .unwrap();
            assert!(mine > 0 && theirs > 0, "{table}: both clients have rows ({mine}, {theirs})");
            assert!(total > mine, "{table}: another client's rows exist");
            expected.push((*table, total, mine));
        }
        owner.close().await.ok();

        // Migrations by the owner, the application as its own role.
        let app = rampart_domain::setup::connect_as(&app_url, Some(&owner_url)).await.expect("the application role");
        let Db::Postgres(pool) = &app else { unreachable!() };
        let role = sqlx::query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(!role.get::<bool, _>(0) && !role.get::<bool, _>(1), "the role is bound by row security");
        let owns: bool = sqlx::query_scalar(
            "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class WHERE oid = 'clients'::regclass",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(!owns, "the application role does not own the tables");

        let scoped = app.scoped_to_client(alpha);
        for (table, total, mine) in &expected {
            assert_eq!(count(&app, table).await, *total, "{table}: no scope, every row");
            assert_eq!(count(&scoped, table).await, *mine, "{table}: alpha's scope, alpha's rows only");
        }

        // Identity and sign-in tables: every row without a scope, none in alpha's, not even
        // alpha's own viewer.
        testing::user(&db, "viewer@alpha.example", "client_viewer", &["alpha"]).await;
        testing::user(&db, "tech@msp.example", "technician", &["alpha", "beta"]).await;
        rampart_domain::identity::sign_in_from(&db, "viewer@alpha.example", "wrong", Some("192.0.2.1"), now)
            .await
            .unwrap_err();
        for table in UNSCOPED_ONLY {
            let unscoped = count(&app, table).await;
            assert_eq!(count(&scoped, table).await, 0, "{table}: nothing in a client's scope");
            if ["users", "user_clients", "sign_in_failures"].contains(table) {
                assert!(unscoped > 0, "{table}: rows exist without a scope");
            }
        }

        // The services themselves, with an actor who may see everything: the scope still decides.
        let everything = ClientFilter { include_archived: true, ..Default::default() };
        let listed = clients::list_clients(&scoped, &cli, everything.clone()).await.unwrap();
        assert_eq!(listed.items.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(), ["alpha"]);
        assert!(matches!(clients::get_client(&scoped, &cli, "beta").await, Err(rampart_domain::DomainError::NotFound)));

        // Writes to another client's rows are refused in a client's scope.
        let Db::Postgres(scoped_pool) = &scoped else { unreachable!() };
        let renamed = sqlx::query("UPDATE clients SET name = 'taken over' WHERE id = $1")
            .bind(beta)
            .execute(scoped_pool)
            .await
            .unwrap();
        assert_eq!(renamed.rows_affected(), 0, "another client's row cannot be changed");
        let tagged = sqlx::query("INSERT INTO client_tags (client_id, tag) VALUES ($1, 'planted')")
            .bind(beta)
            .execute(scoped_pool)
            .await;
        assert!(tagged.is_err(), "another client's row cannot be added");

        // Without a scope the application role works as before, writes and audit included.
        let gamma = ClientInput {
            name: "Gamma Ltd".into(),
            slug: "gamma".into(),
            impact_tier: "standard".into(),
            ..Default::default()
        };
        clients::create_client(&app, &cli, &gamma, chrono::Utc::now()).await.expect("a write as the application role");
        assert_eq!(clients::list_clients(&app, &cli, everything).await.unwrap().total, 3);
        let verified = rampart_domain::audit::verify(&app, &cli, None).await.unwrap();
        assert!(verified.broken.is_none(), "the audit chain still verifies");
        app.close().await;
    })
    .await;
}
