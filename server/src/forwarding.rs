//! Forwarding the audit log to the MSP's receivers while the server runs: one task per
//! configured receiver (see `domain::audit::forward`). Every server of a cluster starts them;
//! a lease in the database lets one forward at a time.

use domain::audit::forward::{Forwarder, Settings};
use domain::Db;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The running forwarders, to stop at shutdown.
pub struct Forwarding {
    running: Vec<(oneshot::Sender<()>, JoinHandle<()>)>,
}

/// Starts a forwarder for each configured receiver; a message for the operator when a setting
/// is wrong.
pub fn start(db: &Db, settings: &Settings) -> Result<Forwarding, String> {
    let sinks = settings.sinks()?;
    let mut running = Vec::new();
    for sink in sinks {
        tracing::info!(sink = sink.name(), settings = ?settings, "forwarding the audit log");
        let (stop, stopped) = oneshot::channel::<()>();
        let forwarder = Forwarder::new(db.clone(), sink);
        let task = tokio::spawn(forwarder.run(async move {
            let _ = stopped.await;
        }));
        running.push((stop, task));
    }
    Ok(Forwarding { running })
}

impl Forwarding {
    /// Stops every forwarder after its current round (waiting a little at most), so that their
    /// leases are released for another server.
    pub async fn stop(self) {
        for (stop, task) in self.running {
            let _ = stop.send(());
            if tokio::time::timeout(Duration::from_secs(15), task).await.is_err() {
                tracing::warn!("a forwarder did not stop in time; its lease expires by itself");
            }
        }
    }
}
