//! Hardening status on both databases: the catalog loaded and upgraded, checklists by tier,
//! changes with history, conflicts, and who may see and change what.

use chrono::{Duration, Utc};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::controls::{self, catalog, ControlStatus, ControlUpdate, Freshness};
use rampart_domain::identity::{self, NewUser};
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str, tier: &str) {
    let input = ClientInput { name: slug.into(), slug: slug.into(), impact_tier: tier.into(), ..Default::default() };
    clients::create_client(db, &cli(), &input).await.unwrap();
}

async fn user(db: &Db, email: &str, role: &str, clients: &[&str]) -> Actor {
    let new = NewUser {
        email: email.into(),
        display_name: format!("{role} user"),
        role: role.into(),
        clients: clients.iter().map(|s| s.to_string()).collect(),
        password: "a long enough password".into(),
    };
    let user = identity::add_user(db, &cli(), &new).await.unwrap();
    identity::actor_for_user(db, user.id).await.unwrap().unwrap()
}

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
