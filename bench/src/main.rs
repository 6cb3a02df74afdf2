//! Rampart's benchmark harness (run by `scripts/bench`, which builds the release first).
//!
//! It generates the large demo set into a fresh database, starts the release server on it
//! (timing the cold start to a ready `/readyz`), signs in as the demo manager and drives each
//! scenario at a fixed concurrency for a fixed time: p50, p99 and throughput (the portfolio also
//! while changes and sign-ins are made beside the readers, and its first load right after
//! each change and each sign-in, timed one by one). Beside each page
//! it measures the ceiling: the same bytes served from memory by a bare axum server in this
//! process. It samples the server's resident memory under load, measures the wasm raw, gzip
//! and brotli, and prints a Markdown table with the budgets, also written to a file.
//!
//! Settings (environment): BENCH_BIN (the rampart binary), BENCH_SITE_ROOT (the release site),
//! BENCH_OUT (the table's file), BENCH_SECONDS per scenario (10), BENCH_CONCURRENCY (8),
//! BENCH_SEED (1), BENCH_SIZE (large, or xlarge: 10,000 clients), BENCH_PORT (3299), BENCH_DATABASE_URL (default: a SQLite file in a
//! temporary folder; a PostgreSQL URL names an empty database to fill), BENCH_LIGHTHOUSE (the
//! `lighthouse` command line: Lighthouse runs on the portfolio, a client page and its checklist
//! and prints their performance and accessibility scores; CHROME_PATH names the browser).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

struct Settings {
    bin: PathBuf,
    site_root: PathBuf,
    out: PathBuf,
    seconds: f64,
    concurrency: usize,
    seed: u64,
    /// The demo set: "large" (2,000 clients) or "xlarge" (10,000).
    size: String,
    port: u16,
    database_url: Option<String>,
    /// The Lighthouse command line (`lighthouse` of npm's lighthouse 12.2.3), if it is to run.
    lighthouse: Option<PathBuf>,
    /// The scenarios to run (`BENCH_ONLY`, comma-separated: pages, busy, first, read, write,
    /// sign-in); every one when unset. A partial run says so in its table.
    only: Option<Vec<String>>,
}

impl Settings {
    fn from_env() -> Result<Settings, Error> {
        Ok(Settings {
            bin: env_or("BENCH_BIN", "target/release/rampart").into(),
            site_root: env_or("BENCH_SITE_ROOT", "target/site").into(),
            out: env_or("BENCH_OUT", "bench-results/latest.md").into(),
            seconds: env_or("BENCH_SECONDS", "10").parse()?,
            concurrency: env_or("BENCH_CONCURRENCY", "8").parse()?,
            seed: env_or("BENCH_SEED", "1").parse()?,
            size: match env_or("BENCH_SIZE", "large").as_str() {
                size @ ("large" | "xlarge") => size.to_string(),
                other => return Err(format!("BENCH_SIZE is large or xlarge, not {other}").into()),
            },
            port: env_or("BENCH_PORT", "3299").parse()?,
            database_url: std::env::var("BENCH_DATABASE_URL").ok().filter(|v| !v.is_empty()),
            lighthouse: std::env::var("BENCH_LIGHTHOUSE").ok().filter(|v| !v.is_empty()).map(PathBuf::from),
            only: match std::env::var("BENCH_ONLY").ok().filter(|v| !v.is_empty()) {
                None => None,
                Some(list) => {
                    let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
                    if let Some(n) = names.iter().find(|n| !SCENARIOS.contains(&n.as_str())) {
                        return Err(format!("BENCH_ONLY names {n}; the scenarios are {}", SCENARIOS.join(", ")).into());
                    }
                    Some(names)
                }
            },
        })
    }

    /// Whether the scenario `name` (one of [`SCENARIOS`]) runs.
    fn runs(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.iter().any(|n| n == name))
    }
}

/// The scenarios `BENCH_ONLY` may pick.
const SCENARIOS: [&str; 6] = ["pages", "busy", "first", "read", "write", "sign-in"];

/// Latencies of one scenario.
#[derive(Default, Clone)]
struct Stats {
    ok: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    per_second: f64,
}

impl Stats {
    fn of(mut micros: Vec<u64>, errors: usize, elapsed: Duration) -> Stats {
        micros.sort_unstable();
        let at = |q: f64| {
            if micros.is_empty() {
                return f64::NAN;
            }
            let i = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
            micros[i] as f64 / 1000.0
        };
        Stats {
            ok: micros.len(),
            errors,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            per_second: micros.len() as f64 / elapsed.as_secs_f64(),
        }
    }
}

/// One request of a scenario, made by worker `w` (its `n`th); `Ok(false)` for a failed answer.
type Request = Arc<dyn Fn(usize, u64) -> Pending + Send + Sync>;
type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

/// Runs `request` from `concurrency` workers for `seconds` (after a short warm-up).
async fn load(concurrency: usize, seconds: f64, request: Request) -> Stats {
    // Warm-up: each worker's first requests fill caches and pools, and are not counted.
    for w in 0..concurrency {
        request(w, 0).await;
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut errors = 0;
            let mut n = 1;
            while Instant::now() < deadline {
                let t = Instant::now();
                if request(w, n).await {
                    times.push(t.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                }
                n += 1;
            }
            (times, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for worker in workers {
        if let Ok((times, e)) = worker.await {
            all.extend(times);
            errors += e;
        }
    }
    Stats::of(all, errors, started.elapsed())
}

/// A GET whose body is read to the end.
fn get(client: &reqwest::Client, url: String, accept: &'static str) -> Request {
    let client = client.clone();
    Arc::new(move |_, _| {
        let (client, url) = (client.clone(), url.clone());
        Box::pin(async move {
            match client.get(&url).header("accept", accept).send().await {
                Ok(r) => {
                    let ok = r.status().is_success();
                    r.bytes().await.is_ok() && ok
                }
                Err(_) => false,
            }
        })
    })
}

/// A server function call (form-encoded, as the browser's forms post them).
async fn call(client: &reqwest::Client, base: &str, endpoint: &str, form: &[(&str, String)]) -> Result<String, Error> {
    let r = client
        .post(format!("{base}/api/{endpoint}"))
        .header("accept", "application/json")
        .header("origin", base)
        .header("sec-fetch-site", "same-origin")
        .form(form)
        .send()
        .await?;
    let status = r.status();
    let body = r.text().await?;
    if !status.is_success() {
        return Err(format!("{endpoint}: {status}: {body}").into());
    }
    Ok(body)
}

/// The server's resident memory now and at its highest, in words (the log shows which
/// scenario raised it).
fn memory_now(pid: u32) -> String {
    let (rss, hwm) = memory(pid);
    format!("{:.0} MB, highest {:.0} MB", rss as f64 / 1024.0, hwm as f64 / 1024.0)
}

/// The server's resident memory (VmRSS, VmHWM) in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One row of the table.
struct Row {
    what: String,
    budget: String,
    stats: Option<Stats>,
    ceiling: Option<Stats>,
    /// For rows that are one number (memory, sizes, times).
    value: Option<String>,
    /// The first request's time, before anything was kept (pages only).
    first_ms: Option<f64>,
    met: Option<bool>,
}

fn row(what: &str, budget: &str, stats: Stats, ceiling: Option<Stats>, met: Option<bool>) -> Row {
    Row { what: what.into(), budget: budget.into(), stats: Some(stats), ceiling, value: None, first_ms: None, met }
}

fn single(what: &str, budget: &str, value: String, met: Option<bool>) -> Row {
    Row {
        what: what.into(),
        budget: budget.into(),
        stats: None,
        ceiling: None,
        value: Some(value),
        first_ms: None,
        met,
    }
}

/// The portfolio's budget: (p50, p99) in ms.
const PORTFOLIO: (f64, f64) = (10.0, 50.0);

/// How many first loads after a change (and after a sign-in) are timed.
const FIRST_LOADS: usize = 40;

/// A control whose status the harness changes back and forth, with its version.
struct ChangedControl {
    slug: String,
    control: String,
    version: i64,
    n: u64,
}

impl ChangedControl {
    /// Changes the status (as the control's form does); false when refused.
    async fn change(&mut self, client: &reqwest::Client, base: &str) -> bool {
        let status = if self.n.is_multiple_of(2) { "implemented" } else { "partial" };
        self.n += 1;
        let form = [
            ("slug", self.slug.clone()),
            ("control_id", self.control.clone()),
            ("version", self.version.to_string()),
            ("status", status.to_string()),
            ("owner", "Bench".to_string()),
            ("evidence_note", "Benchmark change beside the readers".to_string()),
            ("evidence_links", String::new()),
            ("justification", String::new()),
            ("note", String::new()),
        ];
        let ok = call(client, base, "controls/update", &form).await.is_ok();
        if ok {
            self.version += 1;
        }
        ok
    }
}

/// The version of a client's control as the server has it.
async fn current_version(client: &reqwest::Client, base: &str, slug: &str, control: &str) -> Result<i64, Error> {
    let checklist = call(client, base, "controls/checklist", &[("slug", slug.to_string())]).await?;
    let checklist: serde_json::Value = serde_json::from_str(&checklist)?;
    checklist["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["control_id"].as_str() == Some(control)))
        .and_then(|i| i["version"].as_i64())
        .ok_or_else(|| format!("{control} is not on the checklist").into())
}

/// The demo admin signs in (a password check and a new session, in a client of its own).
async fn sign_in_as_admin(base: &str) -> bool {
    let form = [
        ("email", "admin@rampart.example".to_string()),
        ("password", "rampart-demo-password".to_string()),
        ("next", String::new()),
    ];
    call(&reqwest::Client::new(), base, "auth/sign_in", &form).await.is_ok()
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let settings = Settings::from_env()?;
    let work = std::env::temp_dir().join(format!("rampart-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let database_url = settings
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", work.join("bench.db").display()));
    let base = format!("http://127.0.0.1:{}", settings.port);
    let envs = [
        ("DATABASE_URL", database_url.clone()),
        ("LEPTOS_SITE_ROOT", settings.site_root.display().to_string()),
        ("RAMPART_ADDR", format!("127.0.0.1:{}", settings.port)),
        ("RAMPART_MFA_REQUIRED_ROLES", "none".into()),
        ("RUST_LOG", "warn".into()),
    ];
    let mut rows = Vec::new();

    // The large data set.
    eprintln!("bench: generating the {} demo set (seed {})…", settings.size, settings.seed);
    let started = Instant::now();
    let demo = Command::new(&settings.bin)
        .args(["demo", "--size", &settings.size, "--seed", &settings.seed.to_string()])
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    if !demo.status.success() {
        return Err(format!("rampart demo failed: {}", String::from_utf8_lossy(&demo.stderr)).into());
    }
    let generated = started.elapsed();
    let demo_out = String::from_utf8_lossy(&demo.stdout);
    eprintln!("{}", demo_out.lines().next().unwrap_or_default());
    let budget = match (settings.size.as_str(), database_url.starts_with("postgres")) {
        ("xlarge", true) => 240.0,
        ("xlarge", false) => 120.0,
        (_, true) => 60.0,
        (_, false) => 30.0,
    };
    rows.push(single(
        &format!("generate the {} set (`rampart demo --size {}`)", settings.size, settings.size),
        &format!("≤ {budget:.0} s"),
        format!("{:.1} s", generated.as_secs_f64()),
        Some(generated.as_secs_f64() <= budget),
    ));

    // Cold start: from spawning the process to a ready /readyz.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
    let started = Instant::now();
    let child = Command::new(&settings.bin)
        .arg("serve")
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(work.join("server.log"))?))
        .spawn()?;
    let server = Server(child);
    let pid = server.0.id();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the server was not ready within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cold = started.elapsed();
    rows.push(single(
        "cold start (spawn to ready /readyz)",
        "≤ 1 s",
        format!("{:.0} ms", cold.as_secs_f64() * 1000.0),
        Some(cold <= Duration::from_secs(1)),
    ));
    let (rss_idle, _) = memory(pid);

    // Signed in as the demo manager (cookies kept by the client).
    let client = reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(60)).build()?;
    let sign_in = |c: &reqwest::Client| {
        let c = c.clone();
        let base = base.clone();
        async move {
            call(
                &c,
                &base,
                "auth/sign_in",
                &[
                    ("email", "manager@rampart.example".into()),
                    ("password", "rampart-demo-password".into()),
                    ("next", String::new()),
                ],
            )
            .await
        }
    };
    sign_in(&client).await?;
    // The riskiest client first: the one the portfolio shows at the top.
    let list = call(&client, &base, "clients/list", &[("query[archived]", "false".into())]).await?;
    let slug = find_strings(&list, "slug").into_iter().next().ok_or("no client in the list")?;
    let checklist = call(&client, &base, "controls/checklist", &[("slug", slug.clone())]).await?;
    let checklist: serde_json::Value = serde_json::from_str(&checklist)?;
    let items: Vec<(String, i64)> = checklist["items"]
        .as_array()
        .ok_or("no checklist items")?
        .iter()
        .filter_map(|i| Some((i["control_id"].as_str()?.to_string(), i["version"].as_i64()?)))
        .collect();
    if items.len() <= settings.concurrency {
        return Err("fewer controls than writers and the background change".into());
    }

    // Sampling resident memory all through the load.
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(memory(pid).0, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let (c, s) = (settings.concurrency, settings.seconds);
    // (what, budget, path, accept, (p50, p99) limits in ms)
    type Page = (&'static str, &'static str, String, &'static str, Option<(f64, f64)>);
    let pages: Vec<Page> = vec![
        (
            "portfolio page `/`",
            "p50 ≤ 10 ms, p99 ≤ 50 ms; first ≤ 500 ms; ≥ 20% of the ceiling's req/s",
            "/".into(),
            "text/html",
            Some(PORTFOLIO),
        ),
        (
            "client page `/clients/{slug}`",
            "p50 ≤ 10 ms",
            format!("/clients/{slug}"),
            "text/html",
            Some((10.0, f64::INFINITY)),
        ),
        (
            "chart (trend SVG)",
            "≤ 2 ms (p50)",
            format!("/charts/clients/{slug}/trend.svg"),
            "image/svg+xml",
            Some((2.0, f64::INFINITY)),
        ),
    ];
    let mut ceilings = Vec::new();
    for (what, budget, path, accept, limits) in pages.iter().filter(|_| settings.runs("pages")) {
        eprintln!("bench: {what}… (memory so far: {})", memory_now(pid));
        // The first request alone: nothing kept yet (the server keeps portfolio-wide results
        // and drawn charts between changes of data).
        let started = Instant::now();
        client.get(format!("{base}{path}")).header("accept", *accept).send().await?.bytes().await?;
        let first_ms = started.elapsed().as_secs_f64() * 1000.0;
        let stats = load(c, s, get(&client, format!("{base}{path}"), accept)).await;
        let first_met = path != "/" || first_ms <= 500.0;
        let met = limits.map(|(p50, p99)| stats.errors == 0 && stats.p50_ms <= p50 && stats.p99_ms <= p99 && first_met);
        // The same bytes, as the server sent them, for the ceiling.
        let r = client.get(format!("{base}{path}")).header("accept", *accept).send().await?;
        let content_type =
            r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("text/html").to_string();
        ceilings.push((path.clone(), content_type, r.bytes().await?));
        rows.push(Row { first_ms: Some(first_ms), ..row(what, budget, stats, None, met) });
    }

    // The portfolio while data changes: ten control changes a second beside the readers (each
    // recomputes its client's kept score), then fifty sign-ins a minute (which reach no client).
    for (what, every, signing_in) in [
        ("while 10 changes a second are made", Duration::from_millis(100), false),
        ("while 50 sign-ins a minute are made", Duration::from_millis(1200), true),
    ]
    .into_iter()
    .filter(|_| settings.runs("busy"))
    {
        eprintln!("bench: portfolio {what}… (memory so far: {})", memory_now(pid));
        let busy = Arc::new(AtomicBool::new(true));
        let beside = {
            let (client, base, slug, busy) = (client.clone(), base.clone(), slug.clone(), busy.clone());
            let (control, version) = items[c].clone();
            tokio::spawn(async move {
                let mut control = ChangedControl { slug, control, version, n: 0 };
                let mut done = 0u64;
                while busy.load(Ordering::Relaxed) {
                    let next = tokio::time::Instant::now() + every;
                    let ok =
                        if signing_in { sign_in_as_admin(&base).await } else { control.change(&client, &base).await };
                    done += u64::from(ok);
                    tokio::time::sleep_until(next).await;
                }
                done
            })
        };
        let stats = load(c, s, get(&client, format!("{base}/"), "text/html")).await;
        busy.store(false, Ordering::Relaxed);
        let done = beside.await.unwrap_or(0);
        let met = stats.errors == 0 && stats.p50_ms <= PORTFOLIO.0 && stats.p99_ms <= PORTFOLIO.1;
        rows.push(row(
            &format!("portfolio page `/` {what} ({done} made)"),
            "p50 ≤ 10 ms, p99 ≤ 50 ms",
            stats,
            None,
            Some(met),
        ));
    }

    // The manager's first load of the portfolio right after a change, and right after someone
    // else signed in: timed one by one (a closed loop of readers hides the few slow loads among
    // the many fast ones), and held to the portfolio's p99.
    for after_sign_in in [false, true].into_iter().filter(|_| settings.runs("first")) {
        let what = if after_sign_in { "someone else's sign-in" } else { "a control change" };
        eprintln!("bench: first load after {what}… (memory so far: {})", memory_now(pid));
        let control = items[c].0.clone();
        // The control's version as the server has it now (the scenarios before changed it).
        let version = current_version(&client, &base, &slug, &control).await?;
        let mut control = ChangedControl { slug: slug.clone(), control, version, n: 0 };
        let mut times = Vec::new();
        let mut errors = 0;
        let started = Instant::now();
        for _ in 0..FIRST_LOADS {
            let ok = if after_sign_in { sign_in_as_admin(&base).await } else { control.change(&client, &base).await };
            let t = Instant::now();
            let answered = client.get(format!("{base}/")).header("accept", "text/html").send().await;
            let read = match answered {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok && read {
                times.push(t.elapsed().as_micros() as u64);
            } else {
                errors += 1;
            }
        }
        let stats = Stats::of(times, errors, started.elapsed());
        let met = stats.errors == 0 && stats.p99_ms <= PORTFOLIO.1;
        rows.push(row(
            &format!("portfolio page `/`, the first load after {what} ({FIRST_LOADS} times)"),
            "p99 ≤ 50 ms",
            stats,
            None,
            Some(met),
        ));
    }

    if settings.runs("read") {
        // A server-function read: one control with its history, as JSON.
        eprintln!("bench: server function read… (memory so far: {})", memory_now(pid));
        let read: Request = {
            let (client, base, slug, control) = (client.clone(), base.clone(), slug.clone(), items[0].0.clone());
            Arc::new(move |_, _| {
                let (client, base, slug, control) = (client.clone(), base.clone(), slug.clone(), control.clone());
                Box::pin(async move {
                    call(&client, &base, "controls/get", &[("slug", slug), ("control_id", control)]).await.is_ok()
                })
            })
        };
        let stats = load(c, s, read).await;
        rows.push(row("server function read (`/api/controls/get`)", "—", stats, None, None));
    }

    if settings.runs("write") {
        // A write: a control's status changed (and its audit entry), each worker on its own control.
        eprintln!("bench: write… (memory so far: {})", memory_now(pid));
        let versions: Arc<Vec<AtomicU64>> = Arc::new(items.iter().map(|(_, v)| AtomicU64::new(*v as u64)).collect());
        let write: Request = {
            let (client, base, slug, items) = (client.clone(), base.clone(), slug.clone(), items.clone());
            let versions = versions.clone();
            Arc::new(move |w, n| {
                let (client, base, slug) = (client.clone(), base.clone(), slug.clone());
                let control = items[w].0.clone();
                let versions = versions.clone();
                Box::pin(async move {
                    let version = versions[w].load(Ordering::Relaxed);
                    let status = if n.is_multiple_of(2) { "implemented" } else { "partial" };
                    let form = [
                        ("slug", slug),
                        ("control_id", control),
                        ("version", version.to_string()),
                        ("status", status.to_string()),
                        ("owner", "Bench".to_string()),
                        ("evidence_note", "Benchmark write".to_string()),
                        ("evidence_links", String::new()),
                        ("justification", String::new()),
                        ("note", String::new()),
                    ];
                    let ok = call(&client, &base, "controls/update", &form).await.is_ok();
                    if ok {
                        versions[w].fetch_add(1, Ordering::Relaxed);
                    }
                    ok
                })
            })
        };
        let stats = load(c, s, write).await;
        let met = stats.errors == 0 && stats.p99_ms <= 25.0;
        rows.push(row(
            "write (control status change + audit entry + its client's score)",
            "p99 ≤ 25 ms",
            stats,
            None,
            Some(met),
        ));
    }

    if settings.runs("sign-in") {
        // Sign-in: a password check (Argon2) and a new session each time. Each worker signs in as
        // one of the demo's people: an account's attempts in flight count against its throttle
        // (at most 5 checked at once), as a burst of guesses would.
        eprintln!("bench: sign-in… (memory so far: {})", memory_now(pid));
        let signing: Request = {
            let base = base.clone();
            Arc::new(move |worker, _| {
                let base = base.clone();
                const PEOPLE: [&str; 6] = [
                    "admin@rampart.example",
                    "manager@rampart.example",
                    "tech@rampart.example",
                    "tech.limited@rampart.example",
                    "auditor@rampart.example",
                    "viewer@rampart.example",
                ];
                Box::pin(async move {
                    let fresh = reqwest::Client::new();
                    let form = [
                        ("email", PEOPLE[worker % PEOPLE.len()].to_string()),
                        ("password", "rampart-demo-password".to_string()),
                        ("next", String::new()),
                    ];
                    call(&fresh, &base, "auth/sign_in", &form).await.is_ok()
                })
            })
        };
        let stats = load(c, s, signing).await;
        rows.push(row("sign-in (Argon2 check, new session)", "—", stats, None, None));
    }

    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    eprintln!("bench: the scenarios are done (memory: {})", memory_now(pid));
    let (_, hwm) = memory(pid);
    let peak_kib = peak.load(Ordering::Relaxed);
    rows.push(single(
        "resident memory under load (peak VmRSS / VmHWM)",
        "≤ 200 MB",
        format!("{:.0} MB / {:.0} MB (idle after start {:.0} MB)", mib(peak_kib), mib(hwm), mib(rss_idle)),
        Some(mib(hwm) <= 200.0),
    ));
    // Lighthouse on the portfolio, a client page and its checklist, signed in as the manager.
    match &settings.lighthouse {
        Some(lighthouse) => {
            let cookie = session_cookie(&base).await?;
            for (what, path) in [
                ("portfolio `/`", "/".to_string()),
                ("client page `/clients/{slug}`", format!("/clients/{slug}")),
                ("checklist `/clients/{slug}/controls`", format!("/clients/{slug}/controls")),
            ] {
                eprintln!("bench: Lighthouse on {path}…");
                let (value, met) = match lighthouse_scores(lighthouse, &format!("{base}{path}"), &cookie) {
                    Ok((performance, accessibility)) => (
                        format!("performance {performance:.0}, accessibility {accessibility:.0}"),
                        Some(performance >= 95.0 && accessibility >= 95.0),
                    ),
                    Err(error) => (format!("not measured: {error}"), Some(false)),
                };
                rows.push(single(
                    &format!("Lighthouse 12.2.3 (desktop preset), {what}"),
                    "performance ≥ 95, accessibility ≥ 95",
                    value,
                    met,
                ));
            }
        }
        None => eprintln!("bench: Lighthouse not run (BENCH_LIGHTHOUSE is not set)"),
    }
    drop(server);

    // The ceiling: the same bytes from memory, by a bare axum server.
    let ceiling_base = serve_from_memory(&ceilings).await?;
    let plain = reqwest::Client::new();
    for (i, (path, _, _)) in ceilings.iter().enumerate() {
        eprintln!("bench: ceiling of {path}…");
        let stats = load(c, s, get(&plain, format!("{ceiling_base}{path}"), "*/*")).await;
        let page = &mut rows[2 + i];
        if path == "/" {
            // The portfolio serves at least a fifth of what bare bytes from memory do.
            let served = page.stats.as_ref().map_or(0.0, |p| p.per_second);
            page.met = page.met.map(|met| met && served >= 0.2 * stats.per_second);
        }
        page.ceiling = Some(stats);
    }

    // The wasm, raw and compressed.
    let wasm_path = find_wasm(&settings.site_root).ok_or("no .wasm under the site root's pkg folder")?;
    let wasm = std::fs::read(&wasm_path)?;
    let gz = gzip(&wasm)?;
    let br = brotli_size(&wasm)?;
    rows.push(single(
        "wasm (raw / gzip -9 / brotli 11)",
        "≤ 300 KB gzip",
        format!("{:.0} KB / {:.0} KB / {:.0} KB", kb(wasm.len()), kb(gz), kb(br)),
        Some(kb(gz) <= 300.0),
    ));

    let table = render(&rows, &settings, &wasm_path, &demo_out);
    println!("{table}");
    std::fs::write(&settings.out, &table)?;
    eprintln!("bench: written to {}", settings.out.display());
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// A signed-in manager's session cookie (`name=value`), for a browser started by another program.
async fn session_cookie(base: &str) -> Result<String, Error> {
    let form = [("email", "manager@rampart.example"), ("password", "rampart-demo-password"), ("next", "")];
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .post(format!("{base}/api/auth/sign_in"))
        .header("accept", "application/json")
        .header("origin", base)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await?;
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("rampart_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| "the sign-in set no session cookie".into())
}

/// Lighthouse's performance and accessibility scores (0–100) of `url`, with `cookie` sent.
fn lighthouse_scores(lighthouse: &std::path::Path, url: &str, cookie: &str) -> Result<(f64, f64), Error> {
    let headers = serde_json::json!({ "Cookie": cookie }).to_string();
    let output = Command::new(lighthouse)
        .args([
            url,
            "--preset=desktop",
            "--only-categories=performance,accessibility",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ])
        .arg(format!("--extra-headers={headers}"))
        .env("CHROME_PATH", env_or("CHROME_PATH", "/usr/bin/chromium"))
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("lighthouse exited with {}", output.status).into());
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let score = |category: &str| {
        report["categories"][category]["score"].as_f64().map(|s| s * 100.0).ok_or(format!("no {category} score"))
    };
    Ok((score("performance")?, score("accessibility")?))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1000.0
}

/// Every string value of `key` in a JSON text, in order.
fn find_strings(json: &str, key: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, key: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if k == key {
                        if let Some(s) = v.as_str() {
                            out.push(s.to_string());
                        }
                    }
                    walk(v, key, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, key, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(json) {
        walk(&v, key, &mut out);
    }
    out
}

async fn serve_from_memory(pages: &[(String, String, axum::body::Bytes)]) -> Result<String, Error> {
    use axum::routing::get;
    let mut router = axum::Router::new();
    for (path, content_type, body) in pages {
        let (content_type, body) = (content_type.clone(), body.clone());
        router = router.route(
            path,
            get(move || {
                let (content_type, body) = (content_type.clone(), body.clone());
                async move { ([(axum::http::header::CONTENT_TYPE, content_type)], body) }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

fn find_wasm(site_root: &std::path::Path) -> Option<PathBuf> {
    let pkg = site_root.join("pkg");
    std::fs::read_dir(pkg).ok()?.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "wasm"))
}

fn gzip(data: &[u8]) -> Result<usize, Error> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data)?;
    Ok(e.finish()?.len())
}

fn brotli_size(data: &[u8]) -> Result<usize, Error> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut std::io::Cursor::new(data), &mut out, &params)?;
    Ok(out.len())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let total_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores available ({model}), {:.1} GiB RAM, Linux {}",
        total_kib as f64 / 1024.0 / 1024.0,
        kernel.trim()
    )
}

fn render(rows: &[Row], settings: &Settings, wasm: &std::path::Path, demo_out: &str) -> String {
    let mut t = String::new();
    let now = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let _ = writeln!(t, "Measured {now} on {}.", machine());
    let _ = writeln!(
        t,
        "Load: {} concurrent connections for {} s per scenario, from this harness on the same machine \
         (loopback, no TLS, no compression asked); {} demo set, seed {}; wasm `{}`.",
        settings.concurrency,
        settings.seconds,
        settings.size,
        settings.seed,
        wasm.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default()
    );
    if let Some(only) = &settings.only {
        let _ = writeln!(t, "A partial run: only the scenarios {} (`BENCH_ONLY`).", only.join(", "));
    }
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "| What | Budget | first | p50 | p99 | req/s | answered | errors | ceiling p50 | ceiling p99 | ceiling req/s | Met |"
    );
    let _ = writeln!(t, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        match (&r.stats, &r.value) {
            (Some(s), _) => {
                let (cp50, cp99, crps) = match &r.ceiling {
                    Some(c) => {
                        (format!("{:.2} ms", c.p50_ms), format!("{:.2} ms", c.p99_ms), format!("{:.0}", c.per_second))
                    }
                    None => ("—".into(), "—".into(), "—".into()),
                };
                let first = r.first_ms.map(|ms| format!("{ms:.1} ms")).unwrap_or_else(|| "—".into());
                let _ = writeln!(
                    t,
                    "| {} | {} | {first} | {:.2} ms | {:.2} ms | {:.0} | {} | {} | {cp50} | {cp99} | {crps} | {met} |",
                    r.what, r.budget, s.p50_ms, s.p99_ms, s.per_second, s.ok, s.errors
                );
            }
            (None, Some(v)) => {
                let _ = writeln!(t, "| {} | {} | | {v} | | | | | | | | {met} |", r.what, r.budget);
            }
            _ => {}
        }
    }
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "\"first\" is a page's first request after the server started, before anything was kept; \
         \"ceiling\" is the same bytes served from memory by a bare axum server in the harness."
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "Generation: {}", demo_out.lines().next().unwrap_or_default().trim());
    t
}
