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
    ///
    /// Every field of the config file is checked before anything starts; a bad config exits
    /// with status 2 and a message naming the field and what to change.
    Serve {
        /// YAML config file (unknown fields are errors). Fields, with defaults:
        ///
        ///   listen.public, listen.mtls      socket addresses (required), e.g. 127.0.0.1:8443
        ///   register_jwks_uri               the JWKS verifying SSAs (required): the CDR Register's,
        ///                                   or the OB Directory keystore (uk-obie-*, wso2-uk-3.3,
        ///                                   wso2-accelerator-3)
        ///   tls.ca + tls.cert + tls.key     PEM files, or tls.generate: DIR (writes a test PKI)
        ///   public_base_url, mtls_base_url  advertised https base URLs (default: the listen addresses)
        ///   database                        SQLite file (default mock-holder.db)
        ///   clock_skew_seconds              allowed clock difference (default 60)
        ///   token_lifetime_seconds          access token lifetime (default 600)
        ///   jwks_timeout_ms                 outbound JWKS fetch timeout (default 3000)
        ///   jwks_max_bytes                  largest JWKS document accepted (default 262144)
        ///   jwks_cache_seconds              JWKS cache lifetime (default 300)
        ///   max_body_bytes                  largest request body (default 65536)
        ///   supported_scopes                scopes kept from SSAs (default: CDS scopes)
        ///   jarm_encryption                 support JARM encryption (default true; CDS flavours)
        ///   flavour                         DCR flavour to emulate (default cds-au; see --flavour)
        ///   ssa_signature_validation        check SSA signatures (default false; wso2-ob20-au-0.1 only)
        ///   append_registration_attributes_in_response
        ///                                   POST answers add registration_access_token and
        ///                                   registration_client_uri (default false;
        ///                                   wso2-accelerator-3 only)
        ///   defect                          break one rule on purpose (default: none; see --defect)
        ///   variations                      allowed behaviours to show (default: none; see --variation)
        ///   max_jwt_lifetime_seconds        longest exp accepted beyond now (default 86400)
        ///   ob_organisation_id              uk-obie-*: our OB org id, an accepted request aud
        ///                                   (default 0015800001MockHAAX)
        ///   ssa_max_age_seconds             uk-obie-*: oldest SSA accepted by iat (default 1800)
        ///   operations.get/.put/.delete     management operations served (default true each;
        ///                                   one switched off answers 405)
        ///   connections.max_connections     open connections per listener (default 1024)
        ///   connections.*_timeout_ms        tls_handshake 10000, header_read 10000,
        ///                                   request 30000, idle 60000
        ///   connections.http2_max_concurrent_streams (default 128),
        ///   connections.http2_max_header_list_bytes  (default 16384)
        ///
        /// Logging: RUST_LOG (default mock_holder=info,tower_http=info). See mock-holder/README.md.
        #[arg(long, value_name = "FILE", verbatim_doc_comment)]
        config: PathBuf,
        /// Start with this defect (overrides `defect` in the config): the holder then breaks
        /// one conformance rule on purpose, for testing a test suite. The defects, the rules
        /// they break and what each does are listed in mock-holder/defects.yaml.
        #[arg(long, value_name = "NAME")]
        defect: Option<mock_holder::Defect>,
        /// Emulate this DCR flavour (overrides `flavour` in the config; default cds-au):
        /// its paths, validation, response shape and error wording. `mock-holder flavours`
        /// lists them.
        #[arg(long, value_name = "NAME")]
        flavour: Option<mock_holder::Flavour>,
        /// Start with this variation (repeatable; added to `variations` in the config): a
        /// behaviour the standards allow that the holder does not show by default. The
        /// variations, the clause allowing each and those that cannot run together are
        /// listed in mock-holder/variations.yaml and by `mock-holder variations`.
        #[arg(long = "variation", value_name = "NAME")]
        variations: Vec<mock_holder::Variation>,
        /// Do not serve this registration management operation (repeatable; config
        /// `operations.get/.put/.delete: false`): it is answered 405 with `Allow` naming the
        /// others. UK DCR makes GET, PUT and DELETE optional.
        #[arg(long = "without-operation", value_name = "OPERATION")]
        without: Vec<Operation>,
    },
    /// List the variations the holder can be started with (`serve --variation NAME`), one per
    /// line: name, what it does, and the clause that allows it.
    Variations,
    /// List the DCR flavours the holder can emulate (`serve --flavour NAME`), one per line:
    /// name, what it is, and the sources it is read from.
    Flavours,
}

/// A registration management operation (`--without-operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Operation {
    /// `GET {registration_endpoint}/{ClientId}`.
    Get,
    /// `PUT {registration_endpoint}/{ClientId}`.
    Put,
    /// `DELETE {registration_endpoint}/{ClientId}`.
    Delete,
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
        Command::Flavours => {
            let width = mock_holder::Flavour::ALL
                .iter()
                .map(|f| f.name().len())
                .max()
                .unwrap_or_default();
            for f in mock_holder::Flavour::ALL {
                println!(
                    "{:width$}  {} (sources: {})",
                    f.name(),
                    f.description(),
                    f.sources()
                );
            }
            ExitCode::SUCCESS
        }
        Command::Variations => {
            for v in mock_holder::Variation::ALL {
                println!("{v}  {} (allowed by {})", v.description(), v.clause());
            }
            ExitCode::SUCCESS
        }
        Command::Serve {
            config,
            defect,
            flavour,
            variations,
            without,
        } => {
            let mut settings =
                match mock_holder::config::Config::load(&config).and_then(|c| c.into_settings()) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("mock-holder: {e:#}");
                        return ExitCode::from(2);
                    }
                };
            if defect.is_some() {
                settings.defect = defect;
            }
            if let Some(flavour) = flavour {
                settings.flavour = flavour;
            }
            for v in variations {
                if !settings.variations.contains(&v) {
                    settings.variations.push(v);
                }
            }
            for operation in without {
                match operation {
                    Operation::Get => settings.operations.get = false,
                    Operation::Put => settings.operations.put = false,
                    Operation::Delete => settings.operations.delete = false,
                }
            }
            let holder = match mock_holder::start(settings).await {
                Ok(h) => h,
                Err(e) => {
                    eprintln!("mock-holder: {e:#}");
                    return ExitCode::from(2);
                }
            };
            if let Some(d) = holder.settings().defect {
                eprintln!(
                    "mock-holder: WARNING: defect {d} is active: {} (breaks {}). Not a reference holder.",
                    d.description(),
                    d.rules().join(", ")
                );
            }
            for v in &holder.settings().variations {
                eprintln!("mock-holder: variation {v}: {}", v.description());
            }
            let ops = holder.settings().operations;
            if ops != mock_holder::Operations::default() {
                let served: Vec<&str> =
                    [("GET", ops.get), ("PUT", ops.put), ("DELETE", ops.delete)]
                        .iter()
                        .filter(|(_, on)| *on)
                        .map(|(name, _)| *name)
                        .collect();
                eprintln!(
                    "mock-holder: registration management serves only: {}",
                    if served.is_empty() {
                        "none".to_string()
                    } else {
                        served.join(", ")
                    }
                );
            }
            let flavour = holder.settings().flavour;
            eprintln!("mock-holder: flavour {flavour}: {}", flavour.description());
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
