//! The review schedule on both databases: series, occurrences that follow each other, overdue in
//! the MSP's calendar, who sees and changes what.

use chrono::{NaiveDate, TimeZone, Utc};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::identity::{self, NewUser};
use rampart_domain::reviews::{
    self, Calendar, NewSeries, OccurrenceInput, OccurrenceState, ReviewKind, ScheduleFilter,
};
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str, tier: &str) {
    let input = ClientInput { name: format!("{slug} Ltd"), slug: slug.into(), impact_tier: tier.into(), ..Default::default() };
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

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn act(action: &str, version: i64, note: &str) -> OccurrenceInput {
    OccurrenceInput { action: action.into(), version, note: note.into(), ..Default::default() }
}

contract_test!(closing_an_occurrence_schedules_the_next_from_the_start, |db| {
    client(&db, "acme", "critical").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let now = Utc.with_ymd_and_hms(2027, 1, 20, 9, 0, 0).unwrap();
    let new = NewSeries { kind: "access_review".into(), starts_on: "2027-01-31".into(), owner: "Morgan".into(), ..Default::default() };
    reviews::create_series(&db, &manager, "acme", &new, now).await.unwrap();
    let all = ScheduleFilter { client: "acme".into(), ..Default::default() };
    let cal = Calendar::default();
    let first = reviews::list_schedule(&db, &manager, &all, &cal, now).await.unwrap();
    assert_eq!(first.len(), 1);
    let o = &first[0];
    assert_eq!((o.due_on, o.state, o.title.as_str(), o.owner.as_str()), (day(2027, 1, 31), OccurrenceState::Planned, "Access review", "Morgan"));

    let started = reviews::change_occurrence(&db, &manager, o.id, &act("start", o.version, ""), now).await.unwrap();
    assert_eq!(started.state, OccurrenceState::InProgress);
    let stale = reviews::change_occurrence(&db, &manager, o.id, &act("done", o.version, ""), now).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })), "a stale version is refused");
    let done = reviews::change_occurrence(&db, &manager, o.id, &act("done", started.version, "All grants decided"), now).await.unwrap();
    assert_eq!((done.state, done.closed_by.as_deref()), (OccurrenceState::Done, Some("manager user")));
    let again = reviews::change_occurrence(&db, &manager, o.id, &act("skip", done.version, "twice over"), now).await;
    assert!(matches!(again, Err(DomainError::Conflict { .. })), "a closed review stays closed");

    let schedule = reviews::list_schedule(&db, &manager, &all, &cal, now).await.unwrap();
    let dues: Vec<NaiveDate> = schedule.iter().map(|o| o.due_on).collect();
    assert_eq!(dues, [day(2027, 1, 31), day(2027, 4, 30)], "quarterly, clamped to April's last day");
    let second = schedule.iter().find(|o| o.n == 1).unwrap().clone();
    let no_reason = reviews::change_occurrence(&db, &manager, second.id, &act("skip", second.version, ""), now).await;
    assert!(matches!(no_reason, Err(DomainError::Validation(e)) if e[0].field == "note"), "a skip needs a reason");
    let too_early = OccurrenceInput { scheduled_on: "2026-12-01".into(), ..act("schedule", second.version, "") };
    let refused = reviews::change_occurrence(&db, &manager, second.id, &too_early, now).await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e[0].field == "scheduled_on"), "not before the series starts");
    let bad_day = OccurrenceInput { scheduled_on: "2027-02-30".into(), ..act("schedule", second.version, "") };
    assert!(matches!(reviews::change_occurrence(&db, &manager, second.id, &bad_day, now).await, Err(DomainError::Validation(_))));
    let planned = OccurrenceInput { scheduled_on: "2027-04-22".into(), ..act("schedule", second.version, "") };
    let planned = reviews::change_occurrence(&db, &manager, second.id, &planned, now).await.unwrap();
    assert_eq!(planned.scheduled_on, Some(day(2027, 4, 22)));
    let skipped = reviews::change_occurrence(&db, &manager, second.id, &act("skip", planned.version, "Client closed for the quarter"), now).await.unwrap();
    assert_eq!((skipped.state, skipped.note.as_str()), (OccurrenceState::Skipped, "Client closed for the quarter"));
    let dues: Vec<NaiveDate> = reviews::list_schedule(&db, &manager, &all, &cal, now).await.unwrap().iter().map(|o| o.due_on).collect();
    assert_eq!(dues, [day(2027, 1, 31), day(2027, 4, 30), day(2027, 7, 31)], "anchored on the 31st again");

    let dup = reviews::create_series(&db, &manager, "acme", &new, now).await;
    assert!(matches!(dup, Err(DomainError::Conflict { .. })), "one running access review series per client");
    let custom = NewSeries { kind: "custom".into(), starts_on: "2027-02-01".into(), ..Default::default() };
    assert!(matches!(reviews::create_series(&db, &manager, "acme", &custom, now).await, Err(DomainError::Validation(e)) if e[0].field == "title"));
    let bad = NewSeries { kind: "party".into(), cadence: "hourly".into(), starts_on: "soon".into(), ..Default::default() };
    assert!(matches!(reviews::create_series(&db, &manager, "acme", &bad, now).await, Err(DomainError::Validation(e)) if e.len() == 3));
});

contract_test!(default_series_follow_the_tier_and_overdue_follows_the_msps_day, |db| {
    client(&db, "crit", "critical").await;
    client(&db, "std", "standard").await;
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 23, 30, 0).unwrap();
    assert_eq!(reviews::add_default_series(&db, &cli(), "crit", day(2027, 3, 1), now).await.unwrap(), 5);
    assert_eq!(reviews::add_default_series(&db, &cli(), "crit", day(2027, 3, 1), now).await.unwrap(), 0, "idempotent");
    reviews::add_default_series(&db, &cli(), "std", day(2027, 3, 10), now).await.unwrap();
    let cal = Calendar::default();
    let crit = reviews::list_schedule(&db, &cli(), &ScheduleFilter { client: "crit".into(), ..Default::default() }, &cal, now).await.unwrap();
    let cadence = |kind: ReviewKind| crit.iter().find(|o| o.kind == kind).unwrap().cadence;
    assert_eq!(cadence(ReviewKind::SecurityReview), reviews::Cadence::Monthly);
    assert_eq!(cadence(ReviewKind::ControlReverification), reviews::Cadence::Quarterly);

    // 23:30 UTC on 1 March is already 2 March in Berlin: crit's reviews are overdue there, not in UTC.
    let overdue = ScheduleFilter { overdue_only: true, ..Default::default() };
    assert!(reviews::list_schedule(&db, &cli(), &overdue, &cal, now).await.unwrap().is_empty());
    let berlin = Calendar::named("Europe/Berlin").unwrap();
    let late = reviews::list_schedule(&db, &cli(), &overdue, &berlin, now).await.unwrap();
    assert_eq!(late.len(), 5);
    assert!(late.iter().all(|o| o.client_slug == "crit"));
    let (over, soon) = reviews::due_soon(&db, &cli(), &berlin, 14, now).await.unwrap();
    assert_eq!((over.len(), soon.len()), (5, 5), "std's are due within two weeks");
});

contract_test!(the_schedule_is_scoped_like_the_clients, |db| {
    client(&db, "own", "standard").await;
    client(&db, "foreign", "standard").await;
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    for slug in ["own", "foreign"] {
        reviews::add_default_series(&db, &cli(), slug, day(2027, 3, 5), now).await.unwrap();
    }
    let tech = user(&db, "t@example.test", "technician", &["own"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["own"]).await;
    let auditor = user(&db, "a@example.test", "auditor", &[]).await;
    let cal = Calendar::default();
    let everything = ScheduleFilter::default();
    let seen = reviews::list_schedule(&db, &tech, &everything, &cal, now).await.unwrap();
    assert!(!seen.is_empty() && seen.iter().all(|o| o.client_slug == "own"));
    assert!(matches!(reviews::list_schedule(&db, &viewer, &everything, &cal, now).await, Err(DomainError::Forbidden)));
    let own = ScheduleFilter { client: "own".into(), ..Default::default() };
    assert_eq!(reviews::list_schedule(&db, &viewer, &own, &cal, now).await.unwrap().len(), 5, "a client viewer reads their own");
    let foreign = ScheduleFilter { client: "foreign".into(), ..Default::default() };
    assert!(matches!(reviews::list_schedule(&db, &viewer, &foreign, &cal, now).await, Err(DomainError::NotFound)));
    assert!(matches!(reviews::list_schedule(&db, &tech, &foreign, &cal, now).await, Err(DomainError::NotFound)));
    let foreign_id = reviews::list_schedule(&db, &auditor, &foreign, &cal, now).await.unwrap()[0].id;
    assert!(matches!(reviews::visible_occurrence(&db, &tech, foreign_id).await, Err(DomainError::NotFound)));
    let own_one = seen[0].clone();
    for who in [&tech, &viewer, &auditor] {
        let refused = reviews::change_occurrence(&db, who, own_one.id, &act("start", own_one.version, ""), now).await;
        assert!(matches!(refused, Err(DomainError::Forbidden)), "{:?}", who.role);
    }
    let new = NewSeries { kind: "custom".into(), title: "Firewall rule review".into(), starts_on: "2027-04-01".into(), ..Default::default() };
    assert!(matches!(reviews::create_series(&db, &tech, "own", &new, now).await, Err(DomainError::Forbidden)));
    assert!(matches!(reviews::create_series(&db, &viewer, "foreign", &new, now).await, Err(DomainError::NotFound)));
});
