//! Forwarding the audit log on both databases, to real receivers on loopback: a syslog
//! listener (RFC 5424 over TCP, octet counting) that is down at first and then drops a
//! connection, and a webhook receiver that answers 500 twice. Every entry arrives, in order;
//! after a restart nothing already taken is sent again.

use hmac::{Hmac, Mac};
use rampart_domain::audit::forward::{Backoff, Forwarder, Sink, SyslogSink, WebhookSink, SIGNATURE_HEADER};
use rampart_domain::audit::{self, Entry};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::{contract_test, Db};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const SECRET: &str = "a webhook secret of some length";

async fn add_clients(db: &Db, from: usize, to: usize) {
    for i in from..to {
        let input = ClientInput {
            name: format!("Forwarded {i}"),
            slug: format!("forwarded-{i}"),
            impact_tier: "standard".into(),
            ..Default::default()
        };
        clients::create_client(db, &Actor::command_line(), &input, chrono::Utc::now()).await.unwrap();
    }
}

async fn log(db: &Db) -> Vec<Entry> {
    audit::all_entries(db).await.unwrap()
}

/// Quick retries, so that the test does not wait for production's backoff.
fn quick(mut forwarder: Forwarder) -> Forwarder {
    forwarder.backoff = Backoff { initial: Duration::from_millis(20), max: Duration::from_millis(200) };
    forwarder.idle = Duration::from_millis(20);
    forwarder.batch = 4;
    forwarder
}

/// Starts a forwarder; dropping (or sending on) the returned sender stops it.
fn start(forwarder: Forwarder) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(forwarder.run(async move {
        let _ = stopped.await;
    }));
    (stop, task)
}

/// Waits (bounded) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up waiting: {what}");
}

/// Reads octet-counted RFC 5424 frames until the sender closes its side.
async fn read_frames(stream: &mut TcpStream) -> Vec<String> {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    let mut frames = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let space = rest.iter().position(|b| *b == b' ').expect("MSG-LEN then a space");
        let len: usize = std::str::from_utf8(&rest[..space]).unwrap().parse().unwrap();
        let frame = &rest[space + 1..space + 1 + len];
        frames.push(String::from_utf8(frame.to_vec()).unwrap());
        rest = &rest[space + 1 + len..];
    }
    frames
}

/// The JSON line of an RFC 5424 message: after `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `.
fn json_of(message: &str) -> serde_json::Value {
    assert!(message.starts_with("<110>1 ") || message.starts_with("<109>1 "), "{message}");
    let fields: Vec<&str> = message.splitn(8, ' ').collect();
    assert_eq!(fields[3], "rampart", "APP-NAME");
    assert_eq!(fields[6], "-", "no structured data");
    let json: serde_json::Value = serde_json::from_str(fields[7]).unwrap();
    assert_eq!(fields[5], json["action"].as_str().unwrap(), "MSGID is the action");
    json
}

/// A syslog receiver: drops its first connection with the data unread (the sender sees a
/// reset), then reads every batch to the end and closes.
fn syslog_receiver(listener: TcpListener, received: Arc<Mutex<Vec<serde_json::Value>>>, drops: Arc<Mutex<u32>>) {
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            if *drops.lock().unwrap() == 0 {
                *drops.lock().unwrap() += 1;
                stream.readable().await.unwrap();
                drop(stream);
                continue;
            }
            let frames = read_frames(&mut stream).await;
            received.lock().unwrap().extend(frames.iter().map(|f| json_of(f)));
            let _ = stream.shutdown().await;
        }
    });
}

contract_test!(syslog_gets_every_entry_in_order_after_being_down_and_nothing_twice_after_a_restart, |db| {
    add_clients(&db, 0, 5).await;
    // A port with nobody listening yet: the first attempts are refused.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let sink = SyslogSink { close_wait: Duration::from_secs(5), ..SyslogSink::new(&addr) };
    let (stop, task) = start(quick(Forwarder::new(db.clone(), Sink::Syslog(sink.clone()))));
    let mut refused = false;
    for _ in 0..200 {
        let sinks = audit::list_sinks(&db, &Actor::command_line()).await.unwrap();
        if sinks.iter().any(|s| s.failures > 0 && s.delivered_seq == 0) {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the receiver being down is recorded as a failure");
    add_clients(&db, 5, 8).await;

    let received = Arc::new(Mutex::new(Vec::new()));
    let drops = Arc::new(Mutex::new(0));
    syslog_receiver(TcpListener::bind(&addr).await.unwrap(), received.clone(), drops.clone());
    let expected = log(&db).await;
    eventually("every entry reaches syslog", || received.lock().unwrap().len() >= expected.len()).await;
    assert_eq!(*drops.lock().unwrap(), 1, "one connection was dropped");
    let got: Vec<(i64, String)> = received
        .lock()
        .unwrap()
        .iter()
        .map(|j| (j["seq"].as_i64().unwrap(), j["id"].as_str().unwrap().to_owned()))
        .collect();
    let want: Vec<(i64, String)> = expected.iter().map(|e| (e.seq, e.hash.clone())).collect();
    assert_eq!(got, want, "every entry once, in order, with its hash as id");
    let first = received.lock().unwrap()[0].clone();
    assert_eq!(first["action"], "catalog.load");
    assert_eq!(first["hash"], expected[0].hash);

    // A restart: the forwarder stops, more happens, a new one starts on the same database.
    let _ = stop.send(());
    task.await.unwrap();
    add_clients(&db, 8, 10).await;
    let (stop, task) = start(quick(Forwarder::new(db.clone(), Sink::Syslog(sink))));
    let total = log(&db).await.len();
    eventually("the new entries reach syslog", || received.lock().unwrap().len() >= total).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seqs: Vec<i64> = received.lock().unwrap().iter().map(|j| j["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>(), "nothing sent twice after the restart");
    let _ = stop.send(());
    task.await.unwrap();
    let sinks = audit::list_sinks(&db, &Actor::command_line()).await.unwrap();
    assert_eq!(sinks[0].delivered_seq, total as i64);
    assert_eq!(sinks[0].failures, 0, "a delivery clears the failures");
});

/// What the webhook receiver saw: (answered status, signature header, body).
type Calls = Arc<Mutex<Vec<(u16, String, String)>>>;

async fn webhook_receiver(calls: Calls, failures_first: usize) -> String {
    use axum::http::{HeaderMap, StatusCode};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/audit", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/audit",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let calls = calls.clone();
            async move {
                let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let mut calls = calls.lock().unwrap();
                let status = if calls.len() < failures_first { 500 } else { 200 };
                calls.push((status, signature, body));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Checks a signature as a receiver would: HMAC-SHA256 of "t.body" with the shared secret.
fn signature_holds(header: &str, body: &str) -> bool {
    let Some((t, v1)) = header.strip_prefix("t=").and_then(|rest| rest.split_once(",v1=")) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let fresh = t.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    fresh && expected == v1
}

contract_test!(webhooks_are_signed_retried_until_taken_and_sent_once_across_a_restart, |db| {
    add_clients(&db, 0, 6).await;
    let calls: Calls = Arc::new(Mutex::new(Vec::new()));
    let url = webhook_receiver(calls.clone(), 2).await;
    let sink = || Sink::Webhook(WebhookSink::new(&url, SECRET.as_bytes()).unwrap());
    // Two servers at once: the lease lets only one of them forward.
    let (stop_a, task_a) = start(quick(Forwarder::new(db.clone(), sink())));
    let (stop_b, task_b) = start(quick(Forwarder::new(db.clone(), sink())));
    let expected = log(&db).await;
    let taken = |calls: &Calls| -> Vec<serde_json::Value> {
        calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(status, _, _)| *status == 200)
            .map(|(_, _, body)| serde_json::from_str(body).unwrap())
            .collect()
    };
    eventually("every entry is taken", || taken(&calls).len() >= expected.len()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got: Vec<(i64, String)> =
        taken(&calls).iter().map(|j| (j["seq"].as_i64().unwrap(), j["id"].as_str().unwrap().to_owned())).collect();
    let want: Vec<(i64, String)> = expected.iter().map(|e| (e.seq, e.hash.clone())).collect();
    assert_eq!(got, want, "every entry taken once, in order");
    {
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), expected.len() + 2, "two refusals, then one call per entry");
        assert!(
            calls[..3].iter().all(|(_, _, body)| body == &calls[0].2),
            "the refused entry is sent again, unchanged"
        );
        for (_, signature, body) in calls.iter() {
            assert!(signature_holds(signature, body), "signature {signature:?} of {body}");
            assert!(!signature_holds(signature, &format!("{body} ")), "a changed body fails");
        }
    }

    // Both servers stop; more happens; one starts again.
    let _ = stop_a.send(());
    let _ = stop_b.send(());
    task_a.await.unwrap();
    task_b.await.unwrap();
    add_clients(&db, 6, 9).await;
    let (stop, task) = start(quick(Forwarder::new(db.clone(), sink())));
    let total = log(&db).await.len();
    eventually("the new entries are taken", || taken(&calls).len() >= total).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seqs: Vec<i64> = taken(&calls).iter().map(|j| j["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>(), "nothing taken twice");
    let _ = stop.send(());
    task.await.unwrap();
});

contract_test!(a_webhook_that_redirects_is_a_failure_not_followed, |db| {
    use axum::response::Redirect;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let followed = Arc::new(Mutex::new(0));
    let counter = followed.clone();
    let app =
        axum::Router::new().route("/audit", axum::routing::post(|| async { Redirect::temporary("/elsewhere") })).route(
            "/elsewhere",
            axum::routing::post(move || {
                let counter = counter.clone();
                async move {
                    *counter.lock().unwrap() += 1;
                    "ok"
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let forwarder = Forwarder::new(
        db.clone(),
        Sink::Webhook(WebhookSink::new(&format!("{base}/audit"), SECRET.as_bytes()).unwrap()),
    );
    let round = forwarder.run_once().await.unwrap();
    assert!(matches!(round, audit::forward::Round::Failed { delivered: 0, .. }), "{round:?}");
    assert_eq!(*followed.lock().unwrap(), 0);
    let sinks = audit::list_sinks(&db, &Actor::command_line()).await.unwrap();
    assert_eq!((sinks[0].delivered_seq, sinks[0].failures), (0, 1));
    assert!(sinks[0].last_error.contains("307"), "{}", sinks[0].last_error);
});
