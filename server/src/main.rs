use clap::Parser;
use std::process::ExitCode;

/// Small blocks from mimalloc, large ones from the system; see `rampart_server::memory`.
#[global_allocator]
static ALLOCATOR: rampart_server::memory::Allocator = rampart_server::memory::Allocator;

fn main() -> ExitCode {
    // Before any thread starts: the allocator's settings apply to every arena it creates.
    rampart_server::memory::tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: the async runtime could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = rampart_server::cli::Cli::parse();
    match rampart_server::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
