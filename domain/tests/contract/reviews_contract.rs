//! The review schedule on both databases: series, occurrences that follow each other, overdue in
//! the MSP's calendar, who sees and changes what.

use chrono::{NaiveDate, TimeZone, Utc};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::identity;
use rampart_domain::reviews::{
    self, Calendar, NewSeries, OccurrenceInput, OccurrenceState, ReviewKind, ScheduleFilter,
};
use rampart_domain::testing::user;
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

async fn client(db: &Db, slug: &str, tier: &str) {
    let input =
        ClientInput { name: format!("{slug} Ltd"), slug: slug.into(), impact_tier: tier.into(), ..Default::default() };
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
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
    let new = NewSeries {
        kind: "access_review".into(),
        starts_on: "2027-01-31".into(),
        owner: "Morgan".into(),
        ..Default::default()
    };
    reviews::create_series(&db, &manager, "acme", &new, now).await.unwrap();
    let all = ScheduleFilter { client: "acme".into(), ..Default::default() };
    let cal = Calendar::default();
    let first = reviews::list_schedule(&db, &manager, &all, &cal, now).await.unwrap();
    assert_eq!(first.len(), 1);
    let o = &first[0];
    assert_eq!(
        (o.due_on, o.state, o.title.as_str(), o.owner.as_str()),
        (day(2027, 1, 31), OccurrenceState::Planned, "Access review", "Morgan")
    );

    let started = reviews::change_occurrence(&db, &manager, o.id, &act("start", o.version, ""), now).await.unwrap();
    assert_eq!(started.state, OccurrenceState::InProgress);
    let stale = reviews::change_occurrence(&db, &manager, o.id, &act("done", o.version, ""), now).await;
    assert!(matches!(stale, Err(DomainError::Conflict { .. })), "a stale version is refused");
    let done =
        reviews::change_occurrence(&db, &manager, o.id, &act("done", started.version, "All grants decided"), now)
            .await
            .unwrap();
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
    assert!(
        matches!(refused, Err(DomainError::Validation(e)) if e[0].field == "scheduled_on"),
        "not before the series starts"
    );
    let bad_day = OccurrenceInput { scheduled_on: "2027-02-30".into(), ..act("schedule", second.version, "") };
    assert!(matches!(
        reviews::change_occurrence(&db, &manager, second.id, &bad_day, now).await,
        Err(DomainError::Validation(_))
    ));
    let planned = OccurrenceInput { scheduled_on: "2027-04-22".into(), ..act("schedule", second.version, "") };
    let planned = reviews::change_occurrence(&db, &manager, second.id, &planned, now).await.unwrap();
    assert_eq!(planned.scheduled_on, Some(day(2027, 4, 22)));
    let skipped = reviews::change_occurrence(
        &db,
        &manager,
        second.id,
        &act("skip", planned.version, "Client closed for the quarter"),
        now,
    )
    .await
    .unwrap();
    assert_eq!((skipped.state, skipped.note.as_str()), (OccurrenceState::Skipped, "Client closed for the quarter"));
    let dues: Vec<NaiveDate> =
        reviews::list_schedule(&db, &manager, &all, &cal, now).await.unwrap().iter().map(|o| o.due_on).collect();
    assert_eq!(dues, [day(2027, 1, 31), day(2027, 4, 30), day(2027, 7, 31)], "anchored on the 31st again");

    let dup = reviews::create_series(&db, &manager, "acme", &new, now).await;
    assert!(matches!(dup, Err(DomainError::Conflict { .. })), "one running access review series per client");
    let logged: Vec<String> = rampart_domain::audit::all_entries(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("review"))
        .map(|e| format!("{} {}", e.action, e.summary))
        .collect();
    assert_eq!(logged.len(), 5, "the series, start, done, schedule and skip, each once; refusals none: {logged:#?}");
    assert!(logged[2].contains("in_progress → done; next due 2027-04-30"), "{logged:#?}");
    let custom = NewSeries { kind: "custom".into(), starts_on: "2027-02-01".into(), ..Default::default() };
    assert!(
        matches!(reviews::create_series(&db, &manager, "acme", &custom, now).await, Err(DomainError::Validation(e)) if e[0].field == "title")
    );
    let bad =
        NewSeries { kind: "party".into(), cadence: "hourly".into(), starts_on: "soon".into(), ..Default::default() };
    assert!(
        matches!(reviews::create_series(&db, &manager, "acme", &bad, now).await, Err(DomainError::Validation(e)) if e.len() == 3)
    );
});

contract_test!(default_series_follow_the_tier_and_overdue_follows_the_msps_day, |db| {
    client(&db, "crit", "critical").await;
    client(&db, "std", "standard").await;
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 23, 30, 0).unwrap();
    assert_eq!(reviews::add_default_series(&db, &cli(), "crit", day(2027, 3, 1), now).await.unwrap(), 5);
    assert_eq!(reviews::add_default_series(&db, &cli(), "crit", day(2027, 3, 1), now).await.unwrap(), 0, "idempotent");
    reviews::add_default_series(&db, &cli(), "std", day(2027, 3, 10), now).await.unwrap();
    let cal = Calendar::default();
    let crit =
        reviews::list_schedule(&db, &cli(), &ScheduleFilter { client: "crit".into(), ..Default::default() }, &cal, now)
            .await
            .unwrap();
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
    assert_eq!(
        reviews::list_schedule(&db, &viewer, &own, &cal, now).await.unwrap().len(),
        5,
        "a client viewer reads their own"
    );
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
    let new = NewSeries {
        kind: "custom".into(),
        title: "Firewall rule review".into(),
        starts_on: "2027-04-01".into(),
        ..Default::default()
    };
    assert!(matches!(reviews::create_series(&db, &tech, "own", &new, now).await, Err(DomainError::Forbidden)));
    assert!(matches!(reviews::create_series(&db, &viewer, "foreign", &new, now).await, Err(DomainError::NotFound)));
});

contract_test!(an_access_review_lists_the_grants_riskiest_first_and_signs_off_when_all_are_decided, |db| {
    use rampart_domain::access::{self, NewGrant, NewTechnician, RevocationInput};
    client(&db, "acme", "sensitive").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let auditor = user(&db, "a@example.test", "auditor", &[]).await;
    let now = Utc::now();
    let mut grants = Vec::new();
    for (email, system, privilege, mfa) in [
        ("ann@msp.example", "rmm", "standard", true),
        ("bob@msp.example", "password_vault", "admin", false),
        ("cy@msp.example", "psa", "read", true),
    ] {
        let new = NewTechnician {
            name: email.into(),
            email: email.into(),
            title: "Engineer".into(),
            started_on: "2026-01-05".into(),
        };
        let t = access::create_technician(&db, &cli(), &new, now).await.unwrap();
        for step in access::get_lifecycle(&db, &cli(), t.id, now).await.unwrap().steps {
            access::complete_step(&db, &cli(), t.id, step.id, "", now).await.unwrap();
        }
        let grant = NewGrant {
            technician_id: t.id,
            client_slug: "acme".into(),
            system: system.into(),
            privilege: privilege.into(),
            justification: "Day-to-day work".into(),
            mfa,
            ..Default::default()
        };
        grants.push(access::grant_access(&db, &cli(), &grant, now).await.unwrap());
    }
    let new =
        NewSeries { kind: "access_review".into(), starts_on: now.format("%Y-%m-%d").to_string(), ..Default::default() };
    reviews::create_series(&db, &manager, "acme", &new, now).await.unwrap();
    let cal = Calendar::default();
    let o = reviews::list_schedule(
        &db,
        &manager,
        &ScheduleFilter { client: "acme".into(), ..Default::default() },
        &cal,
        now,
    )
    .await
    .unwrap()[0]
        .clone();
    let empty = reviews::campaign::get_campaign(&db, &manager, o.id, now).await.unwrap();
    assert!(empty.items.is_empty(), "the population is taken when the review starts");
    reviews::change_occurrence(&db, &manager, o.id, &act("start", o.version, ""), now).await.unwrap();
    // Granted after the start: not in this campaign's population.
    let late = NewGrant {
        technician_id: grants[0].technician_id,
        client_slug: "acme".into(),
        system: "edr".into(),
        privilege: "read".into(),
        justification: "Granted after the review started".into(),
        mfa: true,
        ..Default::default()
    };
    access::grant_access(&db, &cli(), &late, now).await.unwrap();
    let campaign = reviews::campaign::get_campaign(&db, &auditor, o.id, now).await.unwrap();
    assert_eq!(campaign.items.len(), 3);
    assert_eq!(campaign.items[0].grant.id, grants[1].id, "admin without MFA first");
    assert_eq!((campaign.decided(), campaign.completion()), (0, 0));

    let (vault, rmm, psa) = (
        campaign.items[0].item.id,
        campaign.items.iter().find(|i| i.grant.id == grants[0].id).unwrap().item.id,
        campaign.items.iter().find(|i| i.grant.id == grants[2].id).unwrap().item.id,
    );
    let refused = reviews::campaign::decide(&db, &auditor, o.id, rmm, "keep", "", now).await;
    assert!(matches!(refused, Err(DomainError::Forbidden)), "auditors read, they do not decide");
    let no_reason = reviews::campaign::decide(&db, &manager, o.id, vault, "keep", "", now).await;
    assert!(
        matches!(no_reason, Err(DomainError::Validation(e)) if e[0].field == "reason"),
        "keeping admin access needs a reason"
    );
    let bad = reviews::campaign::decide(&db, &manager, o.id, rmm, "forget", "", now).await;
    assert!(matches!(bad, Err(DomainError::Validation(e)) if e[0].field == "decision"));
    let early = reviews::change_occurrence(&db, &manager, o.id, &act("done", o.version + 1, ""), now).await;
    assert!(
        matches!(early, Err(DomainError::Validation(e)) if e[0].message.contains("3 grant(s)")),
        "no sign-off with undecided grants"
    );

    reviews::campaign::decide(&db, &manager, o.id, rmm, "keep", "", now).await.unwrap();
    reviews::campaign::decide(&db, &manager, o.id, psa, "modify", "Reduce to the client's own board", now)
        .await
        .unwrap();
    let c =
        reviews::campaign::decide(&db, &manager, o.id, vault, "revoke", "Vault admin is not needed for this role", now)
            .await
            .unwrap();
    assert_eq!((c.decided(), c.completion()), (3, 100));
    let (_, held) = access::get_technician(&db, &cli(), grants[1].technician_id).await.unwrap();
    let vault_grant = held.iter().find(|g| g.id == grants[1].id).unwrap();
    assert!(
        vault_grant.revoke_due_at.is_some() && vault_grant.revoked_at.is_none(),
        "revoke creates a revocation task"
    );
    let (_, kept) = access::get_technician(&db, &cli(), grants[0].technician_id).await.unwrap();
    assert_eq!(
        kept.iter().find(|g| g.id == grants[0].id).unwrap().last_reviewed_by.as_deref(),
        Some("manager user"),
        "keep counts as the review"
    );
    let overdue = access::list_findings(&db, &manager, now + chrono::Duration::days(2)).await.unwrap();
    assert!(
        overdue.iter().any(|(g, f)| g.id == grants[1].id && f.contains(&access::FindingKind::RevocationOverdue)),
        "an undone revocation becomes a finding"
    );
    let removal = RevocationInput {
        removed_at: String::new(),
        method: "tool_user_list".into(),
        evidence: "Vault membership removed".into(),
    };
    access::revoke_grant(&db, &manager, grants[1].id, &removal, now).await.unwrap();

    let current = reviews::visible_occurrence(&db, &manager, o.id).await.unwrap();
    let signed = reviews::change_occurrence(&db, &manager, o.id, &act("done", current.version, "Signed off"), now)
        .await
        .unwrap();
    assert_eq!(signed.state, OccurrenceState::Done);
    let after = reviews::campaign::decide(&db, &manager, o.id, rmm, "revoke", "Changed my mind", now).await;
    assert!(matches!(after, Err(DomainError::Conflict { .. })), "a signed-off review does not change");
});

contract_test!(the_calendar_feed_holds_what_its_user_may_see_and_parses, |db| {
    use icalendar::{Calendar as Ical, CalendarComponent, Component};
    client(&db, "own", "standard").await;
    let hostile = ClientInput {
        name: "foreign, \"quoted\"; Ltd".into(),
        slug: "foreign".into(),
        impact_tier: "standard".into(),
        ..Default::default()
    };
    clients::create_client(&db, &cli(), &hostile, chrono::Utc::now()).await.unwrap();
    let now = Utc::now();
    let today = now.date_naive();
    reviews::add_default_series(&db, &cli(), "own", today, now).await.unwrap();
    reviews::add_default_series(&db, &cli(), "foreign", today, now).await.unwrap();
    let tech = user(&db, "t@example.test", "technician", &["own"]).await;
    let viewer = user(&db, "v@example.test", "client_viewer", &["own"]).await;
    let cal = Calendar::default();

    let token = reviews::feed::rotate_token(&db, &tech, now).await.unwrap();
    let text = reviews::feed::feed(&db, &token, &cal, "https://rampart.example", now).await.unwrap();
    let parsed: Ical = text.parse().expect("a valid iCalendar document");
    let events: Vec<_> = parsed
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 5, "the technician's own client only");
    assert!(events.iter().all(|e| e.get_summary().is_some_and(|s| s.ends_with("· own Ltd"))));
    assert!(events.iter().all(|e| e.get_url().is_some_and(|u| u.starts_with("https://rampart.example/reviews/"))));
    assert!(!text.contains("quoted"), "nothing of another client");

    let viewer_token = reviews::feed::rotate_token(&db, &viewer, now).await.unwrap();
    let viewer_feed = reviews::feed::feed(&db, &viewer_token, &cal, "", now).await.unwrap();
    assert_eq!(viewer_feed.matches("BEGIN:VEVENT").count(), 5, "a client viewer's own client");

    let rotated = reviews::feed::rotate_token(&db, &tech, now).await.unwrap();
    assert!(
        matches!(reviews::feed::feed(&db, &token, &cal, "", now).await, Err(DomainError::NotFound)),
        "the old address stops"
    );
    assert!(reviews::feed::feed(&db, &rotated, &cal, "", now).await.is_ok());
    assert!(matches!(reviews::feed::feed(&db, "not-a-token", &cal, "", now).await, Err(DomainError::NotFound)));
    identity::disable_user(&db, &cli(), "t@example.test", chrono::Utc::now()).await.unwrap();
    assert!(
        matches!(reviews::feed::feed(&db, &rotated, &cal, "", now).await, Err(DomainError::NotFound)),
        "a disabled user's feed stops"
    );

    // A hostile client name stays text.
    let admin = user(&db, "root@example.test", "admin", &[]).await;
    let admin_token = reviews::feed::rotate_token(&db, &admin, now).await.unwrap();
    let all = reviews::feed::feed(&db, &admin_token, &cal, "", now).await.unwrap();
    let parsed: Ical = all.parse().unwrap();
    let summaries: Vec<String> = parsed
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => e.get_summary().map(str::to_string),
            _ => None,
        })
        .collect();
    assert_eq!(summaries.len(), 10);
    assert!(summaries.iter().any(|s| s.contains("foreign, \"quoted\"; Ltd")), "{summaries:?}");
});

contract_test!(overdue_reviews_cost_points_and_meetings_mark_the_trend, |db| {
    use rampart_domain::scoring::{self, model::PenaltyKind};
    client(&db, "acme", "critical").await;
    let now = Utc.with_ymd_and_hms(2027, 3, 20, 12, 0, 0).unwrap();
    reviews::add_default_series(&db, &cli(), "acme", day(2027, 3, 1), now).await.unwrap();
    let penalty = |s: &scoring::ClientScore| {
        s.score.penalties.iter().find(|p| p.kind == PenaltyKind::OverdueReview).unwrap().clone()
    };
    let score = scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap();
    let p = penalty(&score);
    assert_eq!((p.count, p.points), (5, 10), "five overdue reviews at 2 points each, capped at 10");
    let first = reviews::list_schedule(
        &db,
        &cli(),
        &ScheduleFilter { client: "acme".into(), kind: "access_review".into(), ..Default::default() },
        &Calendar::default(),
        now,
    )
    .await
    .unwrap()[0]
        .clone();
    reviews::change_occurrence(&db, &cli(), first.id, &act("done", first.version, ""), now).await.unwrap();
    let p = penalty(&scoring::get_client_score(&db, &cli(), "acme", now).await.unwrap());
    assert_eq!((p.count, p.points), (4, 8));
    let client_id = score.client.id;
    let meetings = scoring::sources::meetings(&db, client_id, day(2027, 3, 1), day(2027, 3, 31)).await.unwrap();
    assert_eq!(meetings.len(), 1, "the security review is the meeting: {meetings:?}");
    let quarters = scoring::sources::review_timeliness(&db, client_id, now).await.unwrap();
    let q1 = quarters.iter().find(|q| q.quarter == "2027 Q1").unwrap();
    assert_eq!((q1.on_time, q1.late), (0, 5), "done after its due day, and four open past it");
});

contract_test!(a_clients_page_lists_its_open_reviews_and_only_its_latest_closed_ones, |db| {
    client(&db, "acme", "standard").await;
    client(&db, "other", "standard").await;
    let manager = user(&db, "m@example.test", "manager", &[]).await;
    let new = NewSeries { kind: "access_review".into(), starts_on: "2027-01-31".into(), ..Default::default() };
    let start = Utc.with_ymd_and_hms(2027, 1, 20, 9, 0, 0).unwrap();
    reviews::create_series(&db, &manager, "acme", &new, start).await.unwrap();
    reviews::create_series(&db, &manager, "other", &new, start).await.unwrap();
    let acme = clients::get_client(&db, &manager, "acme").await.unwrap();
    // Three quarters closed one after the other, a day apart: each closing opens the next.
    for k in 0..3 {
        let now = start + chrono::Duration::days(k);
        let (open, _) = reviews::client_reviews_of(&db, &manager, &acme, 10).await.unwrap();
        let o = &open[0];
        let action =
            if k == 1 { act("skip", o.version, "Postponed by the client") } else { act("done", o.version, "") };
        reviews::change_occurrence(&db, &manager, o.id, &action, now).await.unwrap();
    }
    let (open, closed) = reviews::client_reviews_of(&db, &manager, &acme, 2).await.unwrap();
    assert_eq!(open.len(), 1, "the one open review of the series");
    assert!(open.iter().all(|o| o.client_slug == "acme" && !o.state.is_closed()));
    let latest: Vec<(i64, OccurrenceState)> = closed.iter().map(|o| (o.n, o.state)).collect();
    assert_eq!(
        latest,
        [(2, OccurrenceState::Done), (1, OccurrenceState::Skipped)],
        "the latest closed first, two asked"
    );

    // Another client's record is refused, even to a caller that skipped reading it.
    let tech = user(&db, "t@example.test", "technician", &["other"]).await;
    assert!(matches!(reviews::client_reviews_of(&db, &tech, &acme, 2).await, Err(DomainError::NotFound)));
});

contract_test!(the_schedule_opens_on_what_is_open_the_soonest_due_first_a_page_at_a_time, |db| {
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    let cal = Calendar::default();
    // 12 clients × 5 default series = 60 open reviews, due from 5 March on; one closed.
    for n in 0..12 {
        let slug = format!("c{n:02}");
        client(&db, &slug, "critical").await;
        reviews::add_default_series(&db, &cli(), &slug, day(2027, 3, 5) + chrono::Duration::days(n), now)
            .await
            .unwrap();
    }
    let first = reviews::list_schedule(&db, &cli(), &ScheduleFilter::default(), &cal, now).await.unwrap()[0].clone();
    reviews::change_occurrence(&db, &cli(), first.id, &act("done", first.version, "held"), now).await.unwrap();

    let open = ScheduleFilter { state: "open".into(), ..Default::default() };
    let page1 = reviews::page_schedule(&db, &cli(), &open, 1, &cal, now).await.unwrap();
    assert_eq!((page1.total, page1.pages, page1.items.len()), (60, 2, 50), "the closed one is not listed");
    assert!(page1.items.iter().all(|o| !o.state.is_closed()));
    assert!(page1.items.windows(2).all(|w| w[0].due_on <= w[1].due_on), "the soonest due first");
    let page2 = reviews::page_schedule(&db, &cli(), &open, 2, &cal, now).await.unwrap();
    assert_eq!((page2.page, page2.items.len()), (2, 10));
    assert!(page1.items.last().unwrap().due_on <= page2.items[0].due_on);
    let beyond = reviews::page_schedule(&db, &cli(), &open, 9, &cal, now).await.unwrap();
    assert_eq!(beyond.page, 2, "a page past the end shows the last");
    let any = reviews::page_schedule(&db, &cli(), &ScheduleFilter::default(), 1, &cal, now).await.unwrap();
    assert_eq!(any.total, 61, "every state: the closed one and its successor's series");

    // Overdue only: open and due before today, on every page alike.
    let later = now + chrono::Duration::days(6);
    let overdue = ScheduleFilter { overdue_only: true, ..Default::default() };
    let late = reviews::page_schedule(&db, &cli(), &overdue, 1, &cal, later).await.unwrap();
    assert!(late.total > 0 && late.items.iter().all(|o| o.due_on < cal.today(later) && !o.state.is_closed()));
    let by_list = reviews::list_schedule(&db, &cli(), &overdue, &cal, later).await.unwrap();
    assert_eq!(late.total, by_list.len() as i64);
});
