//! The command line: `rampart [serve]`, `rampart demo`, `rampart migrate`, `rampart user …`,
//! `rampart audit …`.
//! The command line acts with the operator's authority (whoever runs it can read the database).

use crate::config::Config;
use clap::{Parser, Subcommand, ValueEnum};
use domain::{demo, identity, Actor, Db, DomainError};
use std::io::BufRead;

#[derive(Debug, Parser)]
#[command(name = "rampart", version, about = "Rampart: prove the security posture of every client you manage")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Create and migrate the database if needed, and fill it with demo data.
    Demo {
        #[arg(long, value_enum, default_value_t = Size::Small)]
        size: Size,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent copy of the running SQLite database to FILE (which must not exist).
    Backup { file: std::path::PathBuf },
    /// Replace the SQLite database with the backup FILE, after checking it (stop the server first).
    Restore { file: std::path::PathBuf },
    /// Check the audit log's hash chain, print its head, see its forwarding.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Single sign-on through an OpenID Connect provider.
    Sso {
        #[command(subcommand)]
        command: SsoCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Print the settings (never the client secret).
    Show,
    /// Set every setting at once (what is not given takes its default; the stored client secret
    /// is kept unless --client-secret-stdin gives a new one).
    Set {
        /// Shown on the sign-in button: "Sign in with NAME".
        #[arg(long)]
        name: String,
        /// The issuer's address, exactly as the provider names it.
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Read the client secret from standard input (never on the command line).
        #[arg(long)]
        client_secret_stdin: bool,
        /// E-mail domains that may sign in, comma-separated (default: any).
        #[arg(long, default_value = "")]
        domains: String,
        /// The ID token claim that gives the role (e.g. groups).
        #[arg(long, default_value = "")]
        role_claim: String,
        /// A mapping "VALUE=ROLE" (repeatable, first match wins).
        #[arg(long = "map")]
        role_mapping: Vec<String>,
        /// Create users at their first sign-in, with this role unless the mapping gives one.
        #[arg(long)]
        jit_role: Option<String>,
        /// Skip Rampart's two-factor code when the ID token's amr says "mfa".
        #[arg(long)]
        trust_provider_mfa: bool,
        /// Save the settings but leave single sign-on off.
        #[arg(long)]
        disabled: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the whole chain; name the first broken entry and exit non-zero if any.
    Verify {
        /// A head printed earlier by `rampart audit head` (SEQ:HASH), kept elsewhere: the entry
        /// at SEQ must still have HASH.
        #[arg(long)]
        head: Option<String>,
    },
    /// Print the latest entry's seq and hash (SEQ:HASH), to keep a copy elsewhere.
    Head,
    /// Show how far each receiver (syslog, webhook) has taken the log.
    Sinks,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Size {
    /// 40 clients and users of every role.
    Small,
    /// The benchmark set: 2,000 clients, 300 technicians, 30,000 grants, three years of history.
    Large,
    /// The portfolio at scale: 10,000 clients, 1,500 technicians, 150,000 grants, three years.
    Xlarge,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    #[command(visible_alias = "create")]
    Add {
        #[arg(long)]
        email: String,
        /// admin, manager, technician, auditor or client_viewer.
        #[arg(long)]
        role: String,
        /// The display name (defaults to the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// A client viewer's client, or (repeatable) the clients a technician is restricted to.
        #[arg(long = "client")]
        clients: Vec<String>,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Invite someone: prints the link to send them (it works once, until it expires).
    Invite {
        #[arg(long)]
        email: String,
        /// admin, manager, technician, auditor or client_viewer.
        #[arg(long)]
        role: String,
        /// A client viewer's client, or (repeatable) the clients a technician is restricted to.
        #[arg(long = "client")]
        clients: Vec<String>,
    },
    /// Give a user another role (with the clients it needs); their sessions end.
    Role {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        /// A client viewer's client, or (repeatable) a technician's clients (none: every client).
        #[arg(long = "client")]
        clients: Vec<String>,
    },
    /// Set the clients of a technician (none: every client) or of a client viewer (exactly one).
    Assign {
        #[arg(long)]
        email: String,
        #[arg(long = "client")]
        clients: Vec<String>,
    },
    /// Disable a user; their sessions stop working at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Remove a user's two-factor app and recovery codes (a lost phone); they sign in with the
    /// password and set it up again.
    ResetMfa {
        #[arg(long)]
        email: String,
    },
}

/// Runs a command; the error is a message for the operator.
pub async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    if let Some(path) = &config.test_clock_file {
        tracing::warn!(path = %path.display(), "RAMPART_TEST_CLOCK_FILE is set: the clock is shifted by that file (for tests only)");
        domain::clock::shift_by_file(path.clone());
    }
    domain::clock::set_zone(config.time_zone);
    domain::identity::invitations::set_validity_days(config.invitation_days);
    let command = cli.command.unwrap_or(Command::Serve);
    // A restore replaces the database file: it must not be opened first.
    if let Command::Restore { file } = &command {
        let restored = domain::backup::restore(&config.database_url, file).await.map_err(|e| describe(&e))?;
        println!(
            "Restored {} from {} (schema {}, {} audit entries verified).",
            restored.path.display(),
            file.display(),
            restored.schema_version,
            restored.audit_entries
        );
        return Ok(());
    }
    let migration_url = crate::config::migration_database_url();
    let db = domain::setup::connect_as(&config.database_url, migration_url.as_deref()).await.map_err(|e| {
        format!("could not open the database {}: {}", domain::db::redact_url(&config.database_url), describe(&e))
    })?;
    let result = match command {
        Command::Serve => {
            tracing::info!(?config, "starting");
            crate::startup::serve(config, db.clone()).await.map_err(|e| format!("the server stopped: {e}"))
        }
        Command::Migrate => {
            println!("The database is migrated.");
            Ok(())
        }
        Command::Demo { size, seed } => run_demo(&db, size, seed).await,
        Command::User { command } => run_user(&db, command, &config.public_base()).await,
        Command::Audit { command } => run_audit(&db, command).await,
        Command::Sso { command } => run_sso(&db, command).await,
        Command::Backup { file } => match domain::backup::backup(&db, &file).await {
            Ok(b) => {
                println!(
                    "Backed up to {} ({} bytes, schema {}, {} audit entries verified).",
                    b.path.display(),
                    b.bytes,
                    b.schema_version,
                    b.audit_entries
                );
                Ok(())
            }
            Err(e) => Err(describe(&e)),
        },
        Command::Restore { .. } => unreachable!("handled before the database is opened"),
    };
    db.close().await;
    result
}

async fn run_large_demo(db: &Db, shape: demo::large::LargeShape, seed: u64) -> Result<(), String> {
    let started = std::time::Instant::now();
    let summary = demo::large::fill(db, shape, seed, domain::clock::now()).await.map_err(|e| describe(&e))?;
    if !summary.filled {
        println!("The database already has clients; no demo data was added.");
        return Ok(());
    }
    println!(
        "{} demo data added in {:.1} s: {} clients, {} checklist rows ({} history entries), {} technicians, \
         {} grants, {} daily score snapshots, {} reviews, {} meetings ({} rows in all).",
        if shape.clients > demo::large::LargeShape::FULL.clients { "Extra large" } else { "Large" },
        started.elapsed().as_secs_f64(),
        summary.clients,
        summary.controls,
        summary.history,
        summary.technicians,
        summary.grants,
        summary.snapshots,
        summary.occurrences,
        summary.meetings,
        summary.rows
    );
    for (email, role) in &summary.users {
        println!("  {email:<32} {role}");
    }
    println!("Every demo user signs in with the password: {}", demo::DEMO_PASSWORD);
    Ok(())
}

async fn run_demo(db: &Db, size: Size, seed: u64) -> Result<(), String> {
    let size = match size {
        Size::Small => demo::DemoSize::Small,
        Size::Large => return run_large_demo(db, demo::large::LargeShape::FULL, seed).await,
        Size::Xlarge => return run_large_demo(db, demo::large::LargeShape::XLARGE, seed).await,
    };
    let summary = demo::fill(db, size, seed).await.map_err(|e| describe(&e))?;
    if summary.filled {
        println!("Demo data added: {} clients and these users:", summary.clients_created);
        for user in &summary.users {
            let clients =
                if user.clients.is_empty() { String::new() } else { format!(" ({})", user.clients.join(", ")) };
            println!("  {:<32} {}{}", user.email, user.role, clients);
        }
        println!("Every demo user signs in with the password: {}", demo::DEMO_PASSWORD);
    } else {
        println!("The database already has clients; no demo data was added.");
        println!("Demo users (if this database came from `rampart demo`) sign in with: {}", demo::DEMO_PASSWORD);
    }
    println!("Start Rampart with `rampart serve` and sign in at http://{}/login", crate::config::DEFAULT_ADDR);
    Ok(())
}

async fn run_user(db: &Db, command: UserCommand, public_base: &str) -> Result<(), String> {
    let cli = Actor::command_line();
    match command {
        UserCommand::Add { email, role, name, clients, password_stdin: _ } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .map_err(|e| format!("could not read the password: {e}"))?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let display_name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let user = identity::add_user(
                db,
                &cli,
                &identity::NewUser { email, display_name, role, clients, password },
                domain::clock::now(),
            )
            .await
            .map_err(|e| describe(&e))?;
            println!("Added {} ({}).", user.email, user.role.as_str());
            Ok(())
        }
        UserCommand::List => {
            let users = identity::list_users(db, &cli).await.map_err(|e| describe(&e))?;
            println!("{:<36} {:<14} {:<10} clients", "email", "role", "state");
            for user in users {
                let clients = match (&user.client_slug, user.assigned.is_empty()) {
                    (Some(slug), _) => slug.clone(),
                    (None, false) => user.assigned.join(","),
                    (None, true) => "all".into(),
                };
                let state = if user.disabled_at.is_some() { "disabled" } else { "active" };
                println!("{:<36} {:<14} {:<10} {}", user.email, user.role.as_str(), state, clients);
            }
            Ok(())
        }
        UserCommand::Invite { email, role, clients } => {
            let new = identity::invitations::NewInvitation { email, role, clients };
            let created = identity::invitations::create_invitation(db, &cli, &new, domain::clock::now())
                .await
                .map_err(|e| describe(&e))?;
            println!(
                "Invited {}. Send them this link (it works once, until {}):",
                created.email,
                created.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("{public_base}{}", created.path());
            Ok(())
        }
        UserCommand::Role { email, role, clients } => {
            let user = identity::change_role(db, &cli, &email, &role, &clients, domain::clock::now())
                .await
                .map_err(|e| describe(&e))?;
            println!("{} is now {}; their sessions ended.", user.email, user.role.as_str());
            Ok(())
        }
        UserCommand::Assign { email, clients } => {
            let user = identity::assign_clients(db, &cli, &email, &clients, domain::clock::now())
                .await
                .map_err(|e| describe(&e))?;
            let placed = match (&user.client_slug, user.assigned.is_empty()) {
                (Some(slug), _) => slug.clone(),
                (None, false) => user.assigned.join(", "),
                (None, true) => "every client".into(),
            };
            println!("{} works on {placed}; their sessions ended.", user.email);
            Ok(())
        }
        UserCommand::ResetMfa { email } => {
            identity::mfa::reset(db, &cli, &email, domain::clock::now()).await.map_err(|e| describe(&e))?;
            println!("Two-factor sign-in of {email} removed; they set it up again at their next sign-in.");
            Ok(())
        }
        UserCommand::Disable { email } => {
            identity::disable_user(db, &cli, &email, domain::clock::now()).await.map_err(|e| describe(&e))?;
            println!("Disabled {email}.");
            Ok(())
        }
        UserCommand::Enable { email } => {
            identity::enable_user(db, &cli, &email, domain::clock::now()).await.map_err(|e| describe(&e))?;
            println!("Enabled {email}.");
            Ok(())
        }
    }
}

async fn run_sso(db: &Db, command: SsoCommand) -> Result<(), String> {
    use domain::identity::sso;
    let cli = Actor::command_line();
    let stored = sso::get_settings(db, &cli).await.map_err(|e| describe(&e))?;
    match command {
        SsoCommand::Show => {
            let Some(shown) = stored else {
                println!("Single sign-on is not configured.");
                return Ok(());
            };
            let s = shown.settings;
            println!("enabled:            {}", s.enabled);
            println!("name:               {}", s.display_name);
            println!("issuer:             {}", s.issuer);
            println!("client id:          {}", s.client_id);
            println!("client secret:      {}", if shown.has_secret { "set (not shown)" } else { "none" });
            println!(
                "allowed domains:    {}",
                if s.allowed_domains.is_empty() { "any".into() } else { s.domains_text() }
            );
            println!("role claim:         {}", if s.role_claim.is_empty() { "none" } else { &s.role_claim });
            for (value, role) in &s.role_mapping {
                println!("  {value} = {}", role.as_str());
            }
            let jit = if s.jit_enabled { format!("on, as {}", s.jit_role.as_str()) } else { "off".into() };
            println!("create users:       {jit}");
            println!("trust provider MFA: {}", s.trust_provider_mfa);
            Ok(())
        }
        SsoCommand::Set {
            name,
            issuer,
            client_id,
            client_secret_stdin,
            domains,
            role_claim,
            role_mapping,
            jit_role,
            trust_provider_mfa,
            disabled,
        } => {
            let mut client_secret = String::new();
            if client_secret_stdin {
                std::io::stdin()
                    .lock()
                    .read_line(&mut client_secret)
                    .map_err(|e| format!("could not read the client secret: {e}"))?;
            }
            let input = sso::SsoInput {
                enabled: !disabled,
                display_name: name,
                issuer,
                client_id,
                client_secret: client_secret.trim_end_matches(['\n', '\r']).to_owned(),
                allowed_domains: domains,
                role_claim,
                role_mapping: role_mapping.join("\n"),
                jit_enabled: jit_role.is_some(),
                jit_role: jit_role.unwrap_or_else(|| "technician".into()),
                trust_provider_mfa,
                version: stored.map(|s| s.settings.version).unwrap_or(0),
            };
            let saved = sso::save_settings(db, &cli, &input, domain::clock::now()).await.map_err(|e| describe(&e))?;
            let state = if saved.settings.enabled { "on" } else { "saved, off" };
            println!("Single sign-on through {} is {state}.", saved.settings.display_name);
            Ok(())
        }
    }
}

async fn run_audit(db: &Db, command: AuditCommand) -> Result<(), String> {
    use domain::audit;
    let cli = Actor::command_line();
    match command {
        AuditCommand::Verify { head } => {
            let expected = match head.as_deref() {
                None => None,
                Some(text) => {
                    Some(audit::parse_head(text).ok_or("--head must be SEQ:HASH as `rampart audit head` prints it")?)
                }
            };
            let checked = audit::verify(db, &cli, expected.as_ref()).await.map_err(|e| describe(&e))?;
            match checked.broken {
                None => {
                    println!("OK: {} entries, the chain holds.", checked.entries);
                    if let Some(x) = &expected {
                        println!("Entry {} still has the hash kept elsewhere.", x.seq);
                    }
                    println!("Head: {}:{}", checked.head.seq, checked.head.last_hash);
                    Ok(())
                }
                Some(broken) => Err(format!("the audit log is broken at entry {}: {}", broken.seq, broken.reason)),
            }
        }
        AuditCommand::Head => {
            let head = audit::head(db, &cli).await.map_err(|e| describe(&e))?;
            println!("{}:{}", head.seq, head.last_hash);
            Ok(())
        }
        AuditCommand::Sinks => {
            let head = audit::head(db, &cli).await.map_err(|e| describe(&e))?;
            let sinks = audit::list_sinks(db, &cli).await.map_err(|e| describe(&e))?;
            if sinks.is_empty() {
                println!("No receiver has been configured yet (RAMPART_AUDIT_SYSLOG, RAMPART_AUDIT_WEBHOOK_URL).");
            }
            for sink in sinks {
                println!("{}", audit::forward::describe_sink(&sink, head.seq));
            }
            Ok(())
        }
    }
}

/// A domain error in words for the operator (who may see internals: they run the server).
fn describe(error: &DomainError) -> String {
    match error {
        DomainError::Validation(fields) => {
            fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("\n")
        }
        DomainError::Conflict { message, .. } => message.clone(),
        DomainError::NotFound => "not found".into(),
        DomainError::Internal(source) => format!("{source}"),
        other => other.to_string(),
    }
}
