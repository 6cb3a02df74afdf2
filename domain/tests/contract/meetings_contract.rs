//! Review meetings on both databases: the agenda from the client's history, sign-off that
//! freezes the pack and closes the review, refusals that write nothing, and who sees what.

use chrono::{Duration, TimeZone, Utc};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::controls::{self, ControlUpdate};
use rampart_domain::meetings::{self, ActionInput, MeetingInput};
use rampart_domain::reviews::{self, Calendar, NewSeries, OccurrenceState, ScheduleFilter};
use rampart_domain::testing::user;
use rampart_domain::{contract_test, scoring, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str) {
    let input = ClientInput {
        name: format!("{slug} Ltd"),
        slug: slug.into(),
        impact_tier: "standard".into(),
        notes: "alarm code 4711".into(),
        ..Default::default()
    };
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
}

fn status(s: &str, version: i64) -> ControlUpdate {
    ControlUpdate { status: s.into(), version, owner: "Sam".into(), ..Default::default() }
}

fn field_of(e: &DomainError) -> Vec<String> {
    match e {
        DomainError::Validation(errors) => errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect(),
        other => vec![format!("{other:?}")],
    }
}

contract_test!(a_meeting_runs_to_sign_off_and_its_pack_stays_frozen, |db| {
    client(&db, "acme").await;
    client(&db, "other").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["acme"]).await;
    let foreign = user(&db, "f@example.test", "client_viewer", &["other"]).await;
    let now = Utc.with_ymd_and_hms(2027, 1, 20, 9, 0, 0).unwrap();

    // RA-01 was implemented long ago and became partial last week: a regression.
    controls::update_client_control(
        &db,
        &manager,
        "acme",
        "RA-01",
        &status("implemented", 0),
        now - Duration::days(200),
    )
    .await
    .unwrap();
    controls::update_client_control(&db, &manager, "acme", "RA-01", &status("partial", 1), now - Duration::days(5))
        .await
        .unwrap();
    let new = NewSeries { kind: "security_review".into(), starts_on: "2027-01-10".into(), ..Default::default() };
    reviews::create_series(&db, &manager, "acme", &new, now).await.unwrap();
    let access = NewSeries { kind: "access_review".into(), starts_on: "2027-01-10".into(), ..Default::default() };
    reviews::create_series(&db, &manager, "acme", &access, now).await.unwrap();
    let all = ScheduleFilter { client: "acme".into(), ..Default::default() };
    let schedule = reviews::list_schedule(&db, &manager, &all, &Calendar::default(), now).await.unwrap();
    let review = schedule.iter().find(|o| o.kind == reviews::ReviewKind::SecurityReview).unwrap().clone();
    let access_review = schedule.iter().find(|o| o.kind == reviews::ReviewKind::AccessReview).unwrap().clone();

    assert!(matches!(
        meetings::hold_meeting(&db, &manager, access_review.id, now).await,
        Err(DomainError::Validation(_))
    ));
    assert!(matches!(meetings::hold_meeting(&db, &viewer, review.id, now).await, Err(DomainError::Forbidden)));
    assert!(matches!(meetings::hold_meeting(&db, &foreign, review.id, now).await, Err(DomainError::NotFound)));
    meetings::hold_meeting(&db, &manager, review.id, now).await.unwrap();
    assert!(matches!(meetings::hold_meeting(&db, &manager, review.id, now).await, Err(DomainError::Conflict { .. })));

    let m = meetings::get_meeting(&db, &manager, review.id).await.unwrap();
    assert_eq!(m.meeting.held_on.to_string(), "2027-01-20");
    let agenda: Vec<&str> = m.meeting.agenda.lines().collect();
    assert!(agenda[0].starts_with("Score "), "{agenda:?}");
    assert!(
        agenda.iter().any(|l| l.starts_with("Regressed: RA-01 ") && l.ends_with("(implemented → partial)")),
        "{agenda:?}"
    );
    assert!(agenda.iter().any(|l| l.starts_with("Overdue review: Access review, due 2027-01-10")), "{agenda:?}");

    // Bad input writes nothing.
    let early = MeetingInput {
        version: m.meeting.version,
        held_on: "2027-01-09".into(),
        agenda: "changed".into(),
        ..Default::default()
    };
    let refused = meetings::save_meeting(&db, &manager, review.id, &early).await.unwrap_err();
    assert_eq!(field_of(&refused), ["held_on: The series starts on 2027-01-10; the meeting cannot be held before it."]);
    let no_owner =
        ActionInput { title: "Renew firewall support".into(), owner: " ".into(), due_on: "2027-02-01".into() };
    let refused = meetings::add_action_item(&db, &manager, review.id, &no_owner).await.unwrap_err();
    assert_eq!(field_of(&refused), ["owner: Every action item needs an owner."]);
    let unchanged = meetings::get_meeting(&db, &manager, review.id).await.unwrap();
    assert_eq!((unchanged.meeting.clone(), unchanged.actions.len()), (m.meeting.clone(), 0));

    let input = MeetingInput {
        version: m.meeting.version,
        held_on: "2027-01-20".into(),
        attendees_msp: "Morgan (vCISO)\n\nAlex".into(),
        attendees_client: "Chris (CEO)".into(),
        agenda: format!("{}\nBudget for EDR", m.meeting.agenda),
        minutes: "Walked through the score.".into(),
    };
    let saved = meetings::save_meeting(&db, &manager, review.id, &input).await.unwrap();
    assert_eq!(saved.meeting.attendees_msp, "Morgan (vCISO)\nAlex");
    let stale = meetings::save_meeting(&db, &manager, review.id, &input).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })), "a stale version is refused");
    meetings::add_decision(&db, &manager, review.id, "Budget for EDR").await.unwrap();
    let owned = ActionInput { owner: "Sam".into(), ..no_owner.clone() };
    let before_sign = meetings::add_action_item(&db, &manager, review.id, &owned).await.unwrap();

    let undecided =
        meetings::sign_off_meeting(&db, &manager, review.id, before_sign.meeting.version, now).await.unwrap_err();
    assert_eq!(
        field_of(&undecided),
        ["decisions: 1 topic(s) have no decision yet: Budget for EDR. Decide each before signing off."]
    );
    let decided =
        meetings::decide(&db, &manager, review.id, before_sign.decisions[0].id, "Approved up to 5k").await.unwrap();
    assert!(matches!(
        meetings::sign_off_meeting(&db, &viewer, review.id, decided.meeting.version, now).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        meetings::sign_off_meeting(&db, &manager, review.id, before_sign.meeting.version, now).await,
        Err(DomainError::Conflict { .. })
    ));
    let signed = meetings::sign_off_meeting(&db, &manager, review.id, decided.meeting.version, now).await.unwrap();
    assert!(signed.is_signed());
    assert_eq!(signed.meeting.signed_by.as_deref(), Some("manager user"));

    // The schedule moved on: the review is done, the next one is planned.
    let after = reviews::list_schedule(&db, &manager, &all, &Calendar::default(), now).await.unwrap();
    let security: Vec<(i64, OccurrenceState)> =
        after.iter().filter(|o| o.kind == reviews::ReviewKind::SecurityReview).map(|o| (o.n, o.state)).collect();
    assert_eq!(security, [(0, OccurrenceState::Done), (1, OccurrenceState::Planned)]);

    let pack = meetings::get_pack(&db, &viewer, review.id, now).await.unwrap();
    assert_eq!(pack.client_name, "acme Ltd");
    assert_eq!(pack.decisions[0].decision, "Approved up to 5k");
    assert_eq!(pack.attendees_client, ["Chris (CEO)"]);
    assert!(pack.signed.is_some());
    assert!(!serde_json::to_string(&pack).unwrap().contains("4711"), "internal notes never reach a pack");
    assert!(matches!(meetings::get_pack(&db, &foreign, review.id, now).await, Err(DomainError::NotFound)));

    // Later changes never change a signed meeting.
    let later = now + Duration::days(2);
    controls::update_client_control(&db, &manager, "acme", "RA-01", &status("implemented", 2), later).await.unwrap();
    controls::update_client_control(&db, &manager, "acme", "RA-02", &status("implemented", 0), later).await.unwrap();
    let live = scoring::get_client_score(&db, &manager, "acme", later).await.unwrap();
    assert_ne!(live.score.posture, pack.posture, "the live score moved");
    for refused in [
        meetings::save_meeting(
            &db,
            &manager,
            review.id,
            &MeetingInput { version: signed.meeting.version, ..input.clone() },
        )
        .await
        .err(),
        meetings::add_decision(&db, &manager, review.id, "Another").await.err(),
        meetings::add_action_item(&db, &manager, review.id, &owned).await.err(),
        meetings::decide(&db, &manager, review.id, before_sign.decisions[0].id, "Changed").await.err(),
    ] {
        assert!(
            matches!(&refused, Some(DomainError::Conflict { message, .. }) if message.contains("signed off")),
            "{refused:?}"
        );
    }

    // The action item lives on: the next meeting shows it, and closing it leaves the signed pack alone.
    let next = after.iter().find(|o| o.kind == reviews::ReviewKind::SecurityReview && o.n == 1).unwrap();
    meetings::hold_meeting(&db, &manager, next.id, later).await.unwrap();
    let second = meetings::get_meeting(&db, &manager, next.id).await.unwrap();
    assert!(second.meeting.agenda.contains("Open action: Renew firewall support (owner Sam, due 2027-02-01)"));
    assert!(second.meeting.agenda.contains("since the last meeting on 2027-01-20"), "{}", second.meeting.agenda);
    assert!(second.meeting.agenda.contains("Improved: RA-01 "), "{}", second.meeting.agenda);
    assert_eq!(second.actions.len(), 1);
    assert!(matches!(
        meetings::complete_action_item(&db, &viewer, next.id, second.actions[0].id, later).await,
        Err(DomainError::Forbidden)
    ));
    assert!(matches!(
        meetings::complete_action_item(&db, &manager, review.id, 999_999, later).await,
        Err(DomainError::NotFound)
    ));
    meetings::complete_action_item(&db, &manager, next.id, second.actions[0].id, later).await.unwrap();
    let second = meetings::get_meeting(&db, &manager, next.id).await.unwrap();
    assert_eq!(
        (second.actions[0].state.as_str(), second.actions[0].done_in_meeting_id),
        ("done", Some(second.meeting.id))
    );
    assert_eq!(meetings::get_pack(&db, &manager, review.id, later).await.unwrap(), pack);
    let draft_pack = meetings::get_pack(&db, &manager, next.id, later).await.unwrap();
    assert_eq!(draft_pack.posture, live.score.posture, "a draft's pack is live");
    assert!(draft_pack.signed.is_none());
});
