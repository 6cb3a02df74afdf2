//! The tool's own hardening in the domain: login throttling with a fixed clock, and sessions
//! that end (sign out everywhere, disabled users, absolute lifetime), on SQLite always and on
//! PostgreSQL when RAMPART_TEST_POSTGRES_URL is set.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rampart_domain::db::DbSessionStore;
use rampart_domain::identity::{self, throttle};
use rampart_domain::{audit, contract_test, testing, Actor, Db, DomainError};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

const PASSWORD: &str = "a long enough password";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

async fn attempt(db: &Db, email: &str, password: &str, address: &str, now: DateTime<Utc>) -> Result<i64, DomainError> {
    identity::sign_in_from(db, email, password, Some(address), now).await
}

async fn actions(db: &Db) -> Vec<String> {
    audit::all_entries(db).await.unwrap().into_iter().map(|e| e.action).collect()
}

contract_test!(five_failures_lock_an_account_for_fifteen_minutes_known_or_not, |db| {
    let manager = testing::user(&db, "manager@example.test", "manager", &[]).await;
    for email in ["manager@example.test", "nobody@example.test"] {
        for minute in 0..throttle::ACCOUNT_LIMIT {
            let at = t0() + Duration::minutes(minute);
            let address = format!("10.0.0.{minute}");
            assert!(matches!(attempt(&db, email, "wrong", &address, at).await, Err(DomainError::BadCredentials)));
        }
        // The right password is not even looked at now, and the answer does not say whether
        // the account exists.
        let later = t0() + Duration::minutes(6);
        match attempt(&db, email, PASSWORD, "10.0.1.1", later).await {
            Err(DomainError::Throttled { minutes }) => {
                assert_eq!(minutes, 9, "{email}: the first failure ages out at 9:15")
            }
            other => panic!("{email}: {other:?}"),
        }
        // Ten seconds before the first failure leaves the window: still refused, one minute.
        let almost = t0() + throttle::WINDOW - Duration::seconds(10);
        assert!(matches!(
            attempt(&db, email, PASSWORD, "10.0.1.1", almost).await,
            Err(DomainError::Throttled { minutes: 1 })
        ));
    }
    // Once the first failure has left the window, the right password works again.
    let after = t0() + throttle::WINDOW + Duration::seconds(1);
    assert_eq!(
        attempt(&db, "manager@example.test", PASSWORD, "10.0.1.1", after).await.unwrap(),
        manager.user_id.unwrap()
    );
    // Success cleared the account's failures: one more failure does not lock it again.
    assert!(matches!(
        attempt(&db, "manager@example.test", "wrong", "10.0.1.1", after).await,
        Err(DomainError::BadCredentials)
    ));
    assert!(attempt(&db, "manager@example.test", PASSWORD, "10.0.1.1", after).await.is_ok());
    // The failure that filled each account's window is recorded once; the refusals after it are
    // not (a stranger cannot grow the log one entry per request).
    let log = actions(&db).await;
    assert_eq!(log.iter().filter(|a| *a == "auth.sign_in_throttled").count(), 2, "{log:?}");
    let throttled =
        audit::all_entries(&db).await.unwrap().into_iter().find(|e| e.action == "auth.sign_in_throttled").unwrap();
    assert!(throttled.summary.contains("from 10.0.0.4"), "{}", throttled.summary);
    assert_eq!(throttled.actor, "manager@example.test");
});

/// Sign-in attempts for `email` all at once (from different addresses, at one instant), spread
/// over `servers`: how many were checked (a wrong password) and how many refused unchecked.
async fn burst(servers: &[Db], email: &str, attempts: usize, network: usize) -> (i64, i64) {
    let now = Utc::now();
    let tasks: Vec<_> = (0..attempts)
        .map(|n| {
            let db = servers[n % servers.len()].clone();
            let (email, address) = (email.to_owned(), format!("10.{network}.{}.{}", n / 200, n % 200));
            tokio::spawn(async move { identity::sign_in_from(&db, &email, "wrong", Some(&address), now).await })
        })
        .collect();
    let (mut checked, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Err(DomainError::BadCredentials) => checked += 1,
            Err(DomainError::Throttled { .. }) => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    (checked, refused)
}

contract_test!(a_burst_at_once_gets_at_most_the_limit_checked, |db| {
    testing::user(&db, "burst@example.test", "manager", &[]).await;
    for (network, email) in [(9, "burst@example.test"), (10, "nobody@example.test")] {
        let (checked, refused) = burst(std::slice::from_ref(&db), email, 60, network).await;
        assert_eq!((checked, refused), (throttle::ACCOUNT_LIMIT, 60 - throttle::ACCOUNT_LIMIT), "{email}");
    }
    // And the log holds a bounded number of entries for the 120 requests: the failures of the
    // existing account, the first failure of each address for the unknown one, the two fills.
    let log = actions(&db).await;
    let auth = log.iter().filter(|a| a.starts_with("auth.")).count() as i64;
    assert_eq!(auth, 2 * throttle::ACCOUNT_LIMIT + 2, "{log:?}");
});

/// Two servers on one PostgreSQL (two pools of their own) share the count exactly.
#[tokio::test]
async fn a_burst_through_two_servers_on_postgres_gets_at_most_the_limit_checked() {
    let Some(test) = testing::postgres().await else {
        eprintln!("skipped: set {} to run on PostgreSQL", testing::POSTGRES_URL_VAR);
        return;
    };
    let second = rampart_domain::setup::connect(&test.url).await.expect("a second server's pool");
    test.run(|db| async move {
        testing::user(&db, "burst@example.test", "manager", &[]).await;
        let (checked, refused) = burst(&[db.clone(), second.clone()], "burst@example.test", 80, 9).await;
        assert_eq!((checked, refused), (throttle::ACCOUNT_LIMIT, 80 - throttle::ACCOUNT_LIMIT));
        second.close().await;
    })
    .await;
}

contract_test!(twenty_failures_from_one_address_lock_that_address_only, |db| {
    testing::user(&db, "tech@example.test", "technician", &[]).await;
    for n in 0..throttle::ADDRESS_LIMIT {
        let email = format!("guess{n}@example.test");
        let result = attempt(&db, &email, "wrong", "203.0.113.9", t0() + Duration::seconds(n)).await;
        assert!(matches!(result, Err(DomainError::BadCredentials)), "{n}: {result:?}");
    }
    let soon = t0() + Duration::minutes(1);
    assert!(matches!(
        attempt(&db, "tech@example.test", PASSWORD, "203.0.113.9", soon).await,
        Err(DomainError::Throttled { minutes: 14 })
    ));
    assert!(attempt(&db, "tech@example.test", PASSWORD, "198.51.100.7", soon).await.is_ok(), "another address may");
    // Without a known address (the command line), only the account counts.
    assert!(identity::sign_in(&db, "tech@example.test", PASSWORD).await.is_ok());
});

fn session_of(user_id: i64) -> Record {
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    record.data.insert("user_id".into(), serde_json::json!(user_id));
    record
}

contract_test!(signing_out_everywhere_and_disabling_end_every_session_of_that_user_only, |db| {
    let store = DbSessionStore::new(db.clone());
    let alice = testing::user(&db, "alice@example.test", "manager", &[]).await;
    let bob = testing::user(&db, "bob@example.test", "auditor", &[]).await;
    let mut alice_sessions = [session_of(alice.user_id.unwrap()), session_of(alice.user_id.unwrap())];
    let mut bob_session = session_of(bob.user_id.unwrap());
    for record in alice_sessions.iter_mut().chain(std::iter::once(&mut bob_session)) {
        store.create(record).await.unwrap();
    }
    // A session saved before sign-in names nobody, and gains its user at sign-in.
    let mut anonymous = Record { data: Default::default(), ..session_of(0) };
    store.create(&mut anonymous).await.unwrap();

    assert_eq!(identity::sign_out_everywhere(&db, &alice).await.unwrap(), 2);
    for record in &alice_sessions {
        assert!(store.load(&record.id).await.unwrap().is_none(), "alice's sessions ended");
    }
    assert!(store.load(&bob_session.id).await.unwrap().is_some(), "bob's session goes on");
    assert!(store.load(&anonymous.id).await.unwrap().is_some());
    assert!(actions(&db).await.contains(&"auth.sign_out_everywhere".to_string()));

    identity::disable_user(&db, &Actor::command_line(), "bob@example.test", chrono::Utc::now()).await.unwrap();
    assert!(store.load(&bob_session.id).await.unwrap().is_none(), "disabling bob ended his session at once");
    assert!(matches!(
        identity::sign_out_everywhere(&db, &Actor::command_line()).await,
        Err(DomainError::Unauthenticated)
    ));
});

contract_test!(a_session_older_than_its_absolute_lifetime_does_not_load, |db| {
    let user = testing::user(&db, "alice@example.test", "manager", &[]).await;
    let store = DbSessionStore::new(db.clone()).with_max_lifetime(time::Duration::hours(12));
    let mut fresh = session_of(user.user_id.unwrap());
    let mut old = session_of(user.user_id.unwrap());
    store.create(&mut fresh).await.unwrap();
    store.create(&mut old).await.unwrap();
    // Signed in 12 hours and a minute ago, active ever since (saving does not restart it).
    let started = time::OffsetDateTime::now_utc().unix_timestamp() - 12 * 3600 - 60;
    rampart_domain::on_pool!(&db, |pool| {
        sqlx::query("UPDATE sessions SET started_at = $1 WHERE id = $2")
            .bind(started)
            .bind(old.id.to_string())
            .execute(pool)
            .await
            .unwrap();
    });
    store.save(&old).await.unwrap();
    assert!(store.load(&fresh.id).await.unwrap().is_some());
    assert!(store.load(&old.id).await.unwrap().is_none(), "past the absolute lifetime");
    assert!(DbSessionStore::new(db.clone()).load(&old.id).await.unwrap().is_some(), "no lifetime, no limit");
});

fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    let bytes = identity::totp::base32_decode(secret).unwrap();
    identity::totp::code_at_step(&bytes, identity::totp::step_of(at.timestamp()), identity::totp::DIGITS)
}

contract_test!(a_totp_app_is_enrolled_with_a_code_and_each_code_and_recovery_code_works_once, |db| {
    use identity::mfa;
    // Signed in at t0, the time of this test.
    let user = testing::user(&db, "alice@example.test", "manager", &[]).await.in_session(Some(t0()), &[]);
    let id = user.user_id.unwrap();
    assert!(matches!(mfa::confirm_enrolment(&db, &user, "123456", t0()).await, Err(DomainError::Conflict { .. })));
    let setup = mfa::start_enrolment(&db, &user, t0()).await.unwrap();
    assert_eq!(identity::totp::base32_decode(&setup.secret).unwrap().len(), 20);
    assert!(setup.uri.starts_with("otpauth://totp/Rampart%3Aalice%40example.test?secret="), "{}", setup.uri);
    assert!(!mfa::is_enrolled(&db, id).await.unwrap(), "not before a code is confirmed");
    let wrong = if code_at(&setup.secret, t0()) == "000000" { "111111" } else { "000000" };
    assert!(matches!(mfa::confirm_enrolment(&db, &user, wrong, t0()).await, Err(DomainError::Validation(_))));
    let codes = mfa::confirm_enrolment(&db, &user, &code_at(&setup.secret, t0()), t0()).await.unwrap();
    assert_eq!(codes.len(), mfa::RECOVERY_CODES);
    assert!(mfa::is_enrolled(&db, id).await.unwrap());
    assert!(matches!(mfa::start_enrolment(&db, &user, t0()).await, Err(DomainError::Conflict { .. })));

    // The password alone no longer signs in; the audit log says so.
    identity::sign_in(&db, "alice@example.test", PASSWORD).await.unwrap();
    let log = actions(&db).await;
    assert_eq!(log.iter().filter(|a| *a == "auth.sign_in").count(), 0, "{log:?}");
    assert!(log.contains(&"auth.password_accepted".to_string()) && log.contains(&"mfa.enrol".to_string()), "{log:?}");

    // The code used to confirm is spent; the next step's code works once.
    let at = t0() + Duration::seconds(30);
    assert!(matches!(
        mfa::verify_code(&db, id, &code_at(&setup.secret, t0()), None, t0()).await,
        Err(DomainError::Validation(_))
    ));
    mfa::verify_code(&db, id, &code_at(&setup.secret, at), Some("10.0.0.1"), at).await.unwrap();
    assert!(mfa::verify_code(&db, id, &code_at(&setup.secret, at), None, at).await.is_err(), "no replay");
    // A code from two steps away is refused.
    let far = t0() + Duration::seconds(150);
    assert!(mfa::verify_code(&db, id, &code_at(&setup.secret, t0() + Duration::seconds(60)), None, far).await.is_err());

    // A recovery code, typed in upper case with a space, works once.
    let typed = codes[0].to_uppercase().replace('-', " ");
    mfa::verify_code(&db, id, &typed, None, far).await.unwrap();
    assert!(matches!(mfa::verify_code(&db, id, &codes[0], None, far).await, Err(DomainError::Validation(_))));
    assert_eq!(mfa::unused_recovery_codes(&db, id).await.unwrap(), 9);
    let log = actions(&db).await;
    assert_eq!(log.iter().filter(|a| *a == "mfa.recovery_code_used").count(), 1);
    assert_eq!(log.iter().filter(|a| *a == "auth.sign_in").count(), 1, "the app code's sign-in: {log:?}");
    assert!(
        !audit::all_entries(&db).await.unwrap().iter().any(|e| e.summary.contains(&codes[1])),
        "no code in the log"
    );

    // Wrong codes count as failed sign-ins, and the right password in between does not clear
    // the count: the fifth wrong code locks the account.
    let later = t0() + Duration::hours(1);
    for n in 0..throttle::ACCOUNT_LIMIT {
        if n == 2 {
            identity::sign_in_from(&db, "alice@example.test", PASSWORD, None, later).await.unwrap();
        }
        assert!(matches!(mfa::verify_code(&db, id, "not-a-code", None, later).await, Err(DomainError::Validation(_))));
    }
    assert!(matches!(mfa::verify_code(&db, id, &codes[1], None, later).await, Err(DomainError::Throttled { .. })));

    // A lost phone: only an admin (or the command line) removes the app; then the password
    // alone signs in, until the user sets it up again.
    assert!(matches!(
        mfa::reset(&db, &user, "alice@example.test", chrono::Utc::now()).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        mfa::reset(&db, &Actor::command_line(), "nobody@example.test", chrono::Utc::now()).await,
        Err(DomainError::NotFound)
    ));
    mfa::reset(&db, &Actor::command_line(), "alice@example.test", chrono::Utc::now()).await.unwrap();
    assert!(!mfa::is_enrolled(&db, id).await.unwrap());
    assert_eq!(mfa::unused_recovery_codes(&db, id).await.unwrap(), 0);
    assert!(actions(&db).await.contains(&"mfa.reset".to_string()));
});

/// A passkey row as registration writes it, but for the credential (a real one comes only from
/// an authenticator: the browser tests make them).
async fn stored_passkey(db: &Db, user_id: i64) {
    let sql = "INSERT INTO passkeys (user_id, user_handle, credential_id, name, passkey, created_at) \
               VALUES ($1, 'handle', $2, 'Laptop', '{}', $3)";
    let credential = format!("credential-{user_id}");
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(sql).bind(user_id).bind(&credential).bind(t0()).execute(pool).await.unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(sql).bind(user_id).bind(&credential).bind(t0()).execute(pool).await.unwrap();
        }
    }
}

contract_test!(where_a_role_must_use_a_passkey_an_app_code_no_longer_signs_in, |db| {
    use identity::{mfa, passkeys};
    use rampart_domain::Role;
    let user = testing::user(&db, "alice@example.test", "admin", &[]).await.in_session(Some(t0()), &[]);
    let id = user.user_id.unwrap();
    let setup = mfa::start_enrolment(&db, &user, t0()).await.unwrap();
    let codes = mfa::confirm_enrolment(&db, &user, &code_at(&setup.secret, t0()), t0()).await.unwrap();
    let required = [Role::Admin];
    assert!(mfa::app_codes_accepted(&db, id, &required).await.unwrap(), "no passkey yet: the app still counts");

    stored_passkey(&db, id).await;
    assert!(passkeys::has_passkey(&db, id).await.unwrap() && mfa::has_second_factor(&db, id).await.unwrap());
    assert!(!mfa::app_codes_accepted(&db, id, &required).await.unwrap());
    assert!(mfa::app_codes_accepted(&db, id, &[]).await.unwrap(), "a role not required to use one");
    let at = t0() + Duration::seconds(30);
    let refused = mfa::verify_code_for(&db, id, &code_at(&setup.secret, at), None, at, &required).await;
    assert!(matches!(refused, Err(DomainError::Validation(_))), "{refused:?}");
    // A recovery code is the way back in when the passkey is lost.
    mfa::verify_code_for(&db, id, &codes[0], None, at, &required).await.unwrap();
    // The acting user carries the passkey, and the role's need of one.
    let actor = identity::actor_for_user(&db, id).await.unwrap().unwrap();
    assert!(actor.passkey && actor.two_factor);
    assert!(!actor.requiring_passkey(&required).must_set_up_two_factor());
});

contract_test!(a_request_in_flight_does_not_bring_back_an_ended_session, |db| {
    let store = DbSessionStore::new(db.clone());
    let alice = testing::user(&db, "alice@example.test", "manager", &[]).await;
    let mut record = session_of(alice.user_id.unwrap());
    store.create(&mut record).await.unwrap();
    identity::sign_out_everywhere(&db, &alice).await.unwrap();
    // The end of a request that loaded the session before it ended.
    store.save(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
});
