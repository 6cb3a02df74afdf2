//! The access register on both databases: technicians, grants, revocation, and findings.

use chrono::{Duration, Utc};
use rampart_domain::access::{self, FindingKind, GrantState, NewGrant, NewTechnician, TechnicianState};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::identity::{self, NewUser};
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str) {
    let input = ClientInput {
        name: format!("{slug} Ltd"),
        slug: slug.into(),
        impact_tier: "standard".into(),
        ..Default::default()
    };
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

fn technician(email: &str) -> NewTechnician {
    NewTechnician {
        name: "Sam Ortiz".into(),
        email: email.into(),
        title: "Engineer".into(),
        started_on: "2026-01-05".into(),
    }
}

fn grant(technician_id: i64, slug: &str, system: &str, privilege: &str) -> NewGrant {
    NewGrant {
        technician_id,
        client_slug: slug.into(),
        system: system.into(),
        privilege: privilege.into(),
        justification: "Daily patching and monitoring".into(),
        mfa: true,
        ..Default::default()
    }
}

contract_test!(technicians_move_forward_through_their_lifecycle, |db| {
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    // PostgreSQL keeps microseconds; a time compared after a round trip must not have more.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let sam = access::create_technician(&db, &manager, &technician("Sam@MSP.example"), now).await.unwrap();
    assert_eq!((sam.state, sam.email.as_str()), (TechnicianState::Onboarding, "sam@msp.example"));
    let dup = access::create_technician(&db, &manager, &technician("sam@msp.example"), now).await;
    assert!(matches!(dup, Err(DomainError::Conflict { field: Some(f), .. }) if f == "email"));
    let bad = NewTechnician { started_on: "soon".into(), name: String::new(), ..technician("x@msp.example") };
    assert!(
        matches!(access::create_technician(&db, &manager, &bad, now).await, Err(DomainError::Validation(e)) if e.len() == 2)
    );

    let active = access::change_technician_state(&db, &manager, sam.id, 1, "active", now).await.unwrap();
    assert_eq!(active.state, TechnicianState::Active);
    let stale = access::change_technician_state(&db, &manager, sam.id, 1, "offboarding", now).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })));
    let back = access::change_technician_state(&db, &manager, sam.id, 2, "onboarding", now).await;
    assert!(matches!(back, Err(DomainError::Validation(_))), "no going back");
    let leaving = access::change_technician_state(&db, &manager, sam.id, 2, "offboarding", now).await.unwrap();
    assert_eq!(leaving.departed_at, Some(now), "offboarding starts the clock");
    let auditor = user(&db, "a@example.test", "auditor", &[]).await;
    assert!(matches!(
        access::create_technician(&db, &auditor, &technician("y@msp.example"), now).await,
        Err(DomainError::Forbidden)
    ));
    assert_eq!(access::list_technicians(&db, &auditor).await.unwrap().len(), 1);
});

contract_test!(grants_are_approved_by_someone_else_and_never_duplicated, |db| {
    client(&db, "acme").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let now = Utc::now();
    let sam = access::create_technician(&db, &manager, &technician("sam@msp.example"), now).await.unwrap();
    let self_grant = access::create_technician(&db, &manager, &technician("m@example.test"), now).await.unwrap();

    let g = access::grant_access(&db, &manager, &grant(sam.id, "acme", "rmm", "admin"), now).await.unwrap();
    assert_eq!((g.approver.as_str(), g.state(now)), ("manager user", GrantState::Active));
    let dup = access::grant_access(&db, &manager, &grant(sam.id, "acme", "rmm", "read"), now).await;
    assert!(matches!(dup, Err(DomainError::Conflict { .. })), "{dup:?}");
    let own = access::grant_access(&db, &manager, &grant(self_grant.id, "acme", "psa", "read"), now).await;
    assert!(matches!(own, Err(DomainError::Validation(e)) if e[0].field == "technician_id"), "no self-approval");

    let past = NewGrant {
        expires_on: (now - Duration::days(1)).format("%Y-%m-%d").to_string(),
        ..grant(sam.id, "acme", "psa", "read")
    };
    assert!(
        matches!(access::grant_access(&db, &manager, &past, now).await, Err(DomainError::Validation(e)) if e[0].field == "expires_on")
    );
    let unnamed = grant(sam.id, "acme", "other", "read");
    assert!(
        matches!(access::grant_access(&db, &manager, &unnamed, now).await, Err(DomainError::Validation(e)) if e[0].field == "system_name")
    );
    for (slug, id) in [("no-such-client", sam.id), ("acme", 9999)] {
        let r = access::grant_access(&db, &manager, &grant(id, slug, "edr", "read"), now).await;
        assert!(matches!(r, Err(DomainError::NotFound)), "{slug} {id}");
    }
    assert_eq!(
        access::list_client_access(&db, &manager, "acme", now).await.unwrap().len(),
        1,
        "refusals wrote nothing"
    );

    let revoked =
        access::revoke_grant(&db, &manager, g.id, "Removed from the RMM; user list checked", now).await.unwrap();
    assert_eq!(revoked.state(now), GrantState::Revoked);
    assert!(matches!(access::revoke_grant(&db, &manager, g.id, "", now).await, Err(DomainError::Conflict { .. })));
    let again = access::grant_access(&db, &manager, &grant(sam.id, "acme", "rmm", "read"), now).await;
    assert!(again.is_ok(), "a revoked grant does not block a new one");
});

contract_test!(findings_follow_the_rules_and_the_clients_one_may_see, |db| {
    client(&db, "own").await;
    client(&db, "foreign").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let tech_user = user(&db, "t@example.test", "technician", &["own"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["own"]).await;
    let now = Utc::now();
    let ada = access::create_technician(&db, &manager, &technician("ada@msp.example"), now).await.unwrap();
    let bob = access::create_technician(&db, &manager, &technician("bob@msp.example"), now).await.unwrap();
    let no_mfa = access::NewGrant { mfa: false, ..grant(ada.id, "own", "firewall_vpn", "admin") };
    access::grant_access(&db, &manager, &no_mfa, now).await.unwrap();
    access::grant_access(&db, &manager, &grant(bob.id, "own", "rmm", "standard"), now).await.unwrap();
    access::grant_access(&db, &manager, &grant(bob.id, "foreign", "rmm", "standard"), now).await.unwrap();

    let found = access::list_findings(&db, &manager, now).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, vec![FindingKind::AdminWithoutMfa]);

    access::change_technician_state(&db, &manager, bob.id, 1, "offboarding", now).await.unwrap();
    let found = access::list_findings(&db, &manager, now).await.unwrap();
    assert_eq!(found.iter().filter(|(_, f)| f.contains(&FindingKind::LeaverHoldsAccess)).count(), 2);
    let mine = access::list_findings(&db, &tech_user, now).await.unwrap();
    assert!(mine.iter().all(|(g, _)| g.client_slug == "own"), "a technician sees findings of their clients only");
    assert!(matches!(access::list_findings(&db, &viewer, now).await, Err(DomainError::Forbidden)));

    let later = now + Duration::days(91);
    let aged = access::list_findings(&db, &manager, later).await.unwrap();
    assert!(aged.iter().all(|(_, f)| f.contains(&FindingKind::NotReviewed)));
    let first = aged[0].0.id;
    access::review_grant(&db, &manager, first, later).await.unwrap();
    let reviewed = access::list_findings(&db, &manager, later).await.unwrap();
    assert!(reviewed.iter().find(|(g, _)| g.id == first).is_none_or(|(_, f)| !f.contains(&FindingKind::NotReviewed)));

    let day_later = now + Duration::hours(25);
    let overdue = access::list_findings(&db, &manager, day_later).await.unwrap();
    assert!(
        overdue.iter().any(|(g, f)| g.technician_id == bob.id && f.contains(&FindingKind::RevocationOverdue)),
        "a leaver's access past 24 hours after T0 is overdue"
    );
    let bob_own = overdue.iter().find(|(g, _)| g.technician_id == bob.id).unwrap().0.id;
    let revoked = access::revoke_grant(&db, &manager, bob_own, "Removed from the RMM", day_later).await.unwrap();
    let took = revoked.time_to_revoke().expect("measured from T0");
    assert!(took > Duration::hours(24) && took < Duration::hours(26), "{took:?}");

    let seen = access::list_client_access(&db, &viewer, "own", now).await.unwrap();
    assert_eq!(
        seen.len(),
        2,
        "a client viewer sees who can reach their organisation (revoked ones of the last year too)"
    );
    assert!(matches!(access::list_client_access(&db, &viewer, "foreign", now).await, Err(DomainError::NotFound)));
    let foreign_grant = access::list_client_access(&db, &manager, "foreign", now).await.unwrap()[0].id;
    assert!(matches!(access::revoke_grant(&db, &tech_user, foreign_grant, "", now).await, Err(DomainError::NotFound)));
    let (_, visible) = access::get_technician(&db, &tech_user, bob.id).await.unwrap();
    assert!(
        visible.iter().all(|g| g.client_slug == "own"),
        "a technician's page shows only grants on clients one may see"
    );
});

contract_test!(demo_data_has_technicians_in_every_state_and_findings_to_act_on, |db| {
    rampart_domain::demo::fill(&db, rampart_domain::demo::DemoSize::Small, 5).await.unwrap();
    let technicians = access::list_technicians(&db, &cli()).await.unwrap();
    assert_eq!(technicians.len(), 12);
    for state in TechnicianState::ALL {
        assert!(technicians.iter().any(|t| t.state == state), "a technician who is {state:?}");
    }
    let found = access::list_findings(&db, &cli(), Utc::now()).await.unwrap();
    let kinds: Vec<FindingKind> = found.iter().flat_map(|(_, f)| f.clone()).collect();
    for kind in [
        FindingKind::LeaverHoldsAccess,
        FindingKind::RevocationOverdue,
        FindingKind::AdminWithoutMfa,
        FindingKind::NotReviewed,
    ] {
        assert!(kinds.contains(&kind), "a demo finding of {kind:?}");
    }
    let departed = technicians.iter().find(|t| t.state == TechnicianState::Departed).unwrap();
    let (_, grants) = access::get_technician(&db, &cli(), departed.id).await.unwrap();
    assert!(grants.iter().all(|g| g.revoked_at.is_some()), "the departed technician holds nothing");
});
