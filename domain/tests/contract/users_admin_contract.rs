//! Administering people and invitations, on SQLite always and on PostgreSQL when
//! RAMPART_TEST_POSTGRES_URL is set: no self-raise, the last admin kept, what managers may do,
//! a client viewer's one client, sessions ended by privilege changes, invitations that expire
//! (with a fixed clock) and work once, step-up confirmation, and every change audited.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::db::DbSessionStore;
use rampart_domain::identity::invitations::{self, NewInvitation};
use rampart_domain::identity::{self, step_up};
use rampart_domain::{audit, contract_test, testing, Actor, Db, DomainError, Role};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

const PASSWORD: &str = "a long enough password";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn cli() -> Actor {
    Actor::command_line()
}

async fn add_client(db: &Db, name: &str, slug: &str) {
    let input =
        ClientInput { name: name.into(), slug: slug.into(), impact_tier: "standard".into(), ..Default::default() };
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
}

async fn head_seq(db: &Db) -> i64 {
    audit::all_entries(db).await.unwrap().last().map(|e| e.seq).unwrap_or(0)
}

async fn actions_since(db: &Db, seq: i64) -> Vec<String> {
    audit::all_entries(db).await.unwrap().into_iter().filter(|e| e.seq > seq).map(|e| e.action).collect()
}

fn session_of(user_id: i64) -> Record {
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    record.data.insert("user_id".into(), serde_json::json!(user_id));
    record
}

fn slugs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

contract_test!(nobody_raises_their_own_role_and_managers_only_add_client_viewers, |db| {
    add_client(&db, "Acme", "acme").await;
    let admin = testing::user(&db, "admin@example.test", "admin", &[]).await;
    testing::user(&db, "admin2@example.test", "admin", &[]).await;
    let manager = testing::user(&db, "manager@example.test", "manager", &[]).await;
    let before = head_seq(&db).await;

    // Nobody changes their own role, an admin included, and a manager changes no role at all.
    let own = identity::change_role(&db, &admin, "admin@example.test", "manager", &[], chrono::Utc::now()).await;
    assert!(matches!(own, Err(DomainError::Conflict { .. })), "{own:?}");
    let raise = identity::change_role(&db, &manager, "manager@example.test", "admin", &[], chrono::Utc::now()).await;
    assert!(matches!(raise, Err(DomainError::Forbidden)), "{raise:?}");
    assert!(matches!(
        identity::change_role(&db, &manager, "admin2@example.test", "auditor", &[], chrono::Utc::now()).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        identity::disable_user(&db, &admin, "admin@example.test", chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    assert!(matches!(
        identity::disable_user(&db, &manager, "admin2@example.test", chrono::Utc::now()).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        identity::mfa::reset(&db, &admin, "admin@example.test", chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));

    // A manager adds or invites client viewers only, never staff.
    for role in ["admin", "manager", "technician", "auditor"] {
        let new = identity::NewUser {
            email: format!("new-{role}@example.test"),
            display_name: "New".into(),
            role: role.into(),
            clients: Vec::new(),
            password: PASSWORD.into(),
        };
        assert!(
            matches!(identity::add_user(&db, &manager, &new, chrono::Utc::now()).await, Err(DomainError::Forbidden)),
            "{role}"
        );
        let invite =
            NewInvitation { email: format!("inv-{role}@example.test"), role: role.into(), clients: Vec::new() };
        assert!(
            matches!(invitations::create_invitation(&db, &manager, &invite, t0()).await, Err(DomainError::Forbidden)),
            "{role}"
        );
    }
    assert_eq!(head_seq(&db).await, before, "refused changes wrote nothing: {:?}", actions_since(&db, before).await);

    let viewer = identity::NewUser {
        email: "viewer@example.test".into(),
        display_name: "Viewer".into(),
        role: "client_viewer".into(),
        clients: slugs(&["acme"]),
        password: PASSWORD.into(),
    };
    let added = identity::add_user(&db, &manager, &viewer, chrono::Utc::now()).await.unwrap();
    assert_eq!(added.client_slug.as_deref(), Some("acme"));
    // Managers see the client viewers only; admins everyone, with what the page shows.
    let seen: Vec<Role> = identity::list_people(&db, &manager).await.unwrap().iter().map(|p| p.user.role).collect();
    assert_eq!(seen, vec![Role::ClientViewer]);
    assert_eq!(identity::list_people(&db, &admin).await.unwrap().len(), 4);
    assert_eq!(actions_since(&db, before).await, vec!["user.add"]);
});

contract_test!(the_last_active_admin_is_neither_demoted_nor_disabled, |db| {
    let first = testing::user(&db, "first@example.test", "admin", &[]).await;
    let before = head_seq(&db).await;
    for attempt in [
        identity::change_role(&db, &cli(), "first@example.test", "manager", &[], chrono::Utc::now()).await.map(|_| ()),
        identity::disable_user(&db, &cli(), "first@example.test", chrono::Utc::now()).await,
    ] {
        assert!(matches!(attempt, Err(DomainError::Conflict { .. })), "{attempt:?}");
    }
    assert_eq!(head_seq(&db).await, before, "nothing written");

    // With a second admin, one may go; then the other is the last again.
    let second = testing::user(&db, "second@example.test", "admin", &[]).await;
    identity::change_role(&db, &second, "first@example.test", "auditor", &[], chrono::Utc::now()).await.unwrap();
    // Rights are read afresh at every request: the demoted admin is an auditor now.
    let first = identity::actor_for_user(&db, first.user_id.unwrap()).await.unwrap().unwrap();
    let demoted = identity::change_role(&db, &first, "second@example.test", "manager", &[], chrono::Utc::now()).await;
    assert!(matches!(demoted, Err(DomainError::Forbidden)), "an auditor now: {demoted:?}");
    assert!(matches!(
        identity::change_role(&db, &cli(), "second@example.test", "manager", &[], chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    // A disabled admin does not count as the one that is kept.
    identity::change_role(&db, &second, "first@example.test", "admin", &[], chrono::Utc::now()).await.unwrap();
    identity::disable_user(&db, &second, "first@example.test", chrono::Utc::now()).await.unwrap();
    assert!(matches!(
        identity::disable_user(&db, &cli(), "second@example.test", chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    let entries = audit::all_entries(&db).await.unwrap();
    let changes: Vec<&str> =
        entries.iter().filter(|e| e.action.starts_with("user.")).map(|e| e.action.as_str()).collect();
    assert_eq!(changes, vec!["user.add", "user.add", "user.role_change", "user.role_change", "user.disable"]);
    let change = entries.iter().find(|e| e.action == "user.role_change").unwrap();
    assert_eq!(change.object, "user:first@example.test");
    assert!(change.summary.contains("“admin”") && change.summary.contains("“auditor”"), "{}", change.summary);
});

contract_test!(a_client_viewer_has_exactly_one_client_and_technicians_a_set, |db| {
    add_client(&db, "Acme", "acme").await;
    add_client(&db, "Beta", "beta").await;
    let admin = testing::user(&db, "admin@example.test", "admin", &[]).await;
    testing::user(&db, "tech@example.test", "technician", &[]).await;
    let before = head_seq(&db).await;
    for clients in [vec![], slugs(&["acme", "beta"]), slugs(&["nope"])] {
        let result =
            identity::change_role(&db, &admin, "tech@example.test", "client_viewer", &clients, chrono::Utc::now())
                .await;
        assert!(
            matches!(&result, Err(DomainError::Validation(e)) if e[0].field == "clients"),
            "{clients:?}: {result:?}"
        );
    }
    let auditor_with_client =
        identity::change_role(&db, &admin, "tech@example.test", "auditor", &slugs(&["acme"]), chrono::Utc::now()).await;
    assert!(matches!(auditor_with_client, Err(DomainError::Validation(_))));
    assert_eq!(head_seq(&db).await, before);

    let tech =
        identity::assign_clients(&db, &admin, "tech@example.test", &slugs(&["beta", "acme"]), chrono::Utc::now())
            .await
            .unwrap();
    assert_eq!(tech.assigned, vec!["acme", "beta"]);
    let actor = identity::actor_for_user(&db, tech.id).await.unwrap().unwrap();
    let acme = clients::get_client(&db, &cli(), "acme").await.unwrap();
    assert!(actor.scope.contains(acme.id));
    let viewer =
        identity::change_role(&db, &admin, "tech@example.test", "client_viewer", &slugs(&["beta"]), chrono::Utc::now())
            .await
            .unwrap();
    assert_eq!((viewer.role, viewer.client_slug.as_deref()), (Role::ClientViewer, Some("beta")));
    assert!(viewer.assigned.is_empty(), "a technician's clients do not stay with a client viewer");
    let actor = identity::actor_for_user(&db, viewer.id).await.unwrap().unwrap();
    assert!(!actor.scope.contains(acme.id), "a viewer of beta sees nothing of acme");
    assert!(matches!(
        identity::assign_clients(&db, &admin, "tech@example.test", &slugs(&["acme", "beta"]), chrono::Utc::now()).await,
        Err(DomainError::Validation(_))
    ));
    identity::assign_clients(&db, &admin, "tech@example.test", &slugs(&["acme"]), chrono::Utc::now()).await.unwrap();
    assert!(matches!(
        identity::assign_clients(&db, &admin, "admin@example.test", &slugs(&["acme"]), chrono::Utc::now()).await,
        Err(DomainError::Conflict { .. })
    ));
    assert_eq!(
        actions_since(&db, before).await,
        vec!["user.clients_change", "user.role_change", "user.clients_change"]
    );
});

contract_test!(privilege_changes_end_every_session_of_that_user_only, |db| {
    let store = DbSessionStore::new(db.clone());
    let admin = testing::user(&db, "admin@example.test", "admin", &[]).await;
    let alice = testing::user(&db, "alice@example.test", "auditor", &[]).await;
    let mut admin_session = session_of(admin.user_id.unwrap());
    store.create(&mut admin_session).await.unwrap();
    for change in ["role", "mfa", "disable"] {
        let mut alice_session = session_of(alice.user_id.unwrap());
        store.create(&mut alice_session).await.unwrap();
        match change {
            "role" => {
                identity::change_role(&db, &admin, "alice@example.test", "manager", &[], chrono::Utc::now())
                    .await
                    .unwrap();
            }
            "mfa" => identity::mfa::reset(&db, &admin, "alice@example.test", chrono::Utc::now()).await.unwrap(),
            _ => identity::disable_user(&db, &admin, "alice@example.test", chrono::Utc::now()).await.unwrap(),
        }
        assert!(store.load(&alice_session.id).await.unwrap().is_none(), "{change} ended alice's session");
        assert!(store.load(&admin_session.id).await.unwrap().is_some(), "{change} left the admin's session");
    }
    identity::enable_user(&db, &admin, "alice@example.test", chrono::Utc::now()).await.unwrap();
    let alice = identity::actor_for_user(&db, alice.user_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(alice.role, Role::Manager, "signing in again gives the new role");
});

contract_test!(an_invitation_expires_works_once_and_every_bad_link_reads_alike, |db| {
    add_client(&db, "Acme", "acme").await;
    add_client(&db, "Beta", "beta").await;
    // Signed in at t0, the time of these tests.
    let admin = testing::user(&db, "admin@example.test", "admin", &[]).await.in_session(Some(t0()), &[]);
    let manager = testing::user(&db, "manager@example.test", "manager", &[]).await;
    let invite =
        |email: &str| NewInvitation { email: email.into(), role: "client_viewer".into(), clients: slugs(&["acme"]) };

    // Bad invitations write nothing.
    let before = head_seq(&db).await;
    let two = NewInvitation { clients: slugs(&["acme", "beta"]), ..invite("two@example.test") };
    assert!(matches!(invitations::create_invitation(&db, &manager, &two, t0()).await, Err(DomainError::Validation(_))));
    let taken = invitations::create_invitation(&db, &manager, &invite("admin@example.test"), t0()).await;
    assert!(matches!(taken, Err(DomainError::Conflict { .. })), "an address with an account: {taken:?}");
    assert_eq!(head_seq(&db).await, before);

    let created = invitations::create_invitation(&db, &manager, &invite("Carol@Example.test"), t0()).await.unwrap();
    assert_eq!(created.email, "carol@example.test");
    assert_eq!(created.expires_at, t0() + Duration::days(invitations::DEFAULT_VALIDITY_DAYS));
    assert_eq!(created.token.len(), 64);
    let again = invitations::create_invitation(&db, &manager, &invite("carol@example.test"), t0()).await;
    assert!(matches!(again, Err(DomainError::Conflict { .. })), "one pending invitation per address");
    let pending = invitations::list_pending(&db, &admin, t0()).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].role, pending[0].clients.clone()), (Role::ClientViewer, slugs(&["acme"])));
    assert!(invitations::list_pending(&db, &admin, created.expires_at).await.unwrap().is_empty(), "expired");

    // The link is valid until it expires; then it reads like any bad link.
    let almost = created.expires_at - Duration::seconds(1);
    let opened = invitations::open_invitation(&db, &created.token, almost).await.unwrap();
    assert_eq!(
        (opened.email.as_str(), opened.role, opened.client_name.as_deref()),
        ("carol@example.test", Role::ClientViewer, Some("Acme"))
    );
    let message = |result: Result<i64, DomainError>| match result {
        Err(DomainError::Conflict { message, .. }) => message,
        other => panic!("{other:?}"),
    };
    let expired = invitations::accept_invitation(&db, &created.token, "Carol", PASSWORD, created.expires_at).await;
    assert_eq!(message(expired), invitations::INVALID);
    let unknown = invitations::accept_invitation(&db, &"ab".repeat(32), "Carol", PASSWORD, t0()).await;
    assert_eq!(message(unknown), invitations::INVALID);

    // Bad input writes nothing and leaves the invitation usable.
    let weak = invitations::accept_invitation(&db, &created.token, "Carol", "short", t0()).await;
    assert!(matches!(weak, Err(DomainError::Validation(e)) if e[0].field == "password"));
    let later = t0() + Duration::days(2);
    let id = invitations::accept_invitation(&db, &created.token, " Carol  Client ", PASSWORD, later).await.unwrap();
    let carol = identity::actor_for_user(&db, id).await.unwrap().unwrap();
    let acme = clients::get_client(&db, &cli(), "acme").await.unwrap();
    let beta = clients::get_client(&db, &cli(), "beta").await.unwrap();
    assert_eq!(
        (carol.role, carol.display_name.as_str(), carol.email.as_str()),
        (Role::ClientViewer, "Carol Client", "carol@example.test")
    );
    assert!(carol.scope.contains(acme.id) && !carol.scope.contains(beta.id), "only her client");
    assert_eq!(identity::sign_in(&db, "carol@example.test", PASSWORD).await.unwrap(), id);
    // Once.
    let twice = invitations::accept_invitation(&db, &created.token, "Mallory", PASSWORD, later).await;
    assert_eq!(message(twice), invitations::INVALID);

    // A revoked invitation reads alike too; only managers' and admins' own kinds are theirs.
    let tech =
        NewInvitation { email: "dave@example.test".into(), role: "technician".into(), clients: slugs(&["beta"]) };
    let dave = invitations::create_invitation(&db, &admin, &tech, t0()).await.unwrap();
    assert!(invitations::list_pending(&db, &manager, t0()).await.unwrap().is_empty(), "not a viewer's invitation");
    assert!(matches!(invitations::revoke_invitation(&db, &manager, dave.id, t0()).await, Err(DomainError::NotFound)));
    invitations::revoke_invitation(&db, &admin, dave.id, t0()).await.unwrap();
    assert!(matches!(
        invitations::revoke_invitation(&db, &admin, dave.id, t0()).await,
        Err(DomainError::Conflict { .. })
    ));
    let revoked = invitations::accept_invitation(&db, &dave.token, "Dave", PASSWORD, t0()).await;
    assert_eq!(message(revoked), invitations::INVALID);

    let entries = audit::all_entries(&db).await.unwrap();
    let log: Vec<&str> = entries.iter().filter(|e| e.seq > before).map(|e| e.action.as_str()).collect();
    assert_eq!(
        log,
        vec!["invitation.create", "invitation.accept", "auth.sign_in", "invitation.create", "invitation.revoke"]
    );
    let accepted = entries.iter().find(|e| e.action == "invitation.accept").unwrap();
    assert_eq!((accepted.actor_user_id, accepted.client_id), (Some(id), Some(acme.id)));
    assert!(!entries.iter().any(|e| e.summary.contains(&created.token)), "no token in the log");
});

contract_test!(step_up_checks_the_password_and_the_code_and_is_audited, |db| {
    // Signed in at t0, the time of this test.
    let admin = testing::user(&db, "admin@example.test", "admin", &[]).await.in_session(Some(t0()), &[]);
    let before = head_seq(&db).await;
    let wrong = step_up::confirm(&db, &admin, "not the password", "", Some("10.0.0.1"), t0()).await;
    assert!(matches!(wrong, Err(DomainError::Validation(e)) if e[0].field == "password"));
    step_up::confirm(&db, &admin, PASSWORD, "", Some("10.0.0.1"), t0()).await.unwrap();
    assert_eq!(actions_since(&db, before).await, vec!["auth.step_up_failed", "auth.step_up"]);
    let confirmed = admin.clone().in_session(Some(t0()), &[]);
    assert!(confirmed.require_recent_confirmation(t0() + Duration::minutes(9)).is_ok());
    assert!(matches!(
        confirmed.require_recent_confirmation(t0() + Duration::minutes(11)),
        Err(DomainError::StepUpRequired)
    ));

    // With two-factor sign-in, the password alone is not enough.
    let setup = identity::mfa::start_enrolment(&db, &admin, t0()).await.unwrap();
    let bytes = identity::totp::base32_decode(&setup.secret).unwrap();
    let code = |at: DateTime<Utc>| {
        identity::totp::code_at_step(&bytes, identity::totp::step_of(at.timestamp()), identity::totp::DIGITS)
    };
    identity::mfa::confirm_enrolment(&db, &admin, &code(t0()), t0()).await.unwrap();
    let later = t0() + Duration::minutes(5);
    let no_code = step_up::confirm(&db, &admin, PASSWORD, "", None, later).await;
    assert!(matches!(no_code, Err(DomainError::Validation(e)) if e[0].field == "code"));
    let bad_code = step_up::confirm(&db, &admin, PASSWORD, "000000x", None, later).await;
    assert!(matches!(bad_code, Err(DomainError::Validation(e)) if e[0].field == "code"));
    step_up::confirm(&db, &admin, PASSWORD, &code(later), None, later).await.unwrap();
    let replay = step_up::confirm(&db, &admin, PASSWORD, &code(later), None, later).await;
    assert!(matches!(replay, Err(DomainError::Validation(_))), "a code works once");
    assert!(!audit::all_entries(&db).await.unwrap().iter().any(|e| e.summary.contains(PASSWORD)));
});

contract_test!(sensitive_actions_need_a_recent_confirmation_whatever_door_calls_them, |db| {
    add_client(&db, "Acme", "acme").await;
    let confirmed = testing::user(&db, "admin@example.test", "admin", &[]).await;
    testing::user(&db, "tech@example.test", "technician", &[]).await;
    testing::user(&db, "viewer@example.test", "client_viewer", &["acme"]).await;
    let now = Utc::now();
    // The same admin, in a session that last confirmed who they are eleven minutes ago.
    let stale = confirmed.clone().in_session(Some(now - Duration::minutes(11)), &[]);
    let before = head_seq(&db).await;
    let step_up = |r: Result<(), DomainError>, what: &str| {
        assert!(matches!(r, Err(DomainError::StepUpRequired)), "{what}: {r:?}");
    };
    let acme = slugs(&["acme"]);
    step_up(identity::change_role(&db, &stale, "tech@example.test", "auditor", &[], now).await.map(drop), "role");
    step_up(identity::assign_clients(&db, &stale, "tech@example.test", &acme, now).await.map(drop), "clients");
    step_up(identity::disable_user(&db, &stale, "tech@example.test", now).await, "disable");
    step_up(identity::mfa::reset(&db, &stale, "tech@example.test", now).await, "reset two-factor");
    step_up(identity::mfa::start_enrolment(&db, &stale, now).await.map(drop), "own two-factor app");
    let technician = identity::NewUser {
        email: "new@example.test".into(),
        display_name: "New".into(),
        role: "technician".into(),
        clients: vec![],
        password: PASSWORD.into(),
    };
    step_up(identity::add_user(&db, &stale, &technician, now).await.map(drop), "add a technician");
    let invite = |role: &str, clients: &[&str]| NewInvitation {
        email: format!("{role}@invited.test"),
        role: role.into(),
        clients: slugs(clients),
    };
    step_up(invitations::create_invitation(&db, &stale, &invite("manager", &[]), now).await.map(drop), "invite");
    step_up(audit::export_csv(&db, &stale, &audit::Query::default(), now).await.map(drop), "audit export");
    let register = rampart_domain::access::csv_io::export_register(&db, &stale, now).await;
    step_up(register.map(drop), "register export");
    let sso = identity::sso::SsoInput { issuer: "https://id.example.test".into(), ..Default::default() };
    step_up(identity::sso::save_settings(&db, &stale, &sso, now).await.map(drop), "single sign-on");
    assert_eq!(actions_since(&db, before).await, Vec::<String>::new(), "a refused action writes nothing");

    // Inviting a client viewer is not sensitive; and a fresh confirmation lets the rest through.
    invitations::create_invitation(&db, &stale, &invite("client_viewer", &["acme"]), now).await.unwrap();
    identity::assign_clients(&db, &confirmed, "tech@example.test", &acme, now).await.unwrap();
    identity::add_user(&db, &confirmed, &technician, now).await.unwrap();
    assert_eq!(actions_since(&db, before).await, vec!["invitation.create", "user.clients_change", "user.add"]);
});

contract_test!(a_role_that_must_use_two_factor_sign_in_changes_nothing_until_it_is_set_up, |db| {
    add_client(&db, "Acme", "acme").await;
    let now = Utc::now();
    let required = [Role::Admin, Role::Manager];
    let manager = testing::user(&db, "manager@example.test", "manager", &[]).await.in_session(Some(now), &required);
    assert!(manager.must_set_up_two_factor());
    let before = head_seq(&db).await;
    let input =
        ClientInput { name: "Beta".into(), slug: "beta".into(), impact_tier: "standard".into(), ..Default::default() };
    let refused = clients::create_client(&db, &manager, &input, now).await;
    assert!(matches!(refused, Err(DomainError::TwoFactorRequired)), "{refused:?}");
    let edit = clients::update_client(&db, &manager, "acme", 1, &input, now).await;
    assert!(matches!(edit, Err(DomainError::TwoFactorRequired)), "{edit:?}");
    assert!(clients::get_client(&db, &manager, "acme").await.is_ok(), "reading is allowed");
    assert_eq!(actions_since(&db, before).await, Vec::<String>::new());

    // Setting it up is allowed, and then the same actor (read again, as at the next request)
    // may change things.
    let setup = identity::mfa::start_enrolment(&db, &manager, now).await.unwrap();
    let secret = identity::totp::base32_decode(&setup.secret).unwrap();
    let code = identity::totp::code_at_step(&secret, identity::totp::step_of(now.timestamp()), identity::totp::DIGITS);
    identity::mfa::confirm_enrolment(&db, &manager, &code, now).await.unwrap();
    let again = identity::actor_for_user(&db, manager.user_id.unwrap()).await.unwrap().unwrap();
    let again = again.in_session(Some(now), &required);
    assert!(!again.must_set_up_two_factor());
    clients::create_client(&db, &again, &input, now).await.unwrap();
});
