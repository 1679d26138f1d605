//! The embedded mock holder's stored snapshots (the repository's `snapshots/mock-holder/` at
//! build time), built into the binary with the holder they belong to: the self-check's runs
//! compare the holder's payloads with them wherever the binary runs. They are written into the
//! cache like the built-in features (see [`crate::catalogue::source`]).

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context as _;
use include_dir::{Dir, include_dir};

use crate::catalogue::source;

static MOCK_HOLDER: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../snapshots/mock-holder");

/// The target name of the embedded holder (its snapshots are in `<root>/mock-holder/`).
const TARGET: &str = "mock-holder";

static ROOT: Mutex<Option<PathBuf>> = Mutex::new(None);

/// A snapshot root (`<root>/mock-holder/<profile>/`) holding the built-in snapshots of the
/// embedded holder; written once per process.
///
/// # Errors
/// When the cache cannot be written.
pub(crate) fn root() -> anyhow::Result<PathBuf> {
    let mut done = ROOT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(root) = done.as_ref() {
        return Ok(root.clone());
    }
    let root = source::materialise(
        &MOCK_HOLDER,
        &["snap"],
        "snapshots",
        Some(TARGET),
        &source::cache_root(),
    )
    .context("cannot write the embedded holder's snapshots")?;
    *done = Some(root.clone());
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_snapshots_are_the_repository_ones() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots");
        let files = source::files(&MOCK_HOLDER, &["snap"]);
        assert!(files.len() >= 4, "{} snapshots", files.len());
        for (path, contents) in files {
            let on_disk = std::fs::read(repo.join(TARGET).join(&path)).expect("stored");
            assert_eq!(on_disk.as_slice(), contents, "{}", path.display());
        }
    }
}
