//! The storage contract: the same stories on SQLite always and on PostgreSQL when
//! RAMPART_TEST_POSTGRES_URL is set, each test in a fresh database of its own.

use rampart_domain::authz::{Actor, ClientScope};
use rampart_domain::clients::{self, ClientFilter, ClientInput, ClientSort, ImpactTier};
use rampart_domain::db::DbSessionStore;
use rampart_domain::identity::{self, NewUser};
use rampart_domain::{contract_test, demo, Db, DomainError, Role};

fn cli() -> Actor {
    Actor::command_line()
}

fn input(name: &str, slug: &str, tier: &str, tags: &str) -> ClientInput {
    ClientInput {
        name: name.into(),
        slug: slug.into(),
        impact_tier: tier.into(),
        sector: "Healthcare".into(),
        tags: tags.into(),
        contact_name: "Ada Byron".into(),
        contact_email: "ada@example.test".into(),
        notes: "Internal: alarm code in the vault.".into(),
    }
}

async fn add_user(db: &Db, email: &str, role: &str, clients: &[&str]) -> Actor {
    let user = identity::add_user(
        db,
        &cli(),
        &NewUser {
            email: email.into(),
            display_name: "Test User".into(),
            role: role.into(),
            clients: clients.iter().map(|s| s.to_string()).collect(),
            password: "a long enough password".into(),
        },
        chrono::Utc::now(),
    )
    .await
    .expect("user added");
    let actor = identity::actor_for_user(db, user.id).await.expect("query").expect("active user");
    actor.in_session(Some(chrono::Utc::now()), &[])
}

async fn names(db: &Db, actor: &Actor, filter: ClientFilter) -> Vec<String> {
    clients::list_clients(db, actor, filter).await.expect("list").items.into_iter().map(|c| c.name).collect()
}

contract_test!(migrations_apply_once_and_again, |db| {
    db.migrate().await.expect("a second migration run is a no-op");
    db.ping().await.expect("ping");
});

contract_test!(a_client_is_created_read_listed_updated_and_archived, |db| {
    let created =
        clients::create_client(&db, &cli(), &input("Acme Dental", "", "sensitive", "m365, hipaa"), chrono::Utc::now())
            .await
            .unwrap();
    assert_eq!(created.slug, "acme-dental");
    assert_eq!(created.impact_tier, ImpactTier::Sensitive);
    assert_eq!(created.tags, vec!["hipaa", "m365"]);
    assert_eq!(created.version, 1);

    let read = clients::get_client(&db, &cli(), "acme-dental").await.unwrap();
    assert_eq!(read, created);

    let mut changed = input("Acme Dental Group", "ignored-on-update", "critical", "m365");
    changed.sector = "Legal".into();
    let updated = clients::update_client(&db, &cli(), "acme-dental", 1, &changed, chrono::Utc::now()).await.unwrap();
    assert_eq!(updated.name, "Acme Dental Group");
    assert_eq!(updated.slug, "acme-dental", "the slug is permanent");
    assert_eq!(updated.sector, "Legal");
    assert_eq!(updated.tags, vec!["m365"]);
    assert_eq!(updated.version, 2);
    assert!(updated.updated_at >= created.updated_at);

    let archived = clients::archive_client(&db, &cli(), "acme-dental", chrono::Utc::now()).await.unwrap();
    assert!(archived.archived_at.is_some());
    assert!(names(&db, &cli(), ClientFilter::default()).await.is_empty(), "archived clients are hidden by default");
    let all = ClientFilter { include_archived: true, ..Default::default() };
    assert_eq!(names(&db, &cli(), all).await, vec!["Acme Dental Group"]);
    assert!(matches!(
        clients::update_client(&db, &cli(), "acme-dental", archived.version, &changed, chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    assert!(matches!(
        clients::archive_client(&db, &cli(), "acme-dental", chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    let restored = clients::restore_client(&db, &cli(), "acme-dental", chrono::Utc::now()).await.unwrap();
    assert!(restored.archived_at.is_none());
});

contract_test!(a_stale_update_is_a_conflict_and_changes_nothing, |db| {
    clients::create_client(&db, &cli(), &input("Acme", "acme", "standard", ""), chrono::Utc::now()).await.unwrap();
    clients::update_client(&db, &cli(), "acme", 1, &input("Acme One", "", "standard", ""), chrono::Utc::now())
        .await
        .unwrap();
    let stale =
        clients::update_client(&db, &cli(), "acme", 1, &input("Acme Two", "", "standard", ""), chrono::Utc::now())
            .await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })), "{stale:?}");
    assert_eq!(clients::get_client(&db, &cli(), "acme").await.unwrap().name, "Acme One");
});

contract_test!(a_duplicate_slug_is_a_conflict_at_the_slug_field_and_writes_nothing, |db| {
    clients::create_client(&db, &cli(), &input("Acme", "acme", "standard", "a"), chrono::Utc::now()).await.unwrap();
    let again =
        clients::create_client(&db, &cli(), &input("Acme Two", "acme", "critical", "b, c"), chrono::Utc::now()).await;
    match again {
        Err(DomainError::Conflict { field, message }) => {
            assert_eq!(field.as_deref(), Some("slug"));
            assert!(message.contains("already used"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let page = clients::list_clients(&db, &cli(), ClientFilter { include_archived: true, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(clients::list_tags(&db, &cli()).await.unwrap(), vec!["a"], "the failed insert left no tags behind");
});

contract_test!(invalid_input_writes_nothing, |db| {
    let bad = input("", "", "extreme", "");
    assert!(matches!(
        clients::create_client(&db, &cli(), &bad, chrono::Utc::now()).await,
        Err(DomainError::Validation(_))
    ));
    clients::create_client(&db, &cli(), &input("Acme", "acme", "standard", "keep"), chrono::Utc::now()).await.unwrap();
    let bad_update = input("Acme", "", "standard", "not/valid");
    assert!(matches!(
        clients::update_client(&db, &cli(), "acme", 1, &bad_update, chrono::Utc::now()).await,
        Err(DomainError::Validation(_))
    ));
    let client = clients::get_client(&db, &cli(), "acme").await.unwrap();
    assert_eq!((client.version, client.tags), (1, vec!["keep".to_string()]));
});

contract_test!(lists_search_filter_sort_and_page, |db| {
    for (name, tier, tags) in [
        ("Zeta Legal", "standard", "m365"),
        ("alpha Clinic", "critical", "hipaa, m365"),
        ("Beta 50% Builders", "sensitive", ""),
        ("Gamma Freight", "critical", "erp"),
    ] {
        clients::create_client(&db, &cli(), &input(name, "", tier, tags), chrono::Utc::now()).await.unwrap();
    }
    let admin = cli();
    let by = |f: ClientFilter| names(&db, &admin, f);
    assert_eq!(
        by(ClientFilter::default()).await,
        vec!["alpha Clinic", "Beta 50% Builders", "Gamma Freight", "Zeta Legal"]
    );
    assert_eq!(
        by(ClientFilter { sort: ClientSort::NameDesc, ..Default::default() }).await,
        vec!["Zeta Legal", "Gamma Freight", "Beta 50% Builders", "alpha Clinic"]
    );
    assert_eq!(
        by(ClientFilter { sort: ClientSort::Tier, ..Default::default() }).await,
        vec!["alpha Clinic", "Gamma Freight", "Beta 50% Builders", "Zeta Legal"]
    );
    assert_eq!(by(ClientFilter { search: Some("ALPHA".into()), ..Default::default() }).await, vec!["alpha Clinic"]);
    assert_eq!(by(ClientFilter { search: Some("50%".into()), ..Default::default() }).await, vec!["Beta 50% Builders"]);
    assert_eq!(
        by(ClientFilter { search: Some("%".into()), ..Default::default() }).await,
        vec!["Beta 50% Builders"],
        "a wildcard is literal"
    );
    assert_eq!(by(ClientFilter { search: Some("a_c".into()), ..Default::default() }).await, Vec::<String>::new());
    assert_eq!(
        by(ClientFilter { tier: Some(ImpactTier::Critical), ..Default::default() }).await,
        vec!["alpha Clinic", "Gamma Freight"]
    );
    assert_eq!(
        by(ClientFilter { tag: Some("M365".into()), ..Default::default() }).await,
        vec!["alpha Clinic", "Zeta Legal"]
    );
    let page2 =
        clients::list_clients(&db, &cli(), ClientFilter { per_page: 3, page: 2, ..Default::default() }).await.unwrap();
    assert_eq!((page2.total, page2.items.len(), page2.items[0].name.as_str()), (4, 1, "Zeta Legal"));
    assert_eq!(clients::list_tags(&db, &cli()).await.unwrap(), vec!["erp", "hipaa", "m365"]);
    let counts = clients::count_clients(&db, &cli()).await.unwrap();
    assert_eq!((counts.active, counts.standard, counts.sensitive, counts.critical), (4, 1, 1, 2));
    // "50%" is the text 50%, not "50 and anything": a client named 500 is not found by it.
    clients::create_client(&db, &cli(), &input("Delta 500 Logistics", "", "standard", ""), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(by(ClientFilter { search: Some("50%".into()), ..Default::default() }).await, vec!["Beta 50% Builders"]);
    assert_eq!(
        by(ClientFilter { search: Some("50".into()), ..Default::default() }).await,
        vec!["Beta 50% Builders", "Delta 500 Logistics"]
    );
});

contract_test!(restricted_users_see_only_their_clients_and_others_are_not_found, |db| {
    for slug in ["own-one", "own-two", "foreign"] {
        clients::create_client(&db, &cli(), &input(slug, slug, "standard", slug), chrono::Utc::now()).await.unwrap();
    }
    let tech = add_user(&db, "tech@example.test", "technician", &["own-one", "own-two"]).await;
    assert_eq!(tech.scope, ClientScope::Only(vec![1, 2]));
    let viewer = add_user(&db, "viewer@example.test", "client_viewer", &["own-one"]).await;
    let auditor = add_user(&db, "auditor@example.test", "auditor", &[]).await;

    assert_eq!(names(&db, &tech, ClientFilter::default()).await, vec!["own-one", "own-two"]);
    assert_eq!(names(&db, &viewer, ClientFilter::default()).await, vec!["own-one"]);
    assert_eq!(names(&db, &auditor, ClientFilter::default()).await.len(), 3);
    assert_eq!(clients::list_tags(&db, &viewer).await.unwrap(), vec!["own-one"]);
    assert_eq!(clients::count_clients(&db, &tech).await.unwrap().active, 2);

    for actor in [&tech, &viewer] {
        assert!(matches!(clients::get_client(&db, actor, "foreign").await, Err(DomainError::NotFound)));
        assert!(matches!(clients::get_client(&db, actor, "no-such-client").await, Err(DomainError::NotFound)));
        let edit = input("x", "", "standard", "");
        assert!(matches!(
            clients::update_client(&db, actor, "foreign", 1, &edit, chrono::Utc::now()).await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            clients::archive_client(&db, actor, "foreign", chrono::Utc::now()).await,
            Err(DomainError::NotFound)
        ));
        assert!(matches!(
            clients::update_client(&db, actor, "own-one", 1, &edit, chrono::Utc::now()).await,
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(
            clients::create_client(&db, actor, &input("New", "", "standard", ""), chrono::Utc::now()).await,
            Err(DomainError::Forbidden)
        ));
    }
    assert!(matches!(clients::count_clients(&db, &viewer).await, Err(DomainError::Forbidden)));
    let seen_by_viewer = clients::get_client(&db, &viewer, "own-one").await.unwrap();
    assert_eq!(seen_by_viewer.notes, "", "internal notes never reach a client viewer");
    assert!(!clients::get_client(&db, &tech, "own-one").await.unwrap().notes.is_empty());
    assert!(matches!(
        clients::update_client(&db, &auditor, "own-one", 1, &input("x", "", "standard", ""), chrono::Utc::now()).await,
        Err(DomainError::Forbidden)
    ));
});

contract_test!(sign_in_accepts_the_right_password_only_and_never_a_disabled_user, |db| {
    clients::create_client(&db, &cli(), &input("Acme", "acme", "standard", ""), chrono::Utc::now()).await.unwrap();
    let manager = add_user(&db, "Manager@Example.test", "manager", &[]).await;
    assert_eq!(manager.email, "manager@example.test");
    assert_eq!(manager.role, Role::Manager);
    let id = identity::sign_in(&db, " MANAGER@example.test ", "a long enough password").await.unwrap();
    assert_eq!(Some(id), manager.user_id);
    for (email, password) in
        [("manager@example.test", "a wrong password!"), ("nobody@example.test", "a long enough password"), ("", "")]
    {
        assert!(matches!(identity::sign_in(&db, email, password).await, Err(DomainError::BadCredentials)));
    }
    identity::disable_user(&db, &cli(), "manager@example.test", chrono::Utc::now()).await.unwrap();
    assert!(matches!(
        identity::sign_in(&db, "manager@example.test", "a long enough password").await,
        Err(DomainError::BadCredentials)
    ));
    assert!(identity::actor_for_user(&db, id).await.unwrap().is_none(), "a disabled user's session stops working");
    identity::enable_user(&db, &cli(), "manager@example.test", chrono::Utc::now()).await.unwrap();
    assert!(identity::actor_for_user(&db, id).await.unwrap().is_some());
});

contract_test!(user_rules_are_enforced, |db| {
    clients::create_client(&db, &cli(), &input("Acme", "acme", "standard", ""), chrono::Utc::now()).await.unwrap();
    let admin = add_user(&db, "admin@example.test", "admin", &[]).await;
    let new = |email: &str, role: &str, clients: Vec<String>| NewUser {
        email: email.into(),
        display_name: "X".into(),
        role: role.into(),
        clients,
        password: "a long enough password".into(),
    };
    let dup = identity::add_user(&db, &admin, &new("ADMIN@example.test", "manager", vec![]), chrono::Utc::now()).await;
    assert!(matches!(dup, Err(DomainError::Conflict { field: Some(f), .. }) if f == "email"));
    let orphan_viewer =
        identity::add_user(&db, &admin, &new("v@example.test", "client_viewer", vec![]), chrono::Utc::now()).await;
    assert!(matches!(orphan_viewer, Err(DomainError::Validation(e)) if e[0].field == "clients"));
    let unknown_client =
        identity::add_user(&db, &admin, &new("t@example.test", "technician", vec!["nope".into()]), chrono::Utc::now())
            .await;
    assert!(matches!(unknown_client, Err(DomainError::Validation(_))));
    let weak = NewUser { password: "short".into(), ..new("w@example.test", "auditor", vec![]) };
    assert!(matches!(
        identity::add_user(&db, &admin, &weak, chrono::Utc::now()).await,
        Err(DomainError::Validation(_))
    ));
    let manager = add_user(&db, "m@example.test", "manager", &[]).await;
    assert!(matches!(
        identity::add_user(&db, &manager, &new("x@example.test", "admin", vec![]), chrono::Utc::now()).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        identity::disable_user(&db, &admin, "admin@example.test", chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    assert_eq!(identity::list_users(&db, &admin).await.unwrap().len(), 2, "failed additions wrote nothing");
    assert!(matches!(
        identity::list_users(&db, &add_user(&db, "t2@example.test", "technician", &[]).await).await,
        Err(DomainError::Forbidden)
    ));
});

contract_test!(sessions_are_stored_loaded_saved_and_deleted, |db| {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    let store = DbSessionStore::new(db.clone());
    let in_an_hour = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut record = Record { id: Id::default(), data: Default::default(), expiry_date: in_an_hour };
    record.data.insert("user_id".into(), serde_json::json!(42));
    store.create(&mut record).await.unwrap();
    let loaded = store.load(&record.id).await.unwrap().expect("stored");
    assert_eq!(loaded.data, record.data);
    assert_eq!(loaded.expiry_date.unix_timestamp(), record.expiry_date.unix_timestamp());

    record.data.insert("user_id".into(), serde_json::json!(43));
    store.save(&record).await.unwrap();
    assert_eq!(store.load(&record.id).await.unwrap().unwrap().data["user_id"], 43);

    let mut expired = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
    };
    store.create(&mut expired).await.unwrap();
    assert!(store.load(&expired.id).await.unwrap().is_none(), "an expired session does not load");
    assert_eq!(store.delete_expired().await.unwrap(), 1);

    store.delete(&record.id).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
});

contract_test!(demo_data_is_varied_deterministic_and_added_once, |db| {
    let summary = demo::fill(&db, demo::DemoSize::Small, 7).await.unwrap();
    assert!(summary.filled);
    assert_eq!(summary.clients_created, 40);
    let all = ClientFilter { include_archived: true, per_page: 100, ..Default::default() };
    let page = clients::list_clients(&db, &cli(), all.clone()).await.unwrap();
    assert_eq!(page.total, 40);
    let tiers: std::collections::HashSet<_> = page.items.iter().map(|c| c.impact_tier).collect();
    assert_eq!(tiers.len(), 3, "every tier is represented");
    let users = identity::list_users(&db, &cli()).await.unwrap();
    for role in Role::ALL {
        assert!(users.iter().any(|u| u.role == role), "a demo user with role {role:?}");
    }
    identity::sign_in(&db, "manager@rampart.example", demo::DEMO_PASSWORD).await.expect("demo sign-in works");

    let again = demo::fill(&db, demo::DemoSize::Small, 7).await.unwrap();
    assert!(!again.filled);
    assert_eq!(clients::list_clients(&db, &cli(), all.clone()).await.unwrap().total, 40);

    let other = rampart_domain::testing::sqlite().await;
    demo::fill(&other.db, demo::DemoSize::Small, 7).await.unwrap();
    let twin = clients::list_clients(&other.db, &cli(), all).await.unwrap();
    let key = |p: &clients::ClientPage| {
        p.items.iter().map(|c| (c.slug.clone(), c.impact_tier, c.tags.clone())).collect::<Vec<_>>()
    };
    assert_eq!(key(&page), key(&twin), "the same seed gives the same data");
    other.cleanup().await;
});
