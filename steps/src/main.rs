//! `dcr-conformance`: see `dcr-conformance --help`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    dcr_conformance::cli::main_with(std::env::args_os()).await
}
