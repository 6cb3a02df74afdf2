//! The access register on both databases: technicians, grants, revocation, and findings.

use chrono::{Duration, Utc};
use rampart_domain::access::{
    self, FindingKind, GrantState, NewGrant, NewTechnician, OffboardingInput, RevocationInput, SlaInput, Technician,
    TechnicianState,
};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
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
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
}

use rampart_domain::testing::user;

fn technician(email: &str) -> NewTechnician {
    NewTechnician {
        name: "Sam Ortiz".into(),
        email: email.into(),
        title: "Engineer".into(),
        started_on: "2026-01-05".into(),
    }
}

/// A technician whose onboarding checklist is done, so that access may be granted.
async fn onboarded(db: &Db, actor: &Actor, email: &str, now: chrono::DateTime<Utc>) -> Technician {
    let t = access::create_technician(db, actor, &technician(email), now).await.unwrap();
    for step in access::get_lifecycle(db, actor, t.id, now).await.unwrap().steps {
        access::complete_step(db, actor, t.id, step.id, "", now).await.unwrap();
    }
    t
}

fn removal(evidence: &str) -> RevocationInput {
    RevocationInput { removed_at: String::new(), method: "tool_user_list".into(), evidence: evidence.into() }
}

fn offboard_now() -> OffboardingInput {
    OffboardingInput::default()
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
    let stale = access::start_offboarding(&db, &manager, sam.id, 1, &offboard_now(), now).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })));
    let back = access::change_technician_state(&db, &manager, sam.id, 2, "onboarding", now).await;
    assert!(matches!(back, Err(DomainError::Validation(_))), "no going back");
    let shortcut = access::change_technician_state(&db, &manager, sam.id, 2, "offboarding", now).await;
    assert!(matches!(shortcut, Err(DomainError::Validation(_))), "offboarding starts with its T0");
    let leaving = access::start_offboarding(&db, &manager, sam.id, 2, &offboard_now(), now).await.unwrap();
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
    let sam = onboarded(&db, &manager, "sam@msp.example", now).await;
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

    let unverified = RevocationInput { method: String::new(), ..removal("") };
    let refused = access::revoke_grant(&db, &manager, g.id, &unverified, now).await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e.len() == 2), "no revocation without verification");
    let future = RevocationInput {
        removed_at: (now + Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string(),
        ..removal("Ticket 42")
    };
    let refused = access::revoke_grant(&db, &manager, g.id, &future, now).await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e[0].field == "removed_at"));
    let revoked = access::revoke_grant(&db, &manager, g.id, &removal("Removed from the RMM; user list checked"), now)
        .await
        .unwrap();
    assert_eq!(revoked.state(now), GrantState::Revoked);
    assert_eq!(
        (revoked.revocation_method.as_str(), revoked.revoked_by.as_deref()),
        ("tool_user_list", Some("manager user"))
    );
    let twice = access::revoke_grant(&db, &manager, g.id, &removal("again, again"), now).await;
    assert!(matches!(twice, Err(DomainError::Conflict { .. })));
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
    let ada = onboarded(&db, &manager, "ada@msp.example", now).await;
    let bob = onboarded(&db, &manager, "bob@msp.example", now).await;
    let no_mfa = access::NewGrant { mfa: false, ..grant(ada.id, "own", "firewall_vpn", "admin") };
    access::grant_access(&db, &manager, &no_mfa, now).await.unwrap();
    access::grant_access(&db, &manager, &grant(bob.id, "own", "rmm", "standard"), now).await.unwrap();
    access::grant_access(&db, &manager, &grant(bob.id, "foreign", "rmm", "standard"), now).await.unwrap();

    let found = access::list_findings(&db, &manager, now).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, vec![FindingKind::AdminWithoutMfa]);

    access::start_offboarding(&db, &manager, bob.id, 1, &offboard_now(), now).await.unwrap();
    let found = access::list_findings(&db, &manager, now).await.unwrap();
    assert_eq!(found.iter().filter(|(_, f)| f.contains(&FindingKind::LeaverHoldsAccess)).count(), 2);
    let mine = access::list_findings(&db, &tech_user, now).await.unwrap();
    assert!(mine.iter().all(|(g, _)| g.client_slug == "own"), "a technician sees findings of their clients only");
    assert!(matches!(access::list_findings(&db, &viewer, now).await, Err(DomainError::Forbidden)));
    // The portfolio's figure counts what the list shows, in each reader's view.
    assert_eq!(access::count_findings(&db, &manager, now).await.unwrap(), found.len() as i64);
    assert_eq!(access::count_findings(&db, &tech_user, now).await.unwrap(), mine.len() as i64);
    assert!(mine.len() < found.len(), "the two views differ, so the counts are told apart");
    assert!(matches!(access::count_findings(&db, &viewer, now).await, Err(DomainError::Forbidden)));

    let later = now + Duration::days(91);
    let aged = access::list_findings(&db, &manager, later).await.unwrap();
    assert!(aged.iter().all(|(_, f)| f.contains(&FindingKind::NotReviewed)));
    let first = aged.iter().find(|(g, _)| g.technician_id == ada.id).unwrap().0.id;
    access::review_grant(&db, &manager, first, later).await.unwrap();
    let reviewed = access::list_findings(&db, &manager, later).await.unwrap();
    assert!(reviewed.iter().find(|(g, _)| g.id == first).is_none_or(|(_, f)| !f.contains(&FindingKind::NotReviewed)));

    let day_later = now + Duration::hours(25);
    let overdue = access::list_findings(&db, &manager, day_later).await.unwrap();
    assert!(
        overdue.iter().any(|(g, f)| g.technician_id == bob.id && f.contains(&FindingKind::RevocationOverdue)),
        "a leaver's access past 24 hours after T0 is overdue"
    );
    // A page of the findings: the most urgent first, the totals over every page.
    let first = access::findings_page(&db, &manager, day_later, 0, 1).await.unwrap();
    assert_eq!(first.total, overdue.len());
    assert_eq!(first.grants.len(), 1);
    assert!(first.grants[0].1.contains(&FindingKind::RevocationOverdue), "the overdue revocation comes first");
    assert_eq!(first.by_kind[0].0, FindingKind::RevocationOverdue);
    for (kind, n) in &first.by_kind {
        assert_eq!(*n, overdue.iter().filter(|(_, f)| f.contains(kind)).count(), "{kind:?}");
    }
    let rest = access::findings_page(&db, &manager, day_later, 1, 50).await.unwrap();
    assert_eq!(rest.grants.len(), overdue.len() - 1);
    let mut paged: Vec<i64> = first.grants.iter().chain(&rest.grants).map(|(g, _)| g.id).collect();
    let mut listed: Vec<i64> = overdue.iter().map(|(g, _)| g.id).collect();
    paged.sort();
    listed.sort();
    assert_eq!(paged, listed, "the pages hold every finding once");
    assert!(access::findings_page(&db, &manager, day_later, 50, 50).await.unwrap().grants.is_empty());
    assert!(matches!(access::findings_page(&db, &viewer, now, 0, 50).await, Err(DomainError::Forbidden)));
    let bob_own = overdue.iter().find(|(g, _)| g.technician_id == bob.id).unwrap().0.id;
    let revoked =
        access::revoke_grant(&db, &manager, bob_own, &removal("Removed from the RMM"), day_later).await.unwrap();
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
    let hidden = access::revoke_grant(&db, &tech_user, foreign_grant, &removal("Ticket 42"), now).await;
    assert!(matches!(hidden, Err(DomainError::NotFound)));
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
    let now = Utc::now();
    let departed = technicians.iter().find(|t| t.state == TechnicianState::Departed).unwrap();
    let (_, grants) = access::get_technician(&db, &cli(), departed.id).await.unwrap();
    assert!(grants.iter().all(|g| g.revoked_at.is_some()), "the departed technician holds nothing");
    let left = access::get_lifecycle(&db, &cli(), departed.id, now).await.unwrap().offboarding.unwrap();
    assert!(left.attested && left.breaches == 0 && left.time_to_revoke_all.is_some(), "{left:?}");
    let late = access::list_late_checklists(&db, &cli(), now).await.unwrap();
    let states: Vec<TechnicianState> = late.iter().map(|l| l.technician.state).collect();
    assert!(states.contains(&TechnicianState::Offboarding), "a leaver past SLA: {states:?}");
    assert!(states.contains(&TechnicianState::Onboarding), "a newcomer's step overdue: {states:?}");
    let mover = technicians.iter().find(|t| t.role_changed_at.is_some()).expect("a mover");
    let (_, held) = access::get_technician(&db, &cli(), mover.id).await.unwrap();
    assert!(held.iter().any(|g| g.reapproval_due_at.is_some()), "a mover's grants wait for re-approval");
});

contract_test!(onboarding_steps_have_deadlines_and_gate_access, |db| {
    client(&db, "acme").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let sam = access::create_technician(&db, &manager, &technician("sam@msp.example"), now).await.unwrap();
    let steps = access::get_lifecycle(&db, &manager, sam.id, now).await.unwrap().steps;
    let codes: Vec<&str> = steps.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        ["ON-01", "ON-02", "ON-03", "ON-04", "ON-05", "ON-06", "ON-07", "ON-08", "ON-09", "ON-10", "ON-11"]
    );
    // Started on Monday 5 January 2026: day 1 ends on the 6th, five business days on the 12th.
    let due = |code: &str| steps.iter().find(|s| s.code == code).unwrap().due_at.format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(due("ON-01"), "2026-01-05 00:00");
    assert_eq!(due("ON-03"), "2026-01-06 00:00");
    assert_eq!(due("ON-05"), "2026-01-12 00:00");
    assert_eq!(due("ON-09"), "2026-02-04 00:00");
    let step = |code: &str| steps.iter().find(|s| s.code == code).unwrap().id;

    let refused = access::grant_access(&db, &manager, &grant(sam.id, "acme", "rmm", "read"), now).await;
    assert!(
        matches!(refused, Err(DomainError::Validation(e)) if e[0].message.contains("ON-01")),
        "no access before ON-01"
    );
    access::complete_step(&db, &manager, sam.id, step("ON-01"), "Agreements signed", now).await.unwrap();
    access::grant_access(&db, &manager, &grant(sam.id, "acme", "rmm", "standard"), now).await.unwrap();
    let admin = access::grant_access(&db, &manager, &grant(sam.id, "acme", "psa", "admin"), now).await;
    assert!(matches!(admin, Err(DomainError::Validation(e)) if e[0].message.contains("ON-03")), "no admin before MFA");
    let done = access::complete_step(&db, &manager, sam.id, step("ON-03"), "FIDO2 key enrolled", now).await.unwrap();
    assert_eq!(
        (done.done_by.as_deref(), done.note.as_str(), done.done_at),
        (Some("manager user"), "FIDO2 key enrolled", Some(now))
    );
    access::grant_access(&db, &manager, &grant(sam.id, "acme", "psa", "admin"), now).await.unwrap();

    let twice = access::complete_step(&db, &manager, sam.id, step("ON-03"), "", now).await;
    assert!(matches!(twice, Err(DomainError::Conflict { .. })));
    let other = access::create_technician(&db, &manager, &technician("other@msp.example"), now).await.unwrap();
    let wrong_owner = access::complete_step(&db, &manager, other.id, step("ON-02"), "", now).await;
    assert!(matches!(wrong_owner, Err(DomainError::NotFound)), "a step of another technician");
    let own = access::create_technician(&db, &manager, &technician("m@example.test"), now).await.unwrap();
    let own_step = access::get_lifecycle(&db, &manager, own.id, now).await.unwrap().steps[0].id;
    let refused = access::complete_step(&db, &manager, own.id, own_step, "", now).await;
    assert!(matches!(refused, Err(DomainError::Validation(_))), "nobody ticks their own checklist");
    let auditor = user(&db, "a@example.test", "auditor", &[]).await;
    let refused = access::complete_step(&db, &auditor, sam.id, step("ON-02"), "", now).await;
    assert!(matches!(refused, Err(DomainError::Forbidden)));
    let viewer_client = user(&db, "v@example.test", "client_viewer", &["acme"]).await;
    assert!(matches!(access::get_lifecycle(&db, &viewer_client, sam.id, now).await, Err(DomainError::Forbidden)));

    let late = access::list_late_checklists(&db, &manager, now).await.unwrap();
    let sam_late = late.iter().find(|l| l.technician.id == sam.id).expect("sam's steps are past due");
    assert!(sam_late.overdue.iter().all(|s| s.code != "ON-01" && s.code != "ON-03"), "done steps are not late");
});

contract_test!(offboarding_sets_deadlines_per_grant_and_needs_a_second_person, |db| {
    client(&db, "acme").await;
    client(&db, "strict").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let second = user(&db, "s@example.test", "manager", &[]).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6) - Duration::hours(10);
    // A stricter contract: the client wants a leaver's access gone within 2 hours (1 if fired).
    let contract = SlaInput {
        amount: "2".into(),
        unit: "hours".into(),
        involuntary_amount: "1".into(),
        involuntary_unit: "hours".into(),
    };
    access::save_client_sla(&db, &manager, "strict", "REVOKE", &contract, now).await.unwrap();

    let eve = onboarded(&db, &manager, "eve@msp.example", now).await;
    let at_acme = access::grant_access(&db, &manager, &grant(eve.id, "acme", "rmm", "admin"), now).await.unwrap();
    let at_strict = access::grant_access(&db, &manager, &grant(eve.id, "strict", "edr", "read"), now).await.unwrap();
    let t0 = now + Duration::minutes(30);
    let fired = OffboardingInput { t0: t0.format("%Y-%m-%dT%H:%M").to_string(), involuntary: true };
    let bad_t0 = OffboardingInput { t0: "yesterday".into(), involuntary: true };
    assert!(matches!(
        access::start_offboarding(&db, &manager, eve.id, 1, &bad_t0, now).await,
        Err(DomainError::Validation(_))
    ));
    let eve = access::start_offboarding(&db, &manager, eve.id, 1, &fired, now).await.unwrap();
    let t0 = eve.departed_at.unwrap();
    assert!(eve.involuntary);

    let life = access::get_lifecycle(&db, &manager, eve.id, now).await.unwrap();
    let off: Vec<_> = life.steps.iter().filter(|s| s.code.starts_with("OFF-")).collect();
    assert_eq!(off.len(), 12);
    let due = |code: &str| off.iter().find(|s| s.code == code).unwrap().due_at;
    assert_eq!(due("OFF-02"), t0 + Duration::hours(1), "involuntary: the IdP account within an hour");
    assert_eq!(due("OFF-04"), t0 + Duration::hours(4));
    assert_eq!(due("OFF-12"), t0 + Duration::days(7));
    let (_, grants) = access::get_technician(&db, &manager, eve.id).await.unwrap();
    let due_of = |id: i64| grants.iter().find(|g| g.id == id).unwrap().revoke_due_at.unwrap();
    assert_eq!(due_of(at_acme.id), t0 + Duration::hours(4), "the MSP's involuntary default");
    assert_eq!(due_of(at_strict.id), t0 + Duration::hours(1), "the client's contract");

    // Three hours after T0: the strict client's deadline has passed, Acme's not yet.
    let later = t0 + Duration::hours(3);
    let found = access::list_findings(&db, &manager, later).await.unwrap();
    let kinds = |id: i64| found.iter().find(|(g, _)| g.id == id).map(|(_, f)| f.clone()).unwrap_or_default();
    assert!(kinds(at_strict.id).contains(&FindingKind::RevocationOverdue));
    assert!(!kinds(at_acme.id).contains(&FindingKind::RevocationOverdue));

    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let in_time = RevocationInput { removed_at: stamp(t0 + Duration::hours(2)), ..removal("RMM user list, ticket 7") };
    access::revoke_grant(&db, &manager, at_acme.id, &in_time, later).await.unwrap();
    let summary = access::get_lifecycle(&db, &manager, eve.id, later).await.unwrap().offboarding.unwrap();
    assert_eq!((summary.tasks, summary.revoked, summary.breaches, summary.time_to_revoke_all), (2, 1, 1, None));

    let steps = access::get_lifecycle(&db, &manager, eve.id, later).await.unwrap().steps;
    let attest = steps.iter().find(|s| s.code == "OFF-12").unwrap().id;
    let early = access::complete_step(&db, &second, eve.id, attest, "IdP and RMM reports checked", later).await;
    assert!(matches!(early, Err(DomainError::Validation(e)) if e[0].message.contains("still active")));
    access::revoke_grant(&db, &manager, at_strict.id, &removal("EDR console user list"), later).await.unwrap();
    for s in steps.iter().filter(|s| s.code.starts_with("OFF-") && s.code != "OFF-12") {
        access::complete_step(&db, &manager, eve.id, s.id, "", later).await.unwrap();
    }
    let by_revoker = access::complete_step(&db, &manager, eve.id, attest, "IdP and RMM reports checked", later).await;
    assert!(matches!(by_revoker, Err(DomainError::Validation(e)) if e[0].message.contains("second person")));
    let terse = access::complete_step(&db, &second, eve.id, attest, "ok", later).await;
    assert!(matches!(terse, Err(DomainError::Validation(_))), "the attestation says what was checked");
    access::complete_step(&db, &second, eve.id, attest, "IdP and RMM reports checked", later).await.unwrap();
    let summary = access::get_lifecycle(&db, &manager, eve.id, later).await.unwrap().offboarding.unwrap();
    assert!(summary.attested);
    assert_eq!((summary.revoked, summary.breaches), (2, 1), "the late revocation stays a breach");
    assert_eq!(summary.time_to_revoke_all, Some(later - t0));
    assert!(access::list_findings(&db, &manager, later).await.unwrap().is_empty(), "nothing left to find");
});

contract_test!(service_levels_are_settings_and_contracts_only_tighten, |db| {
    client(&db, "acme").await;
    let admin = user(&db, "root@example.test", "admin", &[]).await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let tech = user(&db, "t@example.test", "technician", &["acme"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["acme"]).await;
    let now = Utc::now();
    let sla = |amount: &str, unit: &str| SlaInput { amount: amount.into(), unit: unit.into(), ..Default::default() };

    assert!(matches!(
        access::save_msp_sla(&db, &manager, "REVOKE", &sla("12", "hours"), now).await,
        Err(DomainError::Forbidden)
    ));
    for bad in [sla("-1", "hours"), sla("ten", "hours"), sla("1", "weeks"), sla("9000", "days")] {
        assert!(matches!(
            access::save_msp_sla(&db, &admin, "REVOKE", &bad, now).await,
            Err(DomainError::Validation(_))
        ));
    }
    let longer_when_fired =
        SlaInput { involuntary_amount: "30".into(), involuntary_unit: "hours".into(), ..sla("12", "hours") };
    assert!(matches!(
        access::save_msp_sla(&db, &admin, "REVOKE", &longer_when_fired, now).await,
        Err(DomainError::Validation(e)) if e[0].field == "involuntary_amount"
    ));
    assert!(matches!(
        access::save_msp_sla(&db, &admin, "NOPE-1", &sla("1", "days"), now).await,
        Err(DomainError::NotFound)
    ));
    access::save_msp_sla(&db, &admin, "REVOKE", &sla("12", "hours"), now).await.unwrap();
    access::save_msp_sla(&db, &admin, "OFF-08", &sla("3", "business_days"), now).await.unwrap();
    let rows = access::list_sla_settings(&db, &manager).await.unwrap();
    let row = |code: &str| rows.iter().find(|r| r.code == code).unwrap().clone();
    assert_eq!(row("REVOKE").sla.describe(), "12 hours");
    assert_eq!(row("REVOKE").involuntary.unwrap().describe(), "4 hours", "the involuntary default stays");
    assert_eq!(row("OFF-08").sla.describe(), "3 business days");
    assert_eq!(row("REVIEW").sla.describe(), "90 days");
    assert_eq!(rows.len(), 26);

    let looser = access::save_client_sla(&db, &manager, "acme", "REVOKE", &sla("1", "days"), now).await;
    assert!(matches!(looser, Err(DomainError::Validation(e)) if e[0].message.contains("12 hours")));
    access::save_client_sla(&db, &manager, "acme", "REVIEW", &sla("30", "days"), now).await.unwrap();
    let seen = access::get_client_sla(&db, &viewer, "acme").await.unwrap();
    assert_eq!(
        (seen.review.describe(), seen.review_is_contract, seen.revoke.describe()),
        ("30 days".into(), true, "12 hours".into())
    );
    assert!(matches!(
        access::save_client_sla(&db, &tech, "acme", "REVIEW", &sla("10", "days"), now).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        access::save_client_sla(&db, &viewer, "acme", "REVIEW", &sla("10", "days"), now).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        access::save_client_sla(&db, &manager, "acme", "OFF-02", &sla("1", "hours"), now).await,
        Err(DomainError::Validation(_))
    ));
    assert!(matches!(access::get_client_sla(&db, &viewer, "nowhere").await, Err(DomainError::NotFound)));
    access::save_client_sla(&db, &manager, "acme", "REVIEW", &sla("", "days"), now).await.unwrap();
    assert!(!access::get_client_sla(&db, &manager, "acme").await.unwrap().review_is_contract, "cleared");
});

contract_test!(a_role_change_asks_to_keep_or_revoke_every_grant, |db| {
    client(&db, "acme").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let kim = onboarded(&db, &manager, "kim@msp.example", now).await;
    let rmm = access::grant_access(&db, &manager, &grant(kim.id, "acme", "rmm", "standard"), now).await.unwrap();
    let vault =
        access::grant_access(&db, &manager, &grant(kim.id, "acme", "password_vault", "admin"), now).await.unwrap();
    assert!(matches!(
        access::change_role(&db, &manager, kim.id, 1, "Engineer", now).await,
        Err(DomainError::Validation(_))
    ));
    let kim = access::change_role(&db, &manager, kim.id, 1, "Service desk", now).await.unwrap();
    assert_eq!(kim.title, "Service desk");
    let mov = access::get_lifecycle(&db, &manager, kim.id, now)
        .await
        .unwrap()
        .steps
        .into_iter()
        .find(|s| s.code == "MOV-01")
        .unwrap();
    assert!(mov.done_at.is_none());
    let early = access::complete_step(&db, &manager, kim.id, mov.id, "", now).await;
    assert!(matches!(early, Err(DomainError::Validation(e)) if e[0].message.contains("re-approval")));
    let found = access::list_findings(&db, &manager, mov.due_at + Duration::minutes(1)).await.unwrap();
    assert_eq!(found.iter().filter(|(_, f)| f.contains(&FindingKind::ReapprovalOverdue)).count(), 2);

    access::review_grant(&db, &manager, rmm.id, now).await.unwrap();
    let still = access::get_lifecycle(&db, &manager, kim.id, now)
        .await
        .unwrap()
        .steps
        .into_iter()
        .find(|s| s.code == "MOV-01")
        .unwrap();
    assert!(still.done_at.is_none(), "one grant still waits");
    access::revoke_grant(&db, &manager, vault.id, &removal("Vault membership removed"), now).await.unwrap();
    let closed = access::get_lifecycle(&db, &manager, kim.id, now)
        .await
        .unwrap()
        .steps
        .into_iter()
        .find(|s| s.code == "MOV-01")
        .unwrap();
    assert!(closed.done_at.is_some(), "MOV-01 closes once every grant was kept or revoked");
    assert!(access::list_findings(&db, &manager, mov.due_at + Duration::minutes(1)).await.unwrap().is_empty());
});
