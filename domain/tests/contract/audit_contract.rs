//! The audit log on both databases: every change writes its entry in its own transaction, a
//! refused change writes none, the database refuses edits, `verify` finds an entry edited
//! directly in the database, concurrent changes chain without gaps, and the viewer's filters
//! and export.

use chrono::{Duration, Utc};
use rampart_domain::access::{self, NewGrant, NewTechnician, OffboardingInput, RevocationInput, SlaInput};
use rampart_domain::audit::{self, Chain, Entry, Query};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::controls::{self, ControlUpdate, CustomControlInput};
use rampart_domain::identity::{self, NewUser};
use rampart_domain::{contract_test, on_pool, Db, DomainError};

const PASSWORD: &str = "a long enough password";

fn cli() -> Actor {
    Actor::command_line()
}

fn client_input(name: &str, slug: &str) -> ClientInput {
    ClientInput { name: name.into(), slug: slug.into(), impact_tier: "standard".into(), ..Default::default() }
}

async fn user(db: &Db, email: &str, role: &str) -> Actor {
    let new = NewUser {
        email: email.into(),
        display_name: format!("{role} user"),
        role: role.into(),
        clients: Vec::new(),
        password: PASSWORD.into(),
    };
    let user = identity::add_user(db, &cli(), &new, chrono::Utc::now()).await.unwrap();
    // As just signed in: sensitive actions at the present time are allowed.
    identity::actor_for_user(db, user.id).await.unwrap().unwrap().in_session(Some(chrono::Utc::now()), &[])
}

async fn entries(db: &Db) -> Vec<Entry> {
    audit::all_entries(db).await.unwrap()
}

async fn actions_since(db: &Db, seq: i64) -> Vec<String> {
    entries(db).await.into_iter().filter(|e| e.seq > seq).map(|e| e.action).collect()
}

async fn head_seq(db: &Db) -> i64 {
    audit::head(db, &cli()).await.unwrap().seq
}

async fn verify(db: &Db) -> audit::Verification {
    audit::verify(db, &cli(), None).await.unwrap()
}

/// Runs one statement as someone with direct access to the database would.
async fn sql(db: &Db, statement: &str) -> Result<u64, sqlx::Error> {
    on_pool!(db, |pool| sqlx::query(statement).execute(pool).await.map(|r| r.rows_affected()))
}

contract_test!(every_change_writes_one_entry_with_who_what_and_which_client, |db| {
    let now = Utc::now();
    let start = head_seq(&db).await;
    assert_eq!(start, 1, "the built-in catalog's load is the first entry");
    assert_eq!(entries(&db).await[0].action, "catalog.load");
    let admin = user(&db, "admin@example.test", "admin").await;
    let manager = user(&db, "manager@example.test", "manager").await;

    let created =
        clients::create_client(&db, &manager, &client_input("Acme Dental", "acme"), chrono::Utc::now()).await.unwrap();
    let mut changed = client_input("Acme Dental Group", "acme");
    changed.notes = "alarm code 4711".into();
    clients::update_client(&db, &manager, "acme", created.version, &changed, chrono::Utc::now()).await.unwrap();
    clients::archive_client(&db, &manager, "acme", chrono::Utc::now()).await.unwrap();
    clients::restore_client(&db, &manager, "acme", chrono::Utc::now()).await.unwrap();

    let update =
        ControlUpdate { status: "partial".into(), owner: "Sam".into(), verified_now: true, ..Default::default() };
    controls::update_client_control(&db, &manager, "acme", "RA-01", &update, now).await.unwrap();
    let bulk = ControlUpdate { status: "implemented".into(), ..Default::default() };
    controls::update_client_controls(&db, &manager, "acme", &[("RA-01".into(), 1), ("RA-02".into(), 0)], &bulk, now)
        .await
        .unwrap();
    let until = (now + Duration::days(30)).format("%Y-%m-%d").to_string();
    let asked =
        controls::request_exception(&db, &manager, "acme", "RA-04", "Compensating control in place", &until, now)
            .await
            .unwrap();
    controls::approve_exception(&db, &admin, asked.id, now).await.unwrap();
    controls::end_exception(&db, &admin, asked.id, now).await.unwrap();
    let custom = CustomControlInput {
        title: "Own control".into(),
        description: "Something checkable.".into(),
        category_id: "NS".into(),
        severity: "2".into(),
        review: "annual".into(),
        applies_to: "client".into(),
        tiers: vec!["critical".into()],
        references: String::new(),
    };
    let control = controls::create_custom_control(&db, &manager, &custom).await.unwrap();
    let custom2 = CustomControlInput { severity: "4".into(), ..custom.clone() };
    controls::update_custom_control(&db, &manager, &control.id, &custom2).await.unwrap();
    controls::retire_custom_control(&db, &manager, &control.id, now).await.unwrap();

    let new = NewTechnician {
        name: "Sam Ortiz".into(),
        email: "sam@msp.example".into(),
        title: "Engineer".into(),
        started_on: "2026-01-05".into(),
    };
    let t = access::create_technician(&db, &manager, &new, now).await.unwrap();
    let steps = access::get_lifecycle(&db, &manager, t.id, now).await.unwrap().steps;
    for step in &steps {
        access::complete_step(&db, &manager, t.id, step.id, "done", now).await.unwrap();
    }
    let t = access::change_technician_state(&db, &manager, t.id, t.version, "active", now).await.unwrap();
    let grant = NewGrant {
        technician_id: t.id,
        client_slug: "acme".into(),
        system: "rmm".into(),
        privilege: "standard".into(),
        justification: "Patching and monitoring".into(),
        mfa: true,
        ..Default::default()
    };
    let g = access::grant_access(&db, &manager, &grant, now).await.unwrap();
    access::review_grant(&db, &admin, g.id, now).await.unwrap();
    let t = access::change_role(&db, &manager, t.id, t.version, "Senior engineer", now).await.unwrap();
    let removal = RevocationInput {
        removed_at: String::new(),
        method: "tool_user_list".into(),
        evidence: "Removed in the RMM (ticket 12)".into(),
    };
    access::revoke_grant(&db, &admin, g.id, &removal, now).await.unwrap();
    let t = access::get_technician(&db, &manager, t.id).await.unwrap().0;
    access::start_offboarding(&db, &manager, t.id, t.version, &OffboardingInput::default(), now).await.unwrap();
    let sla = SlaInput { amount: "60".into(), unit: "days".into(), ..Default::default() };
    access::save_msp_sla(&db, &admin, "REVIEW", &sla, now).await.unwrap();
    let contract = SlaInput { amount: "30".into(), unit: "days".into(), ..Default::default() };
    access::save_client_sla(&db, &manager, "acme", "REVIEW", &contract, now).await.unwrap();
    access::save_client_sla(&db, &manager, "acme", "REVIEW", &SlaInput::default(), now).await.unwrap();
    identity::disable_user(&db, &admin, "manager@example.test", chrono::Utc::now()).await.unwrap();
    identity::enable_user(&db, &admin, "manager@example.test", chrono::Utc::now()).await.unwrap();
    identity::sign_in(&db, "manager@example.test", PASSWORD).await.unwrap();
    assert!(identity::sign_in(&db, "manager@example.test", "not the password").await.is_err());
    assert!(identity::sign_in(&db, "nobody@example.test", PASSWORD).await.is_err());
    identity::sign_out(&db, &manager).await.unwrap();

    let log = entries(&db).await;
    let actions: Vec<&str> = log.iter().skip(start as usize).map(|e| e.action.as_str()).collect();
    let steps_done = vec!["technician.step_complete"; steps.len()];
    let expected: Vec<&str> = [
        vec!["user.add", "user.add", "client.create", "client.update", "client.archive", "client.restore"],
        vec!["control.update", "control.bulk_update", "control.bulk_update"],
        vec!["exception.request", "exception.approve", "exception.revoke"],
        vec!["catalog.control_create", "catalog.control_update", "catalog.control_retire", "technician.create"],
        steps_done,
        vec!["technician.state", "grant.create", "grant.review", "technician.role_change", "grant.revoke"],
        // Revoking the last grant closes MOV-01 by itself.
        vec!["technician.step_complete", "technician.offboarding_start", "sla.update", "sla.client_update"],
        vec!["sla.client_clear", "user.disable", "user.enable", "auth.sign_in", "auth.sign_in_failed"],
        vec!["auth.sign_in_failed", "auth.sign_out"],
    ]
    .concat();
    assert_eq!(actions, expected);

    let acme = created.id;
    let find = |action: &str| log.iter().find(|e| e.action == action).unwrap().clone();
    let update = find("client.update");
    assert_eq!(update.actor, "manager@example.test");
    assert_eq!(update.actor_user_id, Some(manager.user_id.unwrap()));
    assert_eq!(update.client_id, Some(acme));
    assert_eq!(update.object, "client:acme");
    assert_eq!(update.summary, "name: “Acme Dental” → “Acme Dental Group”; internal notes changed");
    assert!(!log.iter().any(|e| e.summary.contains("4711")), "internal notes stay out of the log");
    assert_eq!(find("client.create").client_id, Some(acme), "the new client's id is recorded");
    assert_eq!(find("grant.create").object, format!("grant:{}", g.id));
    assert_eq!(find("grant.revoke").client_id, Some(acme));
    assert_eq!(find("technician.create").object, format!("technician:{}", t.id));
    assert_eq!(find("exception.request").object, format!("exception:{}", asked.id));
    let control = find("control.update").summary;
    assert!(control.starts_with("status: “not_assessed” → “partial”; owner: (empty) → “Sam”"), "{control}");
    assert_eq!(find("technician.role_change").client_id, None);
    let failed: Vec<&Entry> = log.iter().filter(|e| e.action == "auth.sign_in_failed").collect();
    assert_eq!((failed[0].actor.as_str(), failed[0].summary.as_str()), ("manager@example.test", "wrong password"));
    assert_eq!((failed[1].actor.as_str(), failed[1].summary.as_str()), ("nobody@example.test", "unknown email"));
    assert!(!log.iter().any(|e| e.summary.contains(PASSWORD) || e.summary.contains("not the password")));
    assert_eq!(find("auth.sign_in").actor_user_id, manager.user_id);
    assert_eq!(find("catalog.load").actor, "system");
    assert_eq!(find("user.add").actor, "cli@localhost");

    let checked = verify(&db).await;
    assert_eq!(checked.broken, None);
    assert_eq!(checked.entries, log.len() as i64);
    assert_eq!(checked.head.last_hash, log.last().unwrap().hash);
});

contract_test!(a_refused_change_writes_no_entry, |db| {
    let now = Utc::now();
    let manager = user(&db, "manager@example.test", "manager").await;
    let technician = user(&db, "tech@example.test", "technician").await;
    let auditor = user(&db, "auditor@example.test", "auditor").await;
    let created =
        clients::create_client(&db, &manager, &client_input("Acme", "acme"), chrono::Utc::now()).await.unwrap();
    clients::update_client(&db, &manager, "acme", created.version, &client_input("Acme 2", "acme"), chrono::Utc::now())
        .await
        .unwrap();
    let before = head_seq(&db).await;

    // A stale version, a forbidden change, bad input, a duplicate, a conflict: nothing written.
    let stale = clients::update_client(
        &db,
        &manager,
        "acme",
        created.version,
        &client_input("Acme 3", "acme"),
        chrono::Utc::now(),
    )
    .await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })));
    let forbidden = clients::update_client(
        &db,
        &auditor,
        "acme",
        created.version + 1,
        &client_input("X", "acme"),
        chrono::Utc::now(),
    )
    .await;
    assert!(matches!(forbidden, Err(DomainError::Forbidden)));
    assert!(clients::create_client(&db, &technician, &client_input("Y", "y"), chrono::Utc::now()).await.is_err());
    assert!(clients::create_client(&db, &manager, &client_input("", ""), chrono::Utc::now()).await.is_err());
    let duplicate =
        clients::create_client(&db, &manager, &client_input("Acme again", "acme"), chrono::Utc::now()).await;
    assert!(matches!(duplicate, Err(DomainError::Conflict { .. })));
    assert!(clients::restore_client(&db, &manager, "acme", chrono::Utc::now()).await.is_err(), "not archived");
    let stale_control = ControlUpdate { status: "partial".into(), version: 7, ..Default::default() };
    assert!(controls::update_client_control(&db, &manager, "acme", "RA-01", &stale_control, now).await.is_err());
    assert!(identity::enable_user(&db, &cli(), "nobody@example.test", chrono::Utc::now()).await.is_err());
    assert!(audit::list_entries(&db, &manager, &Query::default()).await.is_err());

    assert_eq!(head_seq(&db).await, before, "refused changes appended {:?}", actions_since(&db, before).await);
    assert_eq!(verify(&db).await.broken, None);
});

contract_test!(the_database_refuses_to_change_or_remove_entries, |db| {
    clients::create_client(&db, &cli(), &client_input("Acme", "acme"), chrono::Utc::now()).await.unwrap();
    let before = entries(&db).await;
    assert!(sql(&db, "UPDATE audit_log SET summary = 'nothing happened' WHERE seq = 2").await.is_err());
    assert!(sql(&db, "DELETE FROM audit_log WHERE seq = 2").await.is_err());
    assert!(sql(&db, "DELETE FROM audit_log").await.is_err());
    assert!(sql(&db, "UPDATE audit_head SET seq = 1").await.is_err(), "the head never moves back");
    assert!(sql(&db, "DELETE FROM audit_head").await.is_err());
    if db.backend() == rampart_domain::db::Backend::Postgres {
        assert!(sql(&db, "TRUNCATE audit_log").await.is_err());
    }
    assert_eq!(entries(&db).await, before);
    assert_eq!(verify(&db).await.broken, None);
});

/// Drops the triggers, as someone with direct access to the database could.
async fn drop_triggers(db: &Db) {
    let statements: &[&str] = match db.backend() {
        rampart_domain::db::Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_head_no_rewind",
        ],
        rampart_domain::db::Backend::Postgres => {
            &["DROP TRIGGER audit_log_no_change ON audit_log", "DROP TRIGGER audit_head_forward_only ON audit_head"]
        }
    };
    for s in statements {
        sql(db, s).await.unwrap();
    }
}

contract_test!(an_entry_edited_directly_in_the_database_is_reported_by_verify, |db| {
    for i in 0..4 {
        clients::create_client(
            &db,
            &cli(),
            &client_input(&format!("Client {i}"), &format!("client-{i}")),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    let exported = audit::head(&db, &cli()).await.unwrap();
    assert_eq!(exported.seq, 5);
    assert_eq!(verify(&db).await.broken, None);
    drop_triggers(&db).await;

    // Edited in place: the entry's content no longer matches its hash.
    sql(&db, "UPDATE audit_log SET summary = 'created nothing' WHERE seq = 3").await.unwrap();
    let found = verify(&db).await.broken.expect("an edited entry is found");
    assert_eq!(found.seq, 3);
    assert!(found.reason.contains("changed after it was written"), "{}", found.reason);

    // Edited with its hash recomputed: the next entry no longer follows it.
    let mut third = entries(&db).await.remove(2);
    third.hash = third.compute_hash();
    sql(&db, &format!("UPDATE audit_log SET hash = '{}' WHERE seq = 3", third.hash)).await.unwrap();
    let found = verify(&db).await.broken.expect("a rewritten entry is found");
    assert_eq!(found.seq, 4);
    assert!(found.reason.contains("does not follow entry 3"), "{}", found.reason);

    // Every later entry rewritten too, and the head: the chain holds again, but not against the
    // head exported before.
    let mut prev = third.hash.clone();
    for mut e in entries(&db).await.into_iter().skip(3) {
        e.prev_hash = prev.clone();
        e.hash = e.compute_hash();
        sql(
            &db,
            &format!("UPDATE audit_log SET prev_hash = '{}', hash = '{}' WHERE seq = {}", e.prev_hash, e.hash, e.seq),
        )
        .await
        .unwrap();
        prev = e.hash;
    }
    sql(&db, &format!("UPDATE audit_head SET last_hash = '{prev}'")).await.unwrap();
    assert_eq!(verify(&db).await.broken, None, "a consistent rewrite passes on its own");
    let against_export = audit::verify(&db, &cli(), Some(&exported)).await.unwrap();
    let found = against_export.broken.expect("the exported head exposes the rewrite");
    assert_eq!(found.seq, 5);
});

contract_test!(entries_removed_from_the_end_or_the_middle_are_reported, |db| {
    for i in 0..3 {
        clients::create_client(
            &db,
            &cli(),
            &client_input(&format!("Client {i}"), &format!("client-{i}")),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    let exported = audit::head(&db, &cli()).await.unwrap();
    drop_triggers(&db).await;
    sql(&db, "DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    let found = verify(&db).await.broken.expect("the missing last entry is found");
    assert_eq!(found.seq, 4);
    assert!(found.reason.contains("missing"), "{}", found.reason);
    // The head moved back as well: only the exported head shows it.
    let third = entries(&db).await.pop().unwrap();
    sql(&db, &format!("UPDATE audit_head SET seq = 3, last_hash = '{}'", third.hash)).await.unwrap();
    assert_eq!(verify(&db).await.broken, None);
    let found = audit::verify(&db, &cli(), Some(&exported)).await.unwrap().broken.expect("cut off");
    assert_eq!(found.seq, 4);
    sql(&db, "DELETE FROM audit_log WHERE seq = 2").await.unwrap();
    let found = verify(&db).await.broken.expect("a gap is found");
    assert_eq!(found.seq, 2);
});

contract_test!(concurrent_changes_chain_without_gaps_or_forks, |db| {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let input = client_input(&format!("Parallel {i}"), &format!("parallel-{i}"));
            clients::create_client(&db, &cli(), &input, chrono::Utc::now()).await.unwrap();
            // Each a first failure of its own account: recorded (a burst for one account is not).
            identity::sign_in(&db, &format!("nobody{i}@example.test"), "whatever it is").await.unwrap_err();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let log = entries(&db).await;
    assert_eq!(log.len(), 1 + 32);
    assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as i64 + 1));
    let checked = verify(&db).await;
    assert_eq!(checked.broken, None);
    assert_eq!(checked.entries, 33);
});

contract_test!(the_viewer_filters_by_client_actor_action_and_time_for_admins_and_auditors_only, |db| {
    let admin = user(&db, "admin@example.test", "admin").await;
    let auditor = user(&db, "auditor@example.test", "auditor").await;
    let manager = user(&db, "manager@example.test", "manager").await;
    let technician = user(&db, "tech@example.test", "technician").await;
    let acme = clients::create_client(&db, &manager, &client_input("Acme", "acme"), chrono::Utc::now()).await.unwrap();
    let beta = clients::create_client(&db, &admin, &client_input("Beta", "beta"), chrono::Utc::now()).await.unwrap();
    clients::update_client(&db, &manager, "acme", acme.version, &client_input("Acme Ltd", "acme"), chrono::Utc::now())
        .await
        .unwrap();
    clients::archive_client(&db, &admin, "beta", chrono::Utc::now()).await.unwrap();
    let _ = beta;

    for who in [&manager, &technician] {
        assert!(matches!(audit::list_entries(&db, who, &Query::default()).await, Err(DomainError::Forbidden)));
        assert!(matches!(
            audit::export_csv(&db, who, &Query::default(), chrono::Utc::now()).await,
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(audit::verify(&db, who, None).await, Err(DomainError::Forbidden)));
    }
    let q = |client: Option<&str>, actor: Option<&str>, action: Option<&str>| Query {
        client: client.map(Into::into),
        actor: actor.map(Into::into),
        action: action.map(Into::into),
        ..Default::default()
    };
    let actions = |page: audit::Page| page.entries.into_iter().map(|e| e.entry.action).collect::<Vec<_>>();
    let all = audit::list_entries(&db, &auditor, &Query::default()).await.unwrap();
    assert_eq!(all.total, 9, "catalog, 4 users, 2 creates, an update, an archive");
    assert_eq!(all.entries[0].entry.action, "client.archive", "newest first");
    let on_acme = audit::list_entries(&db, &auditor, &q(Some("acme"), None, None)).await.unwrap();
    assert_eq!(actions(on_acme.clone()), vec!["client.update", "client.create"]);
    assert_eq!(on_acme.entries[0].client, Some(("acme".into(), "Acme Ltd".into())));
    let archived_client = audit::list_entries(&db, &admin, &q(Some("beta"), None, None)).await.unwrap();
    assert_eq!(actions(archived_client), vec!["client.archive", "client.create"], "archived clients stay filterable");
    let by_manager = audit::list_entries(&db, &admin, &q(None, Some("MANAGER@"), Some("client"))).await.unwrap();
    assert_eq!(actions(by_manager), vec!["client.update", "client.create"]);
    let exact = audit::list_entries(&db, &admin, &q(None, None, Some("client.create"))).await.unwrap();
    assert_eq!(exact.total, 2);
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
    let dated = |from: &str, to: &str| Query { from: Some(from.into()), to: Some(to.into()), ..Default::default() };
    assert_eq!(audit::list_entries(&db, &admin, &dated(&today, &today)).await.unwrap().total, 9);
    assert_eq!(audit::list_entries(&db, &admin, &dated(&tomorrow, &tomorrow)).await.unwrap().total, 0);
    let bad = Query { from: Some("yesterday".into()), client: Some("no-such".into()), ..Default::default() };
    let Err(DomainError::Validation(fields)) = audit::list_entries(&db, &admin, &bad).await else { panic!() };
    let mut named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    named.sort();
    assert_eq!(named, vec!["client", "from"]);
});

contract_test!(the_csv_export_is_neutralised_complete_and_itself_recorded, |db| {
    let auditor = user(&db, "auditor@example.test", "auditor").await;
    clients::create_client(
        &db,
        &cli(),
        &client_input("=HYPERLINK(\"http://evil.example\")", "formula"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let before = head_seq(&db).await;
    let text = audit::export_csv(
        &db,
        &auditor,
        &Query { client: Some("formula".into()), ..Default::default() },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "seq");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][4], "client.create");
    assert_eq!(&rows[0][5], "formula");
    assert!(rows[0][7].starts_with("created “=HYPERLINK"), "only cells that start with = are quoted");
    let log = entries(&db).await;
    let created = log.iter().find(|e| e.action == "client.create").unwrap();
    assert_eq!(&rows[0][9], created.hash.as_str());
    assert_eq!(head_seq(&db).await, before + 1);
    let export = log.last().unwrap();
    assert_eq!(export.action, "export.audit_log");
    assert_eq!(export.actor, "auditor@example.test");
    assert_eq!(export.summary, "1 entries exported (client=formula)");

    // A cell that starts with a formula character is neutralised: here the address a failed
    // sign-in was tried with.
    identity::sign_in(&db, "=1+2", "whatever it is").await.unwrap_err();
    let query = Query { action: Some("auth.sign_in_failed".into()), ..Default::default() };
    let text = audit::export_csv(&db, &auditor, &query, chrono::Utc::now()).await.unwrap();
    let rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(text.as_bytes()).records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][2], "'=1+2");
});

contract_test!(the_head_parses_as_the_cli_prints_it, |db| {
    let head: Chain = audit::head(&db, &cli()).await.unwrap();
    let printed = format!("{}:{}", head.seq, head.last_hash);
    assert_eq!(audit::parse_head(&printed), Some(head));
    assert_eq!(audit::parse_head("12:xyz"), None);
    assert_eq!(audit::parse_head("nonsense"), None);
});

contract_test!(a_change_of_the_score_settings_is_recorded_with_before_and_after, |db| {
    let admin = user(&db, "admin@example.test", "admin").await;
    let before = head_seq(&db).await;
    let values = vec![("leaver_points".to_string(), "4".to_string())];
    let (old, _) = rampart_domain::scoring::get_settings(&db, &admin).await.unwrap();
    let old = old.get("leaver_points").unwrap();
    rampart_domain::scoring::save_settings(&db, &admin, &values, Utc::now()).await.unwrap();
    let log = entries(&db).await;
    assert_eq!(log.len() as i64, before + 1);
    let entry = log.last().unwrap();
    assert_eq!((entry.action.as_str(), entry.object.as_str()), ("score.settings_update", "score_settings"));
    assert_eq!(entry.summary, format!("leaver_points: “{old}” → “4”"));
    let bad = vec![("leaver_points".to_string(), "lots".to_string())];
    assert!(rampart_domain::scoring::save_settings(&db, &admin, &bad, Utc::now()).await.is_err());
    assert_eq!(head_seq(&db).await, before + 1, "a refused change writes nothing");
});
