//! The kept scores (domain/src/scoring/live.rs) on both databases: after any sequence of
//! changes and moves of the clock, the portfolio read from the kept rows (ranking, governance
//! debt, key figures) equals the portfolio computed from scratch; a change of every client's score is served from the rows before it,
//! marked as updating, until the background has recomputed them.

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use rampart_domain::access::{self, NewGrant, NewTechnician, OffboardingInput, RevocationInput};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::controls::{self, ControlUpdate};
use rampart_domain::reviews::{self, Calendar, OccurrenceInput, ScheduleFilter};
use rampart_domain::scoring::{self, live};
use rampart_domain::testing::user;
use rampart_domain::{contract_test, Db};

fn cli() -> Actor {
    Actor::command_line()
}

/// A small random source with a seed, so that a failing sequence can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

const TIERS: [&str; 3] = ["standard", "sensitive", "critical"];
const STATUSES: [&str; 4] = ["implemented", "partial", "not_implemented", "not_applicable"];

async fn new_client(db: &Db, slug: &str, tier: &str, now: DateTime<Utc>) {
    let input =
        ClientInput { name: format!("{slug} Ltd"), slug: slug.into(), impact_tier: tier.into(), ..Default::default() };
    clients::create_client(db, &cli(), &input, now).await.unwrap();
}

/// One random change at `now`; returns what it did, for the message of a failure.
async fn change(
    db: &Db,
    dice: &mut Dice,
    (admin, approver): (&Actor, &Actor),
    slugs: &mut Vec<String>,
    now: DateTime<Utc>,
) -> String {
    let slug = slugs[dice.below(slugs.len())].clone();
    match dice.below(11) {
        0..=2 => {
            let checklist = controls::get_checklist(db, &cli(), &slug, now).await.unwrap();
            let item = &checklist.items[dice.below(checklist.items.len())];
            let status = STATUSES[dice.below(STATUSES.len())];
            let update = ControlUpdate {
                status: status.into(),
                version: item.version,
                verified_now: dice.below(4) != 0,
                justification: if status == "not_applicable" {
                    "Nothing of the kind here.".into()
                } else {
                    String::new()
                },
                ..Default::default()
            };
            controls::update_client_control(db, &cli(), &slug, &item.control.id, &update, now).await.unwrap();
            format!("{slug}: {} {status}", item.control.id)
        }
        3..=4 => {
            // A technician with access at one or two clients, who may be leaving.
            let n = dice.below(1_000_000);
            let new = NewTechnician {
                name: format!("Tech {n}"),
                email: format!("tech{n}@msp.example"),
                title: "Engineer".into(),
                started_on: "2025-01-06".into(),
            };
            let t = access::create_technician(db, &cli(), &new, now).await.unwrap();
            for step in access::get_lifecycle(db, &cli(), t.id, now).await.unwrap().steps {
                access::complete_step(db, &cli(), t.id, step.id, "", now).await.unwrap();
            }
            let mut at = vec![slug.clone()];
            if dice.below(2) == 0 {
                at.push(slugs[dice.below(slugs.len())].clone());
            }
            at.dedup();
            for client_slug in &at {
                let grant = NewGrant {
                    technician_id: t.id,
                    client_slug: client_slug.clone(),
                    system: "rmm".into(),
                    privilege: if dice.below(2) == 0 { "admin" } else { "standard" }.into(),
                    justification: "Daily patching and monitoring".into(),
                    mfa: dice.below(3) != 0,
                    ..Default::default()
                };
                access::grant_access(db, &cli(), &grant, now).await.unwrap();
            }
            if dice.below(2) == 0 {
                let (current, _) = access::get_technician(db, &cli(), t.id).await.unwrap();
                let days = dice.below(12) as i64;
                let t0 = (now - Duration::days(days) - Duration::minutes(dice.below(600) as i64))
                    .format("%Y-%m-%dT%H:%M")
                    .to_string();
                let input = OffboardingInput { t0, involuntary: dice.below(2) == 0 };
                access::start_offboarding(db, &cli(), t.id, current.version, &input, now).await.unwrap();
                return format!("leaver at {at:?}, {days} days ago");
            }
            format!("technician at {at:?}")
        }
        5 => {
            let grants = access::list_client_access(db, &cli(), &slug, now).await.unwrap();
            let open: Vec<_> = grants.iter().filter(|g| g.revoked_at.is_none()).collect();
            if open.is_empty() {
                return format!("{slug}: nothing to revoke");
            }
            let grant = open[dice.below(open.len())];
            let removal = RevocationInput {
                removed_at: String::new(),
                method: "tool_user_list".into(),
                evidence: "Screenshot".into(),
            };
            access::revoke_grant(db, &cli(), grant.id, &removal, now).await.unwrap();
            format!("{slug}: grant {} revoked", grant.id)
        }
        6 => {
            // Every client's score moves: the generation.
            let values = [
                ("leaver_override_days", ["3", "7", "10"][dice.below(3)]),
                ("leaver_points", ["2", "5", "8"][dice.below(3)]),
            ];
            let values: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            scoring::save_settings(db, admin, &values, now).await.unwrap();
            format!("settings {values:?}")
        }
        7 => {
            // Reviews due in the next days (or past), then some moved on.
            let calendar = Calendar::default();
            let first_due: NaiveDate = calendar.today(now) + Duration::days(dice.below(5) as i64 - 1);
            let added = reviews::add_default_series(db, &cli(), &slug, first_due, now).await.unwrap();
            let filter = ScheduleFilter { client: slug.clone(), ..Default::default() };
            let open = reviews::list_schedule(db, &cli(), &filter, &calendar, now).await.unwrap();
            let open: Vec<_> = open.into_iter().filter(|o| !o.state.is_closed()).collect();
            if open.is_empty() {
                return format!("{slug}: {added} series");
            }
            let o = &open[dice.below(open.len())];
            let input = OccurrenceInput { action: "done".into(), version: o.version, ..Default::default() };
            reviews::change_occurrence(db, &cli(), o.id, &input, now).await.unwrap();
            format!("{slug}: {added} series, review {} done", o.id)
        }
        8 => {
            if dice.below(3) == 0 {
                // The client's tier: its weight in the score and its count in the key figures.
                let current = clients::get_client(db, &cli(), &slug).await.unwrap();
                let tier = TIERS[dice.below(TIERS.len())];
                let input = ClientInput {
                    name: current.name.clone(),
                    slug: slug.clone(),
                    impact_tier: tier.into(),
                    ..Default::default()
                };
                clients::update_client(db, &cli(), &slug, current.version, &input, now).await.unwrap();
                return format!("{slug} now {tier}");
            }
            if slugs.len() > 2 && dice.below(2) == 0 {
                clients::archive_client(db, &cli(), &slug, now).await.unwrap();
                slugs.retain(|s| *s != slug);
                return format!("{slug} archived");
            }
            let slug = format!("c{}", dice.below(1_000_000));
            new_client(db, &slug, TIERS[dice.below(TIERS.len())], now).await;
            slugs.push(slug.clone());
            format!("{slug} created")
        }
        9 => {
            // A risk acceptance asked and approved, expiring within days or weeks.
            let checklist = controls::get_checklist(db, &cli(), &slug, now).await.unwrap();
            let item = &checklist.items[dice.below(checklist.items.len())];
            let expires = (now + Duration::days(1 + dice.below(60) as i64)).format("%Y-%m-%d").to_string();
            let reason = "Compensating control in place until the migration ends.";
            let asked = controls::request_exception(db, admin, &slug, &item.control.id, reason, &expires, now).await;
            match asked {
                Ok(asked) => {
                    controls::approve_exception(db, approver, asked.id, now).await.unwrap();
                    format!("{slug}: {} accepted until {expires}", item.control.id)
                }
                // One open acceptance per control; a control not applicable to the tier.
                Err(refused) => format!("{slug}: {} not accepted ({refused:?})", item.control.id),
            }
        }
        _ => {
            let checklist = controls::get_checklist(db, &cli(), &slug, now).await.unwrap();
            let selected: Vec<(String, i64)> =
                checklist.items.iter().map(|i| (i.control.id.clone(), i.version)).collect();
            let update = ControlUpdate { status: "implemented".into(), verified_now: true, ..Default::default() };
            controls::update_client_controls(db, &cli(), &slug, &selected, &update, now).await.unwrap();
            format!("{slug}: everything implemented")
        }
    }
}

/// How far the clock moves between two changes: often not at all, sometimes hours, days or
/// months (evidence goes stale, deadlines pass, leavers' days count up).
fn step(dice: &mut Dice) -> Duration {
    match dice.below(6) {
        0 | 1 => Duration::zero(),
        2 => Duration::minutes(dice.below(120) as i64),
        3 => Duration::hours(dice.below(48) as i64),
        4 => Duration::days(dice.below(10) as i64) + Duration::hours(dice.below(24) as i64),
        _ => Duration::days(20 + dice.below(100) as i64),
    }
}

contract_test!(kept_scores_equal_a_full_recomputation_after_any_sequence_of_changes, |db| {
    let admin = user(&db, "admin@example.test", "admin", &[]).await;
    let approver = user(&db, "approver@example.test", "manager", &[]).await;
    for seed in [7_u64, 1_234_567, 0xDEAD_BEEF] {
        let mut dice = Dice(seed);
        // Whole seconds: PostgreSQL keeps microseconds, and a comparison in SQL of a time
        // rounded so against one in memory could differ within the microsecond.
        let mut now = Utc::now().trunc_subsecs(0);
        let mut slugs = Vec::new();
        for (i, tier) in TIERS.iter().enumerate() {
            let slug = format!("s{seed}x{i}");
            new_client(&db, &slug, tier, now).await;
            slugs.push(slug);
        }
        let mut done = Vec::new();
        for _ in 0..30 {
            done.push(change(&db, &mut dice, (&admin, &approver), &mut slugs, now).await);
            let moved = step(&mut dice);
            if moved > Duration::zero() {
                now += moved;
                done.push(format!("clock +{}m", moved.num_minutes()));
            }
            // The scheduled sweep comes by at some moments, not at others.
            if dice.below(2) == 0 {
                live::sweep(&db, now).await.unwrap();
                done.push("sweep".into());
            }
            if let Err(difference) = rampart_domain::testing::kept_equals_recomputed(&db, now).await.unwrap() {
                panic!("seed {seed}, after {}:\n{difference}", done.join("; "));
            }
        }
    }
});

contract_test!(a_change_of_every_score_is_recomputed_in_the_background_while_the_rows_before_are_served, |db| {
    let now = Utc::now();
    let admin = user(&db, "admin@example.test", "admin", &[]).await;
    for (i, tier) in TIERS.iter().enumerate() {
        new_client(&db, &format!("bg{i}"), tier, now).await;
    }
    // A client at full marks but for a leaver (within the grace days: points, no floor).
    let checklist = controls::get_checklist(&db, &cli(), "bg0", now).await.unwrap();
    let selected: Vec<(String, i64)> = checklist.items.iter().map(|i| (i.control.id.clone(), i.version)).collect();
    let update = ControlUpdate { status: "implemented".into(), verified_now: true, ..Default::default() };
    controls::update_client_controls(&db, &cli(), "bg0", &selected, &update, now).await.unwrap();
    let new = NewTechnician {
        name: "Elena Leaver".into(),
        email: "elena@msp.example".into(),
        title: "Engineer".into(),
        started_on: "2025-01-06".into(),
    };
    let t = access::create_technician(&db, &cli(), &new, now).await.unwrap();
    for step in access::get_lifecycle(&db, &cli(), t.id, now).await.unwrap().steps {
        access::complete_step(&db, &cli(), t.id, step.id, "", now).await.unwrap();
    }
    let grant = NewGrant {
        technician_id: t.id,
        client_slug: "bg0".into(),
        system: "rmm".into(),
        privilege: "standard".into(),
        justification: "Daily patching and monitoring".into(),
        mfa: true,
        ..Default::default()
    };
    access::grant_access(&db, &cli(), &grant, now).await.unwrap();
    let (current, _) = access::get_technician(&db, &cli(), t.id).await.unwrap();
    let t0 = (now - Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string();
    access::start_offboarding(&db, &cli(), t.id, current.version, &OffboardingInput { t0, involuntary: false }, now)
        .await
        .unwrap();

    let before = live::ranking_served_inline_up_to(&db, now, 0).await.unwrap();
    assert!(!before.updating, "nothing changed every client yet");
    assert_eq!(before.clients.len(), 3);
    let posture = |r: &scoring::Ranking| r.clients.iter().find(|c| c.slug == "bg0").unwrap().score.posture;
    assert_eq!(posture(&before), Some(100 - scoring::ScoreSettings::default().leaver_points));
    let values = vec![("leaver_points".to_string(), "9".to_string())];
    scoring::save_settings(&db, &admin, &values, now).await.unwrap();

    // With no client recomputed at once, the rows of the settings before are served, updating.
    let during = live::ranking_served_inline_up_to(&db, now, 0).await.unwrap();
    assert!(during.updating, "every row is behind the settings");
    assert_eq!(posture(&during), posture(&before), "the score before the change");
    assert_eq!(during.settings.leaver_points, 9, "the settings are the new ones");
    // The background catches up.
    let mut waited = 0;
    let after = loop {
        let after = live::ranking_served_inline_up_to(&db, now, 0).await.unwrap();
        if !after.updating {
            break after;
        }
        waited += 1;
        assert!(waited < 500, "the background recomputation never finished");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(posture(&after), Some(91), "9 points for the leaver now");
    rampart_domain::testing::kept_equals_recomputed(&db, now).await.unwrap().unwrap();
});
