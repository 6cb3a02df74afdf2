//! Demo data: a realistic, varied MSP portfolio, the same for the same seed.
//!
//! Writes through the service functions (as the command line), so demo data obeys every rule
//! that real data does.

use crate::authz::Actor;
use crate::clients::{self, ClientInput};
use crate::db::Db;
use crate::error::Result;
use crate::identity::{self, NewUser};

pub mod large;

/// The password of every demo user; printed by `rampart demo`.
pub const DEMO_PASSWORD: &str = "rampart-demo-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSize {
    /// 40 clients and a few users of every role.
    Small,
}

impl DemoSize {
    fn clients(self) -> usize {
        match self {
            DemoSize::Small => 40,
        }
    }
}

/// A small deterministic generator (SplitMix64): demo data must not depend on a crate's
/// algorithm changing between versions.
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const PREFIXES: &[&str] = &[
    "Northwind",
    "Harbor",
    "Blue Ridge",
    "Cedar",
    "Summit",
    "Riverside",
    "Oakline",
    "Granite",
    "Lakeshore",
    "Pinecrest",
    "Meridian",
    "Ironwood",
    "Silverline",
    "Brightwater",
    "Redstone",
    "Westfield",
    "Elmhurst",
    "Kingsbridge",
    "Foxglove",
    "Stonegate",
    "Marlow",
    "Ashford",
    "Beacon",
    "Crescent",
    "Driftwood",
];

/// (sector, name suffixes, typical tags)
const SECTORS: &[(&str, &[&str], &[&str])] = &[
    ("Healthcare", &["Dental", "Family Clinic", "Physiotherapy", "Medical Group"], &["hipaa", "ehr"]),
    ("Legal", &["Legal LLP", "Law Partners", "Notaries"], &["dms", "privileged-data"]),
    ("Finance", &["Accounting", "Wealth Advisors", "Credit Union"], &["pci", "sox"]),
    ("Manufacturing", &["Fabrication", "Plastics", "Precision Works"], &["ot-network", "erp"]),
    ("Education", &["Academy", "Learning Trust", "College"], &["students", "google-workspace"]),
    ("Retail", &["Outfitters", "Home Goods", "Pharmacy"], &["pci", "pos"]),
    ("Public sector", &["Town Council", "Water Authority", "Library Services"], &["public-records"]),
    ("Nonprofit", &["Foundation", "Community Trust", "Relief"], &["donor-data"]),
    ("Construction", &["Builders", "Engineering", "Surveyors"], &["field-devices"]),
    ("Hospitality", &["Hotels", "Restaurants", "Events"], &["pci", "guest-wifi"]),
    ("Logistics", &["Freight", "Couriers", "Warehousing"], &["fleet", "erp"]),
];

const COMMON_TAGS: &[&str] = &["m365", "on-prem", "hybrid", "co-managed", "gdap", "backup-offsite", "byod"];

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Radia",
    "Vint",
    "Frances",
    "Edsger",
    "Hedy",
    "Whitfield",
    "Katherine",
    "Tim",
    "Shafi",
    "Donald",
    "Anita",
    "Leslie",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Perlman",
    "Cerf",
    "Allen",
    "Dijkstra",
    "Lamarr",
    "Diffie",
    "Johnson",
    "Berners-Lee",
    "Goldwasser",
    "Knuth",
    "Borg",
    "Lamport",
];

/// One demo user: (email, name, role, client slugs).
pub struct DemoUser {
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub clients: Vec<String>,
}

pub struct DemoSummary {
    pub clients_created: usize,
    pub users: Vec<DemoUser>,
    /// False when the database already had clients and nothing was added.
    pub filled: bool,
}

/// Fills an empty database with demo data. A database that already has clients is left as it
/// is (running the command twice is harmless).
pub async fn fill(db: &Db, size: DemoSize, seed: u64) -> Result<DemoSummary> {
    let cli = Actor::command_line();
    let everything = clients::ClientFilter { include_archived: true, per_page: 1, ..Default::default() };
    if clients::list_clients(db, &cli, everything).await?.total > 0 {
        return Ok(DemoSummary { clients_created: 0, users: Vec::new(), filled: false });
    }

    let mut rng = DemoRng::new(seed);
    let now = chrono::Utc::now();
    // A fixed mix of tiers in a seeded order: about one client in eight is critical.
    let count = size.clients();
    let mut tiers: Vec<&str> = (0..count)
        .map(|i| match i * 8 / count {
            0 => "critical",
            1..=2 => "sensitive",
            _ => "standard",
        })
        .collect();
    for i in (1..tiers.len()).rev() {
        tiers.swap(i, rng.below(i + 1));
    }
    let mut slugs = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    while slugs.len() < size.clients() {
        let (sector, suffixes, sector_tags) = rng.pick(SECTORS);
        let name = format!("{} {}", rng.pick(PREFIXES), rng.pick(suffixes));
        if !used_names.insert(name.clone()) {
            continue;
        }
        let tier = tiers[slugs.len()];
        let mut tags: Vec<&str> = vec![*rng.pick(COMMON_TAGS)];
        if rng.chance(60) {
            tags.push(*rng.pick(sector_tags));
        }
        if rng.chance(30) {
            tags.push(*rng.pick(COMMON_TAGS));
        }
        let first = rng.pick(FIRST_NAMES);
        let last = rng.pick(LAST_NAMES);
        let slug = clients::Slug::from_name(&name);
        let domain = slug.replace('-', "");
        let notes = match rng.below(4) {
            0 => "Internal: owner prefers calls before 10:00; escalate via the office manager.".to_string(),
            1 => format!("Internal: {} staff, one site; break-glass account kept in the vault.", 5 + rng.below(200)),
            2 => "Internal: legacy server due for retirement; see project board.".to_string(),
            _ => String::new(),
        };
        let input = ClientInput {
            name,
            slug: slug.clone(),
            impact_tier: tier.into(),
            sector: (*sector).into(),
            tags: tags.join(", "),
            contact_name: format!("{first} {last}"),
            contact_email: format!("{}.{}@{domain}.example", first.to_lowercase(), last.to_lowercase()),
            notes,
        };
        clients::create_client(db, &cli, &input, now).await?;
        // Spread the portfolio over the last two years, so that it looks lived in.
        let created = now - chrono::Duration::hours(rng.below(2 * 365 * 24) as i64 + 24);
        let since = (now - created).num_hours().max(1) as usize;
        let updated = now - chrono::Duration::hours(rng.below(since) as i64);
        clients::store::set_times(db, &slug, created, updated).await?;
        demo_checklist(db, &mut rng, &slug, created, now).await?;
        slugs.push(slug);
    }
    // A couple of former clients show what archiving looks like.
    for slug in slugs.iter().rev().take(2) {
        clients::archive_client(db, &cli, slug, now).await?;
    }

    demo_access(db, &mut rng, &slugs, now).await?;
    for slug in &slugs[..slugs.len().saturating_sub(2)] {
        demo_reviews(db, &mut rng, slug, now).await?;
    }
    let users = plan_users(&slugs);
    for user in &users {
        identity::add_user(
            db,
            &cli,
            &NewUser {
                email: user.email.clone(),
                display_name: user.name.clone(),
                role: user.role.into(),
                clients: user.clients.clone(),
                password: DEMO_PASSWORD.into(),
            },
            now,
        )
        .await?;
    }
    // A year of daily scores behind today's, so that the trend and access charts have a past.
    crate::scoring::backfill_demo_history(db, crate::scoring::HISTORY_DAYS, now).await?;
    // Most demo data went through the services (and their audit entries); times, checklist
    // histories and review dates were set directly, which this entry says.
    let summary = format!(
        "demo data (seed {seed}): {} clients, {} users; creation times, checklist histories and other past dates set directly",
        slugs.len(),
        users.len()
    );
    crate::audit::record(db, crate::audit::Record::by(&cli, "demo.fill", "database").summary(summary)).await?;
    Ok(DemoSummary { clients_created: slugs.len(), users, filled: true })
}

const TECHNICIANS: &[&str] = &["Taylor Tech", "Jordan Field", "Sam Ortiz", "Priya Natarajan"];

/// The MSP's staff: (name, title, final state).
const STAFF: &[(&str, &str, &str)] = &[
    ("Taylor Tech", "Service desk lead", "active"),
    ("Jordan Field", "Field engineer", "active"),
    ("Sam Ortiz", "Systems engineer", "active"),
    ("Priya Natarajan", "Security engineer", "active"),
    ("Lee Okafor", "Network engineer", "active"),
    ("Mia Svensson", "Cloud engineer", "active"),
    ("Noah Brandt", "Service desk", "active"),
    ("Chloe Martin", "Backup specialist", "active"),
    ("Ravi Menon", "Junior engineer", "onboarding"),
    ("Elena Rossi", "Systems engineer", "offboarding"),
    ("Tom Becker", "Field engineer", "offboarding"),
    ("Hana Kim", "Service desk", "departed"),
];

/// Technicians in every state with grants across the portfolio: onboarding checklists done (one
/// still under way, a step overdue), some admin access without MFA, some expired or unreviewed,
/// a mover waiting for re-approval, a leaver past the revocation deadline, one leaving today and
/// one who left properly (revoked in time, verified, attested by a second person).
async fn demo_access(db: &Db, rng: &mut DemoRng, slugs: &[String], now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    use crate::access::{self, store as access_store, NewGrant, NewTechnician, OffboardingInput, RevocationInput};
    use chrono::Duration;
    let cli = Actor::command_line();
    // The second person who attests a finished offboarding.
    let attester = Actor {
        user_id: None,
        email: "morgan@msp.example".into(),
        display_name: "Morgan Manager".into(),
        ..cli.clone()
    };
    let systems =
        ["rmm", "psa", "remote_support", "password_vault", "m365_gdap", "firewall_vpn", "backup_console", "edr"];
    let active_slugs = &slugs[..slugs.len().saturating_sub(2)];
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let mut mover_done = false;
    for (name, title, state) in STAFF {
        let onboarding = *state == "onboarding";
        let started =
            if onboarding { now - Duration::days(4) } else { now - Duration::days(60 + rng.below(900) as i64) };
        // When the leavers' exits began (T0).
        let t0 = match (*state, name.starts_with("Elena")) {
            ("offboarding", true) => Some(now - Duration::days(3)),
            ("offboarding", false) => Some(now - Duration::hours(2)),
            ("departed", _) => Some(now - Duration::days(20)),
            _ => None,
        };
        let email = format!("{}@msp.example", name.to_lowercase().replace(' ', "."));
        let new = NewTechnician {
            name: name.to_string(),
            email,
            title: title.to_string(),
            started_on: started.format("%Y-%m-%d").to_string(),
        };
        let technician = access::create_technician(db, &cli, &new, now).await?;
        // The onboarding checklist, done on time (the newcomer's still under way).
        let steps = access_store::list_steps(db, Some(technician.id), false).await?;
        for step in steps {
            let keep_open =
                onboarding && !matches!(step.code.as_str(), "ON-01" | "ON-02" | "ON-03" | "ON-04" | "ON-06");
            if keep_open {
                continue;
            }
            access::complete_step(db, &cli, technician.id, step.id, "Done; see the HR onboarding ticket.", now).await?;
            let done_at = (step.due_at - Duration::hours(1 + rng.below(20) as i64)).max(started);
            access_store::set_step_done_at(db, step.id, done_at.min(now)).await?;
        }
        if !onboarding {
            access::change_technician_state(db, &cli, technician.id, 1, "active", now).await?;
        }
        let grants = if onboarding { 2 } else { 3 + rng.below(6) };
        for _ in 0..grants {
            let slug = rng.pick(active_slugs);
            let system = rng.pick(&systems);
            let privilege = match (onboarding, rng.below(10)) {
                (true, _) => "standard",
                (_, 0..=2) => "admin",
                (_, 3..=7) => "standard",
                _ => "read",
            };
            let expires_on = if rng.chance(15) {
                (now + Duration::days(10 + rng.below(200) as i64)).format("%Y-%m-%d").to_string()
            } else {
                String::new()
            };
            let grant = NewGrant {
                technician_id: technician.id,
                client_slug: slug.clone(),
                system: system.to_string(),
                privilege: privilege.into(),
                justification: format!("{title}: day-to-day work for this client"),
                expires_on,
                // Most admin access has MFA; a few do not, which is what findings are for.
                mfa: !(privilege == "admin" && rng.chance(25)),
                ..Default::default()
            };
            match access::grant_access(db, &cli, &grant, now).await {
                Ok(g) => {
                    let latest = t0.unwrap_or(now) - Duration::days(1);
                    let span = (latest - started).num_days().max(2) as usize;
                    let granted = (started + Duration::days(rng.below(span) as i64)).min(latest);
                    let reviewed =
                        rng.chance(70).then(|| latest - Duration::days(rng.below(150) as i64)).map(|r| r.max(granted));
                    access_store::set_grant_times(db, g.id, granted, reviewed, reviewed.map(|_| "Morgan Manager"))
                        .await?;
                }
                // The same technician, client and system drawn twice: one grant is enough.
                Err(crate::error::DomainError::Conflict { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        if *state == "active" && !mover_done {
            // A mover: promoted this week, grants waiting to be kept or revoked.
            access::change_role(db, &cli, technician.id, 2, &format!("Senior {}", title.to_lowercase()), now).await?;
            mover_done = true;
        }
        let Some(t0) = t0 else { continue };
        let input = OffboardingInput { t0: stamp(t0), involuntary: false };
        let technician = access::start_offboarding(db, &cli, technician.id, 2, &input, now).await?;
        if *state == "departed" {
            // Left properly: every grant removed within hours and verified, every step done,
            // a second person attested, then marked departed.
            let (_, held) = access::get_technician(db, &cli, technician.id).await?;
            for g in held.iter().filter(|g| g.revoked_at.is_none()) {
                let removed = RevocationInput {
                    removed_at: stamp(t0 + Duration::hours(1 + rng.below(12) as i64)),
                    method: "tool_user_list".into(),
                    evidence: "Account removed; the user list no longer shows it (ticket OFF-4411).".into(),
                };
                access::revoke_grant(db, &cli, g.id, &removed, now).await?;
            }
            let steps = access_store::list_steps(db, Some(technician.id), true).await?;
            for step in steps.iter().filter(|s| s.code.starts_with("OFF-")) {
                let by = if step.code == "OFF-12" { &attester } else { &cli };
                let note = "Checked the IdP, RMM user list and vault members: nothing left.";
                access::complete_step(db, by, technician.id, step.id, note, now).await?;
                access_store::set_step_done_at(db, step.id, step.due_at - Duration::hours(2)).await?;
            }
            access::change_technician_state(db, &cli, technician.id, technician.version, "departed", now).await?;
        } else if !name.starts_with("Elena") {
            // Leaving today: the ticket is open and the first account is gone.
            let steps = access_store::list_steps(db, Some(technician.id), true).await?;
            if let Some(step) = steps.iter().find(|s| s.code == "OFF-01") {
                access::complete_step(db, &cli, technician.id, step.id, "Ticket OFF-4520, owner Morgan.", now).await?;
            }
            let (_, held) = access::get_technician(db, &cli, technician.id).await?;
            if let Some(g) = held.iter().find(|g| g.revoked_at.is_none()) {
                let removed = RevocationInput {
                    removed_at: stamp(now - Duration::hours(1)),
                    method: "idp_report".into(),
                    evidence: "Entra sign-in log shows the account disabled.".into(),
                };
                access::revoke_grant(db, &cli, g.id, &removed, now).await?;
            }
        }
        // Elena's exit began three days ago and nothing was done: past every deadline.
    }
    Ok(())
}

/// A year of reviews for one client: the default series started a year ago, most occurrences
/// done around their due day, a few skipped with a reason, and for some clients the latest ones
/// left open past due (what the schedule's overdue marks are for).
async fn demo_reviews(db: &Db, rng: &mut DemoRng, slug: &str, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    use crate::reviews::{self, store as review_store, OccurrenceInput, OccurrenceQuery};
    use chrono::Duration;
    let cli = Actor::command_line();
    let start = (now - Duration::days(365 - rng.below(60) as i64)).date_naive();
    reviews::add_default_series(db, &cli, slug, start, now).await?;
    let client = crate::clients::get_client(db, &cli, slug).await?;
    let behind = rng.chance(30);
    loop {
        let open = review_store::list_occurrences(
            db,
            OccurrenceQuery { client_id: Some(client.id), open_only: true, ..Default::default() },
        )
        .await?;
        // Close what fell due, oldest first; a client that is behind leaves the last month open.
        let horizon = now.date_naive() - Duration::days(if behind { 30 } else { 0 });
        let Some(o) = open.into_iter().find(|o| o.due_on < horizon) else { break };
        let skip = rng.chance(8);
        let input = OccurrenceInput {
            action: if skip { "skip" } else { "done" }.into(),
            version: o.version,
            note: if skip { "Postponed at the client's request; covered at the next one." } else { "" }.into(),
            ..Default::default()
        };
        let closed = reviews::change_occurrence(db, &cli, o.id, &input, now).await?;
        let late_by = if rng.chance(20) { 3 + rng.below(20) as i64 } else { -(rng.below(5) as i64) };
        let at = o.due_on.and_hms_opt(15, 0, 0).map(|t| t.and_utc() + Duration::days(late_by)).unwrap_or(now);
        review_store::set_closed_at(db, closed.id, at.min(now)).await?;
    }
    Ok(())
}

/// A plausible checklist for one client: a maturity level decides how much is in place, with
/// two years of history behind it and some evidence gone stale.
async fn demo_checklist(
    db: &Db,
    rng: &mut DemoRng,
    slug: &str,
    created: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use crate::controls::{store as control_store, ControlStatus as S};
    let cli = Actor::command_line();
    let checklist = crate::controls::get_checklist(db, &cli, slug, now).await?;
    let maturity = 30 + rng.below(65); // percent of controls in place
    let span_hours = (now - created).num_hours().max(48) as usize;
    let mut states = Vec::new();
    for item in &checklist.items {
        let roll = rng.below(100);
        let last = if roll < 7 {
            continue; // never assessed
        } else if roll < 7 + maturity * 80 / 100 {
            S::Implemented
        } else if item.control.severity <= 3 && rng.chance(15) {
            S::NotApplicable
        } else if rng.chance(55) {
            S::Partial
        } else {
            S::NotImplemented
        };
        let first = match last {
            S::Implemented if rng.chance(40) => S::Partial,
            S::Partial if rng.chance(30) => S::NotImplemented,
            other => other,
        };
        let who = rng.pick(TECHNICIANS).to_string();
        let first_at = created + chrono::Duration::hours((24 + rng.below(span_hours / 3)) as i64);
        let mut steps = vec![(first_at, who.clone(), S::NotAssessed, first, "First assessment".to_string())];
        let mut last_at = first_at;
        if first != last {
            let later =
                first_at + chrono::Duration::hours(rng.below(((now - first_at).num_hours().max(2)) as usize) as i64);
            steps.push((later, rng.pick(TECHNICIANS).to_string(), first, last, "Remediated".to_string()));
            last_at = later;
        }
        // Most evidence is re-verified on time; some has gone stale.
        let verified = match item.control.review.next_due(last_at) {
            Some(_) if rng.chance(75) => {
                let period = match item.control.review {
                    crate::controls::ReviewFrequency::Weekly => 6 * 24,
                    crate::controls::ReviewFrequency::Monthly => 25 * 24,
                    crate::controls::ReviewFrequency::Quarterly => 80 * 24,
                    crate::controls::ReviewFrequency::SemiAnnual => 170 * 24,
                    _ => 350 * 24,
                };
                (now - chrono::Duration::hours(rng.below(period) as i64)).max(last_at)
            }
            _ => last_at,
        };
        let justification = if last == S::NotApplicable {
            "The client does not run the systems this control covers.".to_string()
        } else {
            String::new()
        };
        const NOTES: &[&str] = &[
            "Verified in the admin console during the review; screenshot in the client's evidence folder.",
            "Confirmed with the client's IT contact; policy export attached to the ticket.",
            "Spot-checked on three devices; report saved with the monthly RMM export.",
        ];
        let evidence_note = match last {
            S::Implemented | S::Partial => rng.pick(NOTES).to_string(),
            _ => String::new(),
        };
        let version = steps.len() as i64;
        // Some implemented evidence is shared with the client's portal: two controls in five,
        // chosen from the names so that the random sequence (and all later demo data) is the
        // same as without sharing.
        let spread = slug.bytes().chain(item.control.id.bytes()).map(u32::from).sum::<u32>();
        let evidence_shared = last == S::Implemented && spread % 5 < 2;
        states.push((
            control_store::StateRow {
                control_id: item.control.id.clone(),
                status: last.as_str().into(),
                owner: who.clone(),
                evidence_note,
                evidence_links: String::new(),
                evidence_shared,
                justification,
                last_verified_at: Some(verified),
                last_verified_by: Some(who),
                updated_at: last_at,
                version,
            },
            steps,
        ));
    }
    let next_due = |control_id: &str, verified: Option<chrono::DateTime<chrono::Utc>>| {
        let review = checklist.items.iter().find(|i| i.control.id == control_id).map(|i| i.control.review);
        review.zip(verified).and_then(|(review, at)| review.next_due(at))
    };
    control_store::insert_demo_states(db, checklist.client.id, &states, next_due).await
}

fn plan_users(slugs: &[String]) -> Vec<DemoUser> {
    let user = |email: &str, name: &str, role: &'static str, clients: Vec<String>| DemoUser {
        email: email.into(),
        name: name.into(),
        role,
        clients,
    };
    vec![
        user("admin@rampart.example", "Avery Admin", "admin", vec![]),
        user("manager@rampart.example", "Morgan Manager", "manager", vec![]),
        user("tech@rampart.example", "Taylor Tech", "technician", vec![]),
        user("tech.limited@rampart.example", "Jordan Field", "technician", slugs.iter().take(5).cloned().collect()),
        user("auditor@rampart.example", "Alex Auditor", "auditor", vec![]),
        user("viewer@rampart.example", "Casey Client", "client_viewer", slugs.iter().take(1).cloned().collect()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_for_a_seed() {
        let a: Vec<u64> = (0..5).scan(DemoRng::new(7), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..5).scan(DemoRng::new(7), |r, _| Some(r.next_u64())).collect();
        let c: Vec<u64> = (0..5).scan(DemoRng::new(8), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
