//! Hardening status on both databases: the catalog loaded and upgraded, checklists by tier,
//! changes with history, conflicts, and who may see and change what.

use chrono::{Duration, Utc};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::controls::{self, catalog, ControlStatus, ControlUpdate, Freshness};
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str, tier: &str) {
    let input = ClientInput { name: slug.into(), slug: slug.into(), impact_tier: tier.into(), ..Default::default() };
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
}

use rampart_domain::testing::user;

fn set(status: &str, version: i64) -> ControlUpdate {
    ControlUpdate { status: status.into(), version, verified_now: true, ..Default::default() }
}

contract_test!(the_built_in_catalog_is_loaded_at_start, |db| {
    let (categories, controls) = controls::list_catalog(&db, &cli(), false).await.unwrap();
    let shipped = catalog::built_in().unwrap();
    assert_eq!(categories.len(), shipped.categories.len());
    assert_eq!(controls.len(), shipped.controls.len());
    assert_eq!(controls, shipped.controls, "every field survives the round trip");
    assert!(!controls::sync_built_in_catalog(&db).await.unwrap(), "an up-to-date catalog is not rewritten");
});

contract_test!(a_newer_catalog_updates_controls_and_retires_dropped_ones_keeping_history, |db| {
    client(&db, "acme", "standard").await;
    controls::update_client_control(&db, &cli(), "acme", "RA-07", &set("implemented", 0), Utc::now()).await.unwrap();

    let mut next = catalog::built_in().unwrap();
    next.version += 1;
    next.controls.retain(|c| c.id != "RA-07");
    next.controls.iter_mut().find(|c| c.id == "RA-01").unwrap().title = "MFA on all remote access, renamed".into();
    assert!(controls::sync_catalog(&db, &next, Utc::now()).await.unwrap());

    let (_, current) = controls::list_catalog(&db, &cli(), false).await.unwrap();
    assert!(current.iter().all(|c| c.id != "RA-07"));
    assert_eq!(current.iter().find(|c| c.id == "RA-01").unwrap().title, "MFA on all remote access, renamed");
    let (_, all) = controls::list_catalog(&db, &cli(), true).await.unwrap();
    assert!(all.iter().find(|c| c.id == "RA-07").unwrap().retired_at.is_some(), "retired, not deleted");

    let checklist = controls::get_checklist(&db, &cli(), "acme", Utc::now()).await.unwrap();
    assert!(checklist.items.iter().all(|i| i.control.id != "RA-07"));
    let (_, item, history) = controls::get_client_control(&db, &cli(), "acme", "RA-07", Utc::now()).await.unwrap();
    assert_eq!((item.status, history.len()), (ControlStatus::Implemented, 1), "its history stays readable");
    let change = controls::update_client_control(&db, &cli(), "acme", "RA-07", &set("partial", 1), Utc::now()).await;
    assert!(matches!(change, Err(DomainError::NotFound)), "but it can no longer change");
});

contract_test!(a_checklist_holds_the_baseline_of_the_clients_tier, |db| {
    client(&db, "small", "standard").await;
    client(&db, "bank", "critical").await;
    let shipped = catalog::built_in().unwrap();
    let small = controls::get_checklist(&db, &cli(), "small", Utc::now()).await.unwrap();
    let bank = controls::get_checklist(&db, &cli(), "bank", Utc::now()).await.unwrap();
    let for_clients = |tier| {
        shipped.controls.iter().filter(|c| c.applies_to != controls::AppliesTo::Msp && c.tiers.contains(&tier)).count()
    };
    assert_eq!(small.items.len(), for_clients(clients::ImpactTier::Standard));
    assert_eq!(bank.items.len(), for_clients(clients::ImpactTier::Critical));
    assert!(bank.items.len() > small.items.len(), "heavier controls apply only to higher tiers");
    assert!(small.items.iter().all(|i| i.status == ControlStatus::NotAssessed && i.version == 0));
    assert!(small.items.iter().all(|i| i.control.applies_to != controls::AppliesTo::Msp));
    assert!(
        matches!(
            controls::get_client_control(&db, &cli(), "small", "RA-03", Utc::now()).await,
            Err(DomainError::NotFound)
        ),
        "MSP-only controls are not on a client's checklist"
    );
});

contract_test!(a_change_is_recorded_with_its_history_and_a_stale_one_is_refused, |db| {
    client(&db, "acme", "standard").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let now = Utc::now();
    let first = ControlUpdate {
        owner: "Ada".into(),
        evidence_note: "Conditional access policy CA-01 screenshot".into(),
        evidence_links: "https://wiki.example/ca-01".into(),
        note: "First assessment".into(),
        ..set("partial", 0)
    };
    let item = controls::update_client_control(&db, &manager, "acme", "RA-01", &first, now).await.unwrap();
    assert_eq!((item.status, item.version), (ControlStatus::Partial, 1));
    assert_eq!(item.last_verified_by.as_deref(), Some("manager user"));
    assert!(matches!(item.freshness, Freshness::Current { due: Some(_) }));
    assert_eq!(item.evidence_links, vec!["https://wiki.example/ca-01"]);

    let stale = controls::update_client_control(&db, &manager, "acme", "RA-01", &set("implemented", 0), now).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })), "{stale:?}");
    let second =
        controls::update_client_control(&db, &manager, "acme", "RA-01", &set("implemented", 1), now).await.unwrap();
    assert_eq!(second.version, 2);

    let (_, _, history) = controls::get_client_control(&db, &manager, "acme", "RA-01", now).await.unwrap();
    let steps: Vec<_> = history.iter().map(|h| (h.from, h.to)).collect();
    assert_eq!(
        steps,
        vec![
            (ControlStatus::Partial, ControlStatus::Implemented),
            (ControlStatus::NotAssessed, ControlStatus::Partial)
        ]
    );
    assert_eq!(history[1].note, "First assessment");

    let later = now + Duration::days(200);
    let (_, aged, _) = controls::get_client_control(&db, &manager, "acme", "RA-01", later).await.unwrap();
    assert!(matches!(aged.freshness, Freshness::Stale { .. }), "a quarterly control is stale after 200 days");
});

contract_test!(bad_control_input_writes_nothing, |db| {
    client(&db, "acme", "standard").await;
    let now = Utc::now();
    let no_reason = controls::update_client_control(&db, &cli(), "acme", "RA-01", &set("not_applicable", 0), now).await;
    assert!(matches!(no_reason, Err(DomainError::Validation(e)) if e[0].field == "justification"));
    for (control, slug) in [("XX-99", "acme"), ("RA-01", "no-such-client")] {
        let r = controls::update_client_control(&db, &cli(), slug, control, &set("implemented", 0), now).await;
        assert!(matches!(r, Err(DomainError::NotFound)), "{control} {slug}: {r:?}");
    }
    let (_, item, history) = controls::get_client_control(&db, &cli(), "acme", "RA-01", now).await.unwrap();
    assert_eq!((item.version, history.len()), (0, 0));

    let reasoned =
        ControlUpdate { justification: "The client has no remote access at all.".into(), ..set("not_applicable", 0) };
    let item = controls::update_client_control(&db, &cli(), "acme", "RA-01", &reasoned, now).await.unwrap();
    assert_eq!(item.status, ControlStatus::NotApplicable);
    assert_eq!(item.justification, "The client has no remote access at all.");
});

contract_test!(only_the_right_people_see_and_change_a_clients_controls, |db| {
    client(&db, "own", "standard").await;
    client(&db, "foreign", "standard").await;
    let tech = user(&db, "t@example.test", "technician", &["own"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["own"]).await;
    let auditor = user(&db, "a@example.test", "auditor", &[]).await;
    let now = Utc::now();
    let with_evidence =
        ControlUpdate { evidence_note: "Internal: admin password in vault item 42".into(), ..set("implemented", 0) };
    controls::update_client_control(&db, &tech, "own", "RA-01", &with_evidence, now)
        .await
        .expect("a technician edits own clients");
    for actor in [&tech, &viewer] {
        let r = controls::update_client_control(&db, actor, "foreign", "RA-01", &set("partial", 0), now).await;
        assert!(matches!(r, Err(DomainError::NotFound)));
        assert!(matches!(controls::get_checklist(&db, actor, "foreign", now).await, Err(DomainError::NotFound)));
    }
    for actor in [&viewer, &auditor] {
        let r = controls::update_client_control(&db, actor, "own", "RA-01", &set("partial", 1), now).await;
        assert!(matches!(r, Err(DomainError::Forbidden)), "{:?}", actor.role);
    }
    let seen = controls::get_checklist(&db, &viewer, "own", now).await.unwrap();
    let ra01 = seen.items.iter().find(|i| i.control.id == "RA-01").unwrap();
    assert_eq!(ra01.status, ControlStatus::Implemented);
    assert!(ra01.evidence_note.is_empty(), "internal evidence never reaches a client viewer");
    assert!(matches!(controls::list_catalog(&db, &viewer, false).await, Err(DomainError::Forbidden)));
    assert!(controls::list_catalog(&db, &auditor, false).await.is_ok());
});

contract_test!(demo_clients_get_varied_checklists_with_history, |db| {
    rampart_domain::demo::fill(&db, rampart_domain::demo::DemoSize::Small, 3).await.unwrap();
    let page =
        clients::list_clients(&db, &cli(), clients::ClientFilter { per_page: 5, ..Default::default() }).await.unwrap();
    let mut implemented_shares = Vec::new();
    for c in &page.items {
        let checklist = controls::get_checklist(&db, &cli(), &c.slug, Utc::now()).await.unwrap();
        let done = checklist.items.iter().filter(|i| i.status == ControlStatus::Implemented).count();
        implemented_shares.push(done * 100 / checklist.items.len());
        assert!(checklist.items.iter().any(|i| i.version > 0), "{} has recorded states", c.slug);
        let recorded = checklist.items.iter().find(|i| i.version > 0).unwrap();
        let (_, _, history) =
            controls::get_client_control(&db, &cli(), &c.slug, &recorded.control.id, Utc::now()).await.unwrap();
        assert_eq!(history.len() as i64, recorded.version, "one history line per change");
        assert!(history.last().unwrap().changed_at >= c.created_at, "history starts after the client arrived");
    }
    implemented_shares.sort();
    assert!(implemented_shares.first() != implemented_shares.last(), "clients differ: {implemented_shares:?}");
});

fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days)).format("%Y-%m-%d").to_string()
}

contract_test!(a_risk_acceptance_needs_a_second_person_and_an_expiry, |db| {
    use controls::ExceptionState;
    client(&db, "acme", "standard").await;
    let tech = user(&db, "t@example.test", "technician", &["acme"]).await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let other_manager = user(&db, "m2@example.test", "manager", &[]).await;
    let now = Utc::now();
    let reason = "Legacy VPN appliance is replaced next quarter; compensating IP allow-list.";

    for (reason, expires, field) in [
        ("short", in_days(30), "reason"),
        (reason, in_days(-1), "expires_on"),
        (reason, in_days(400), "expires_on"),
        (reason, "next month".to_string(), "expires_on"),
    ] {
        let r = controls::request_exception(&db, &manager, "acme", "RA-04", reason, &expires, now).await;
        assert!(matches!(&r, Err(DomainError::Validation(e)) if e[0].field == field), "{expires}: {r:?}");
    }
    let asked = controls::request_exception(&db, &manager, "acme", "RA-04", reason, &in_days(90), now).await.unwrap();
    assert_eq!(asked.state, ExceptionState::Pending);
    let again = controls::request_exception(&db, &other_manager, "acme", "RA-04", reason, &in_days(30), now).await;
    assert!(matches!(again, Err(DomainError::Conflict { .. })), "one open acceptance per control");
    let by_tech = controls::request_exception(&db, &tech, "acme", "RA-05", reason, &in_days(30), now).await;
    assert!(matches!(by_tech, Err(DomainError::Forbidden)), "only managers and admins ask for exceptions");

    let own = controls::approve_exception(&db, &manager, asked.id, now).await;
    assert!(matches!(own, Err(DomainError::Validation(e)) if e[0].field == "approved_by"), "no self-approval");
    assert!(matches!(controls::approve_exception(&db, &tech, asked.id, now).await, Err(DomainError::Forbidden)));
    let approved = controls::approve_exception(&db, &other_manager, asked.id, now).await.unwrap();
    assert_eq!((approved.state, approved.approved_by.as_deref()), (ExceptionState::Active, Some("manager user")));
    assert!(matches!(
        controls::approve_exception(&db, &other_manager, asked.id, now).await,
        Err(DomainError::Conflict { .. })
    ));

    let checklist = controls::get_checklist(&db, &tech, "acme", now).await.unwrap();
    let ra04 = checklist.items.iter().find(|i| i.control.id == "RA-04").unwrap();
    assert_eq!(ra04.exception.as_ref().map(|e| e.state), Some(ExceptionState::Active));
    let later = now + Duration::days(120);
    let (_, aged, _) = controls::get_client_control(&db, &tech, "acme", "RA-04", later).await.unwrap();
    assert_eq!(aged.exception.map(|e| e.state), Some(ExceptionState::Expired));

    let ended = controls::end_exception(&db, &other_manager, asked.id, now).await.unwrap();
    assert_eq!(ended.state, ExceptionState::Ended);
    let (_, _, history) = controls::get_client_control(&db, &tech, "acme", "RA-04", now).await.unwrap();
    let notes: Vec<&str> = history.iter().map(|h| h.note.as_str()).collect();
    assert!(notes[0].starts_with("Risk acceptance revoked"), "{notes:?}");
    assert!(notes[1].starts_with("Risk acceptance approved"), "{notes:?}");
    assert!(notes[2].starts_with("Risk acceptance requested"), "{notes:?}");

    let renewed = controls::request_exception(&db, &manager, "acme", "RA-04", reason, &in_days(30), now).await.unwrap();
    assert!(matches!(controls::end_exception(&db, &tech, renewed.id, now).await, Err(DomainError::Forbidden)));
    // Who asked, and has since lost the right to ask (moved to auditor), may not withdraw.
    let mut moved = manager.clone();
    moved.role = rampart_domain::Role::Auditor;
    assert!(matches!(controls::end_exception(&db, &moved, renewed.id, now).await, Err(DomainError::Forbidden)));
    let withdrawn = controls::end_exception(&db, &manager, renewed.id, now).await.unwrap();
    assert_eq!(withdrawn.state, ExceptionState::Ended, "who asked may withdraw");
});

contract_test!(exceptions_of_other_clients_are_not_found, |db| {
    client(&db, "own", "standard").await;
    client(&db, "foreign", "standard").await;
    let tech = user(&db, "t@example.test", "technician", &["own"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["own"]).await;
    let now = Utc::now();
    let foreign =
        controls::request_exception(&db, &cli(), "foreign", "RA-04", "A reason long enough", &in_days(10), now)
            .await
            .unwrap();
    for actor in [&tech, &viewer] {
        assert!(matches!(controls::approve_exception(&db, actor, foreign.id, now).await, Err(DomainError::NotFound)));
        assert!(matches!(controls::end_exception(&db, actor, foreign.id, now).await, Err(DomainError::NotFound)));
        assert!(matches!(controls::approve_exception(&db, actor, 987_654, now).await, Err(DomainError::NotFound)));
    }
    let r = controls::request_exception(&db, &viewer, "own", "RA-04", "A reason long enough", &in_days(10), now).await;
    assert!(matches!(r, Err(DomainError::Forbidden)));
});

contract_test!(a_bulk_update_changes_all_or_nothing, |db| {
    client(&db, "acme", "standard").await;
    let now = Utc::now();
    controls::update_client_control(&db, &cli(), "acme", "RA-01", &set("partial", 0), now).await.unwrap();
    let update = ControlUpdate { note: "Quarterly review".into(), ..set("implemented", 0) };
    let picked = |v: i64| vec![("RA-01".to_string(), v), ("RA-04".to_string(), 0), ("RA-05".to_string(), 0)];

    let stale = controls::update_client_controls(&db, &cli(), "acme", &picked(0), &update, now).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })), "RA-01 is at version 1");
    let unknown = vec![("RA-04".to_string(), 0), ("RA-03".to_string(), 0)];
    let r = controls::update_client_controls(&db, &cli(), "acme", &unknown, &update, now).await;
    assert!(matches!(r, Err(DomainError::Validation(e)) if e[0].field == "selected"), "MSP-only controls are refused");
    assert!(matches!(
        controls::update_client_controls(&db, &cli(), "acme", &[], &update, now).await,
        Err(DomainError::Validation(_))
    ));
    let checklist = controls::get_checklist(&db, &cli(), "acme", now).await.unwrap();
    let status = |id: &str| checklist.items.iter().find(|i| i.control.id == id).unwrap().status;
    assert_eq!(
        (status("RA-04"), status("RA-05")),
        (ControlStatus::NotAssessed, ControlStatus::NotAssessed),
        "nothing half-written"
    );

    assert_eq!(controls::update_client_controls(&db, &cli(), "acme", &picked(1), &update, now).await.unwrap(), 3);
    let checklist = controls::get_checklist(&db, &cli(), "acme", now).await.unwrap();
    for id in ["RA-01", "RA-04", "RA-05"] {
        let item = checklist.items.iter().find(|i| i.control.id == id).unwrap();
        assert_eq!(item.status, ControlStatus::Implemented, "{id}");
    }
    let (_, _, history) = controls::get_client_control(&db, &cli(), "acme", "RA-01", now).await.unwrap();
    assert_eq!(
        (history[0].from, history[0].to, history[0].note.as_str()),
        (ControlStatus::Partial, ControlStatus::Implemented, "Quarterly review")
    );
});

contract_test!(overdue_evidence_is_listed_across_the_clients_one_may_see, |db| {
    client(&db, "own", "standard").await;
    client(&db, "foreign", "standard").await;
    client(&db, "gone", "standard").await;
    let tech = user(&db, "t@example.test", "technician", &["own"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["own"]).await;
    let now = Utc::now();
    for slug in ["own", "foreign", "gone"] {
        controls::update_client_control(&db, &cli(), slug, "RA-01", &set("implemented", 0), now).await.unwrap();
    }
    let not_applicable =
        ControlUpdate { justification: "No remote access at this client.".into(), ..set("not_applicable", 0) };
    controls::update_client_control(&db, &cli(), "own", "RA-02", &not_applicable, now).await.unwrap();
    clients::archive_client(&db, &cli(), "gone", chrono::Utc::now()).await.unwrap();

    let (items, total) = controls::list_overdue(&db, &cli(), now, 100).await.unwrap();
    assert_eq!((items.len(), total), (0, 0), "nothing is overdue today");

    let later = now + Duration::days(200);
    let (items, total) = controls::list_overdue(&db, &cli(), later, 100).await.unwrap();
    let seen: Vec<(&str, &str)> = items.iter().map(|i| (i.client_slug.as_str(), i.control_id.as_str())).collect();
    assert_eq!(seen, vec![("foreign", "RA-01"), ("own", "RA-01")], "archived clients and N/A controls are left out");
    assert_eq!(total, 2);
    let (mine, _) = controls::list_overdue(&db, &tech, later, 100).await.unwrap();
    assert_eq!(mine.iter().map(|i| i.client_slug.as_str()).collect::<Vec<_>>(), vec!["own"]);
    assert!(matches!(controls::list_overdue(&db, &viewer, later, 100).await, Err(DomainError::Forbidden)));

    // A catalog that reviews RA-01 weekly makes it due within days.
    let mut next = catalog::built_in().unwrap();
    next.version += 1;
    next.controls.iter_mut().find(|c| c.id == "RA-01").unwrap().review = controls::ReviewFrequency::Weekly;
    controls::sync_catalog(&db, &next, now).await.unwrap();
    let (soon, _) = controls::list_overdue(&db, &cli(), now + Duration::days(8), 100).await.unwrap();
    assert_eq!(soon.len(), 2, "due times follow the new frequency");
});

fn custom(title: &str, tiers: &[&str]) -> controls::CustomControlInput {
    controls::CustomControlInput {
        title: title.into(),
        description: "Printers are on their own VLAN with no route to servers.".into(),
        category_id: "NS".into(),
        severity: "3".into(),
        review: "annual".into(),
        applies_to: "client".into(),
        tiers: tiers.iter().map(|t| t.to_string()).collect(),
        references: "Internal policy: NET-7\nCIS v8: 12.2".into(),
    }
}

contract_test!(custom_controls_are_added_changed_and_retired_by_managers, |db| {
    client(&db, "acme", "standard").await;
    client(&db, "bank", "critical").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let tech = user(&db, "t@example.test", "technician", &[]).await;
    let now = Utc::now();

    let Err(DomainError::Validation(errors)) =
        controls::create_custom_control(&db, &manager, &controls::CustomControlInput::default()).await
    else {
        panic!("an empty control is refused")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for field in ["title", "description", "category_id", "severity", "review", "applies_to", "tiers"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let bad_refs = controls::CustomControlInput {
        references: "no colon here".into(),
        ..custom("Printers isolated", &["critical"])
    };
    assert!(
        matches!(controls::create_custom_control(&db, &manager, &bad_refs).await, Err(DomainError::Validation(e)) if e[0].field == "references")
    );
    assert!(matches!(
        controls::create_custom_control(&db, &tech, &custom("Printers isolated", &["critical"])).await,
        Err(DomainError::Forbidden)
    ));

    let first =
        controls::create_custom_control(&db, &manager, &custom("Printers isolated", &["critical"])).await.unwrap();
    let second =
        controls::create_custom_control(&db, &manager, &custom("Guest Wi-Fi isolated", &["standard", "critical"]))
            .await
            .unwrap();
    assert_eq!((first.id.as_str(), second.id.as_str()), ("CUS-01", "CUS-02"));
    assert!(!first.built_in);
    assert_eq!(first.references[1].source, "CIS v8");

    let on = |checklist: &controls::Checklist, id: &str| checklist.items.iter().any(|i| i.control.id == id);
    let bank = controls::get_checklist(&db, &manager, "bank", now).await.unwrap();
    let acme = controls::get_checklist(&db, &manager, "acme", now).await.unwrap();
    assert!(on(&bank, "CUS-01") && on(&bank, "CUS-02") && !on(&acme, "CUS-01") && on(&acme, "CUS-02"));

    let changed = controls::update_custom_control(
        &db,
        &manager,
        "CUS-01",
        &custom("Printers on their own VLAN", &["standard", "critical"]),
    )
    .await
    .unwrap();
    assert_eq!(changed.title, "Printers on their own VLAN");
    let built_in = controls::update_custom_control(&db, &manager, "RA-01", &custom("Hijack", &["critical"])).await;
    assert!(matches!(built_in, Err(DomainError::NotFound)), "built-in controls change only with the catalog file");

    controls::update_client_control(&db, &manager, "acme", "CUS-01", &set("implemented", 0), now).await.unwrap();
    controls::retire_custom_control(&db, &manager, "CUS-01", now).await.unwrap();
    let acme = controls::get_checklist(&db, &manager, "acme", now).await.unwrap();
    assert!(!on(&acme, "CUS-01"), "a retired control leaves the checklists");
    let (_, _, history) = controls::get_client_control(&db, &manager, "acme", "CUS-01", now).await.unwrap();
    assert_eq!(history.len(), 1, "and keeps its history");
    assert!(matches!(controls::retire_custom_control(&db, &manager, "RA-01", now).await, Err(DomainError::NotFound)));
    let third = controls::create_custom_control(&db, &manager, &custom("Another", &["critical"])).await.unwrap();
    assert_eq!(third.id, "CUS-03", "a retired id is never handed out again");
    assert!(!controls::sync_built_in_catalog(&db).await.unwrap());
    assert!(
        controls::get_control(&db, &manager, "CUS-02").await.is_ok(),
        "the catalog load leaves custom controls alone"
    );
});

contract_test!(only_evidence_shared_with_the_client_reaches_its_viewers, |db| {
    use rampart_domain::controls::{self, ControlUpdate};
    client(&db, "acme", "standard").await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["acme"]).await;
    let now = chrono::Utc::now();
    let shared = ControlUpdate {
        status: "implemented".into(),
        owner: "Internal owner".into(),
        evidence_note: "MFA report exported from the RMM".into(),
        evidence_links: "https://evidence.example/mfa".into(),
        share_evidence: true,
        verified_now: true,
        ..Default::default()
    };
    controls::update_client_control(&db, &cli(), "acme", "RA-01", &shared, now).await.unwrap();
    let kept =
        ControlUpdate { evidence_note: "Firewall export, internal".into(), share_evidence: false, ..shared.clone() };
    controls::update_client_control(&db, &cli(), "acme", "RA-02", &kept, now).await.unwrap();
    let (_, ra01, _) = controls::get_client_control(&db, &viewer, "acme", "RA-01", now).await.unwrap();
    assert_eq!(ra01.evidence_note, "MFA report exported from the RMM");
    assert_eq!(ra01.evidence_links, vec!["https://evidence.example/mfa".to_string()]);
    assert_eq!(ra01.owner, "", "the owner stays internal even when evidence is shared");
    let (_, ra02, _) = controls::get_client_control(&db, &viewer, "acme", "RA-02", now).await.unwrap();
    assert!(ra02.evidence_note.is_empty() && ra02.evidence_links.is_empty(), "not shared: not shown");
    let (_, staff_view, _) = controls::get_client_control(&db, &cli(), "acme", "RA-02", now).await.unwrap();
    assert_eq!(staff_view.evidence_note, "Firewall export, internal");
    // Un-sharing takes it back.
    let (_, current, _) = controls::get_client_control(&db, &cli(), "acme", "RA-01", now).await.unwrap();
    let unshare = ControlUpdate { version: current.version, share_evidence: false, ..shared };
    controls::update_client_control(&db, &cli(), "acme", "RA-01", &unshare, now).await.unwrap();
    let (_, ra01, _) = controls::get_client_control(&db, &viewer, "acme", "RA-01", now).await.unwrap();
    assert!(ra01.evidence_note.is_empty());
});
