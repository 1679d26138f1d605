//! `mock-holder`: run the mock CDR Data Holder from a config file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A mock CDR Data Holder (Dynamic Client Registration over mutual TLS).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the holder until interrupted (Ctrl-C).
    Serve {
        /// YAML config file: listen addresses, TLS files (or `tls.generate: DIR`), the Register's
        /// JWKS URL, database path, clock skew. See mock-holder/README.md.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "mock_holder=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config } => {
            let settings =
                match mock_holder::config::Config::load(&config).and_then(|c| c.into_settings()) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("mock-holder: {e:#}");
                        return ExitCode::from(2);
                    }
                };
            let holder = match mock_holder::start(settings).await {
                Ok(h) => h,
                Err(e) => {
                    eprintln!("mock-holder: {e:#}");
                    return ExitCode::from(2);
                }
            };
            eprintln!(
                "mock-holder: issuer {} (public {}), registration endpoint {} (mTLS {})",
                holder.urls.issuer,
                holder.public_addr,
                holder.urls.registration_endpoint,
                holder.mtls_addr
            );
            let _ = tokio::signal::ctrl_c().await;
            holder.shutdown();
            ExitCode::SUCCESS
        }
    }
}
