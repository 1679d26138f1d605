//! Connection limits and timeouts of the holder's listeners ([`ConnectionLimits`]), with their
//! defaults and their validation, shared by [`crate::Settings`] and the config file.
//!
//! They bound what a client that passed the TLS handshake (a valid certificate is cheap to
//! have in a test ecosystem) can hold: without them a client could keep connections open
//! forever (half a request head, half a body, an idle keep-alive, an HTTP/2 preface and then
//! nothing) until the process runs out of file descriptors and neither listener answers.
//! `crate::server` applies them.

use std::time::Duration;

/// Limits applied to every connection of each listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once, per listener; one more is closed as soon as it is
    /// accepted (before TLS), so the file descriptors it would hold are freed at once.
    pub max_connections: usize,
    /// Longest TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// Longest time to receive a whole HTTP/1.1 request head.
    pub header_read_timeout: Duration,
    /// Longest time from a request's head to its response: reading the body and handling it.
    /// A request over it gets 408 and its connection is closed.
    pub request_timeout: Duration,
    /// A connection with no request in progress and no bytes moving for this long is closed
    /// (an idle keep-alive, an HTTP/2 connection that sent nothing after its preface).
    pub idle_timeout: Duration,
    /// HTTP/2: most streams (requests) in progress at once on one connection.
    pub http2_max_concurrent_streams: u32,
    /// HTTP/2: largest header list (decoded, RFC 9113 §6.5.2 `SETTINGS_MAX_HEADER_LIST_SIZE`)
    /// accepted, in bytes.
    pub http2_max_header_list_bytes: u32,
}

/// Per listener: 1024 each leaves room under the usual `ulimit -n` of 4096 (and the holder
/// lowers it further, with a warning, when the process may open fewer files).
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// A TLS handshake on loopback takes milliseconds; a slow network, well under a second.
pub(crate) const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A request head is sent at once by every real client.
pub(crate) const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Above the longest legitimate handling: two JWKS fetches of at most `jwks_timeout` each (3 s
/// by default) and a 64 KiB body.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longer than a client's usual pool idle time (reqwest's is 90 s; browsers' about 60 s) would
/// be friendlier, but a holder under attack must get its descriptors back.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The value RFC 9113 §6.5.2 recommends as a minimum (100), rounded up.
pub(crate) const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS: u32 = 128;
/// 16 KiB: a registration's headers are a few hundred bytes, a bearer token under 1 KiB.
pub(crate) const DEFAULT_HTTP2_MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls_handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            http2_max_concurrent_streams: DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
            http2_max_header_list_bytes: DEFAULT_HTTP2_MAX_HEADER_LIST_BYTES,
        }
    }
}

impl ConnectionLimits {
    /// Checks every limit is within its range; the error names the field (as `prefix` plus the
    /// config file's key, e.g. `connections.idle_timeout_ms`) and the range.
    ///
    /// # Errors
    /// The first limit out of range.
    pub fn check(&self, prefix: &str) -> Result<(), String> {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let range = |field: &str, value: u64, min: u64, max: u64, unit: &str| {
            if value < min || value > max {
                Err(format!(
                    "{prefix}{field}: must be between {min} and {max} {unit}, got {value}"
                ))
            } else {
                Ok(())
            }
        };
        range(
            "max_connections",
            self.max_connections as u64,
            1,
            1_000_000,
            "connections",
        )?;
        for (field, value) in [
            ("tls_handshake_timeout_ms", self.tls_handshake_timeout),
            ("header_read_timeout_ms", self.header_read_timeout),
            ("request_timeout_ms", self.request_timeout),
            ("idle_timeout_ms", self.idle_timeout),
        ] {
            range(field, ms(value), 10, 3_600_000, "milliseconds")?;
        }
        range(
            "http2_max_concurrent_streams",
            u64::from(self.http2_max_concurrent_streams),
            1,
            10_000,
            "streams",
        )?;
        range(
            "http2_max_header_list_bytes",
            u64::from(self.http2_max_header_list_bytes),
            1024,
            1 << 20,
            "bytes",
        )
    }
}

/// The soft limit on open files of this process (Linux: `/proc/self/limits`), if known.
pub(crate) fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection limit per listener that keeps `listeners` listeners with `wanted` each under
/// `open_files` descriptors, leaving a reserve for the database, logs and outbound JWKS
/// fetches: `wanted`, or less when the process may not open that many files.
pub(crate) fn effective_max_connections(
    wanted: usize,
    listeners: usize,
    open_files: Option<u64>,
) -> usize {
    const RESERVE: u64 = 64;
    match open_files {
        Some(limit) => {
            let per = limit.saturating_sub(RESERVE) / listeners.max(1) as u64;
            wanted
                .min(usize::try_from(per).unwrap_or(usize::MAX))
                .max(1)
        }
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        ConnectionLimits::default().check("").expect("valid");
    }

    #[test]
    fn an_error_names_the_field_with_its_prefix() {
        let limits = ConnectionLimits {
            idle_timeout: Duration::ZERO,
            ..ConnectionLimits::default()
        };
        let err = limits.check("connections.").expect_err("invalid");
        assert!(err.starts_with("connections.idle_timeout_ms: "), "{err}");
    }

    #[test]
    fn the_connection_limit_stays_under_the_open_files_limit() {
        assert_eq!(effective_max_connections(1024, 2, Some(20_000)), 1024);
        assert_eq!(effective_max_connections(1024, 2, Some(1024)), 480);
        assert_eq!(effective_max_connections(1024, 2, Some(10)), 1);
        assert_eq!(effective_max_connections(7, 2, None), 7);
    }
}
