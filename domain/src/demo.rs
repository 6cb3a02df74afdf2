//! Demo data: a realistic, varied MSP portfolio, the same for the same seed.
//!
//! Writes through the service functions (as the command line), so demo data obeys every rule
//! that real data does.

use crate::authz::Actor;
use crate::clients::{self, ClientInput};
use crate::db::Db;
use crate::error::Result;
use crate::identity::{self, NewUser};

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
    let mut slugs = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    while slugs.len() < size.clients() {
        let (sector, suffixes, sector_tags) = rng.pick(SECTORS);
        let name = format!("{} {}", rng.pick(PREFIXES), rng.pick(suffixes));
        if !used_names.insert(name.clone()) {
            continue;
        }
        let tier = match rng.below(10) {
            0 => "critical",
            1..=3 => "sensitive",
            _ => "standard",
        };
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
        clients::create_client(db, &cli, &input).await?;
        // Spread the portfolio over the last two years, so that it looks lived in.
        let created = now - chrono::Duration::hours(rng.below(2 * 365 * 24) as i64 + 24);
        let since = (now - created).num_hours().max(1) as usize;
        let updated = now - chrono::Duration::hours(rng.below(since) as i64);
        clients::store::set_times(db, &slug, created, updated).await?;
        slugs.push(slug);
    }
    // A couple of former clients show what archiving looks like.
    for slug in slugs.iter().rev().take(2) {
        clients::archive_client(db, &cli, slug).await?;
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
        )
        .await?;
    }
    Ok(DemoSummary { clients_created: slugs.len(), users, filled: true })
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
