//! Where the features come from: the tree built into this binary (the repository's
//! `features/` folder at build time: feature files, `catalogue.yaml`, `profiles/`), or a folder
//! given with `--features DIR`. Every command that reads features or the catalogue asks a
//! [`FeaturesSource`] for its folder.
//!
//! cucumber reads feature files from a folder, so the built-in tree is written once into a
//! folder named after its content (`features-<hash>`) under the user's cache folder, written
//! whole into a scratch folder first and then renamed into place (two runs at once never read a
//! half-written tree), and reused while every file in it matches the built-in bytes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};

/// The repository's `features/` folder, as it was when this binary was built.
static FEATURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../features");

/// The endings of the files of the built-in features tree (anything else in the folder at
/// build time, an editor's backup say, is left out).
const FEATURE_FILES: &[&str] = &["feature", "yaml", "md"];

/// The environment variable naming the folder the built-in trees are written into (default:
/// `dcr-conformance` in the user's cache folder, else in the system's temporary folder).
pub const CACHE_ENV: &str = "DCR_CONFORMANCE_CACHE";

/// How the console names the built-in features folder: `<built-in>/registration/create.feature`.
pub const BUILT_IN: &str = "<built-in>";

/// Where a command reads its features and catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FeaturesSource {
    /// The features built into this binary (the default).
    #[default]
    Embedded,
    /// A folder holding `catalogue.yaml`, `profiles/` and the feature files (`--features DIR`).
    Dir(PathBuf),
}

impl From<Option<PathBuf>> for FeaturesSource {
    /// `--features DIR` when given, else the built-in features.
    fn from(dir: Option<PathBuf>) -> Self {
        dir.map_or(Self::Embedded, Self::Dir)
    }
}

/// The folder the built-in features were written into by this process, once written.
static EMBEDDED_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

impl FeaturesSource {
    /// The folder to read: the given one, or the built-in features written into the cache
    /// (once per process; see the module).
    ///
    /// # Errors
    /// When the built-in features cannot be written (the message names the folder and the way
    /// around it).
    pub fn dir(&self) -> anyhow::Result<PathBuf> {
        match self {
            Self::Dir(dir) => Ok(dir.clone()),
            Self::Embedded => {
                let mut done = EMBEDDED_DIR.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(dir) = done.as_ref() {
                    return Ok(dir.clone());
                }
                let dir = materialise(&FEATURES, FEATURE_FILES, "features", None, &cache_root())
                    .context(
                        "cannot write the built-in features (write them with `dcr-conformance features export DIR` and give --features DIR)",
                    )?;
                *done = Some(dir.clone());
                Ok(dir)
            }
        }
    }

    /// Whether these are the built-in features.
    pub fn is_embedded(&self) -> bool {
        *self == Self::Embedded
    }

    /// The arguments that give a child process of this binary the same features: none for
    /// the built-in ones (the child writes or reuses them itself), else `--features DIR`.
    pub fn args(&self) -> Vec<OsString> {
        match self {
            Self::Embedded => Vec::new(),
            Self::Dir(dir) => vec!["--features".into(), dir.clone().into_os_string()],
        }
    }
}

/// The folder the built-in trees are written into: `$DCR_CONFORMANCE_CACHE`, else
/// `dcr-conformance` in the user's cache folder, else in the system's temporary folder.
pub fn cache_root() -> PathBuf {
    std::env::var_os(CACHE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("dcr-conformance")))
        .unwrap_or_else(|| std::env::temp_dir().join("dcr-conformance"))
}

/// The files of `tree` whose names end in one of `endings` (hidden files left out), with
/// their paths relative to the tree, in path order.
pub fn files(tree: &'static Dir<'static>, endings: &[&str]) -> Vec<(PathBuf, &'static [u8])> {
    fn walk(dir: &'static Dir<'static>, endings: &[&str], out: &mut Vec<(PathBuf, &'static [u8])>) {
        for file in dir.files() {
            let path = file.path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            let wanted = path
                .extension()
                .is_some_and(|e| endings.iter().any(|x| e == *x));
            if wanted && !hidden {
                out.push((path.to_path_buf(), file.contents()));
            }
        }
        for sub in dir.dirs() {
            walk(sub, endings, out);
        }
    }
    let mut out = Vec::new();
    walk(tree, endings, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The files of the built-in features tree (see [`files`]).
pub fn feature_files() -> Vec<(PathBuf, &'static [u8])> {
    files(&FEATURES, FEATURE_FILES)
}

/// The first 16 hex digits of the SHA-256 of `files` (paths and contents).
fn content_hash(files: &[(PathBuf, &[u8])]) -> String {
    let mut hash = Sha256::new();
    for (path, contents) in files {
        hash.update(path.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update((contents.len() as u64).to_le_bytes());
        hash.update(contents);
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `dir`, relative to it, in path order.
fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether `dir` holds exactly `files`: the same paths, the same bytes, nothing else.
fn holds_exactly(dir: &Path, files: &[(PathBuf, &[u8])]) -> bool {
    let Ok(found) = files_under(dir) else {
        return false;
    };
    found.len() == files.len()
        && files.iter().zip(&found).all(|((path, contents), rel)| {
            path == rel && std::fs::read(dir.join(path)).is_ok_and(|b| b.as_slice() == *contents)
        })
}

/// Writes `files` under `dir` (created with its parents), each file whole.
fn write_files(dir: &Path, files: &[(PathBuf, &[u8])]) -> anyhow::Result<()> {
    for (path, contents) in files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&file, contents)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(())
}

/// `tree`'s files ending in `endings`, in the folder `<root>/<name>-<hash of the files>` (under
/// its sub-folder `under` when given): the
/// folder as it is when it holds exactly these files, else written whole into a scratch folder
/// beside it and renamed into place (a folder of that name that differs is moved aside first).
///
/// # Errors
/// When `root` or the folder cannot be written.
pub fn materialise(
    tree: &'static Dir<'static>,
    endings: &[&str],
    name: &str,
    under: Option<&str>,
    root: &Path,
) -> anyhow::Result<PathBuf> {
    let files: Vec<(PathBuf, &[u8])> = files(tree, endings)
        .into_iter()
        .map(|(p, c)| {
            (
                under.map_or_else(|| p.clone(), |u| Path::new(u).join(&p)),
                c,
            )
        })
        .collect();
    let target = root.join(format!("{name}-{}", content_hash(&files)));
    if holds_exactly(&target, &files) {
        return Ok(target);
    }
    std::fs::create_dir_all(root).with_context(|| {
        format!(
            "cannot create the cache folder {} (set {CACHE_ENV} to a writable folder)",
            root.display()
        )
    })?;
    let scratch = root.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let written = write_files(&scratch, &files);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(e);
    }
    let mut last_error = None;
    for _ in 0..3 {
        match std::fs::rename(&scratch, &target) {
            Ok(()) => return Ok(target),
            // Another run put the same tree in place first.
            Err(_) if holds_exactly(&target, &files) => {
                let _ = std::fs::remove_dir_all(&scratch);
                return Ok(target);
            }
            Err(e) => {
                last_error = Some(e);
                // A folder of that name that differs (edited, or left half-deleted): out of
                // the way, then try again.
                let aside = root.join(format!(".{name}.{}.stale", uuid::Uuid::new_v4()));
                if std::fs::rename(&target, &aside).is_ok() {
                    let _ = std::fs::remove_dir_all(&aside);
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    bail!(
        "cannot put the folder {} in place: {}",
        target.display(),
        last_error.map_or_else(|| "unknown error".to_string(), |e| e.to_string())
    )
}

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The files written, relative to the folder.
    pub written: Vec<PathBuf>,
    /// Files that were in the folder before and are not part of the built-in features (kept).
    pub kept: Vec<PathBuf>,
}

/// `features export DIR`: writes the built-in features into `dir` (created when missing). A
/// folder that holds anything is refused unless `force`, which overwrites the files it shares
/// with the built-in features and keeps the others.
///
/// # Errors
/// When `dir` is not empty (without `force`), is a file, or cannot be written.
pub fn export(dir: &Path, force: bool) -> anyhow::Result<Exported> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "features export {}: this is a file; give a folder",
            dir.display()
        );
    }
    let before = if dir.is_dir() {
        files_under(dir).with_context(|| format!("cannot read {}", dir.display()))?
    } else {
        Vec::new()
    };
    if !before.is_empty() && !force {
        bail!(
            "features export {}: the folder is not empty ({} file(s)); give a new or empty folder, or --force to overwrite the built-in features' files in it",
            dir.display(),
            before.len()
        );
    }
    let files = feature_files();
    write_files(dir, &files)?;
    let written: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let kept = before
        .into_iter()
        .filter(|p| !written.contains(p))
        .collect();
    Ok(Exported { written, kept })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("dcr-source-{name}-{}", uuid::Uuid::new_v4()))
    }

    #[test]
    fn the_built_in_tree_is_the_repository_features_folder() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
        let files = feature_files();
        assert!(files.iter().any(|(p, _)| p == Path::new("catalogue.yaml")));
        assert!(
            files
                .iter()
                .filter(|(p, _)| p.extension().is_some_and(|e| e == "feature"))
                .count()
                > 10
        );
        assert!(files.iter().any(|(p, _)| p.starts_with("profiles")));
        for (path, contents) in &files {
            let on_disk = std::fs::read(repo.join(path)).expect("the file is in features/");
            assert_eq!(on_disk.as_slice(), *contents, "{}", path.display());
        }
        // Every feature file of the folder is built in.
        let on_disk = files_under(&repo).expect("features/");
        for rel in on_disk
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        {
            assert!(
                files.iter().any(|(p, _)| p == rel),
                "{} is not built in",
                rel.display()
            );
        }
    }

    #[test]
    fn the_tree_is_written_once_and_reused_and_an_edited_copy_is_replaced() {
        let root = scratch("cache");
        let first =
            materialise(&FEATURES, FEATURE_FILES, "features", None, &root).expect("written");
        let files = feature_files();
        assert!(holds_exactly(&first, &files));
        assert!(
            first
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("features-"))
        );
        let again = materialise(&FEATURES, FEATURE_FILES, "features", None, &root).expect("reused");
        assert_eq!(first, again);
        // Edited, or with a file added: put back as built.
        std::fs::write(first.join("catalogue.yaml"), "edited").expect("edit");
        std::fs::write(first.join("registration/extra.feature"), "Feature: x").expect("add");
        assert!(!holds_exactly(&first, &files));
        let fixed =
            materialise(&FEATURES, FEATURE_FILES, "features", None, &root).expect("rewritten");
        assert_eq!(fixed, first);
        assert!(holds_exactly(&fixed, &files));
        // No scratch folder is left behind.
        let left: Vec<_> = std::fs::read_dir(&root)
            .expect("root")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn runs_at_once_all_see_the_whole_tree() {
        let root = scratch("race");
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let root = root.clone();
                std::thread::spawn(move || {
                    materialise(&FEATURES, FEATURE_FILES, "features", None, &root).expect("written")
                })
            })
            .collect();
        let files = feature_files();
        let dirs: Vec<PathBuf> = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        for dir in &dirs {
            assert_eq!(dir, &dirs[0]);
            assert!(holds_exactly(dir, &files));
        }
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn export_refuses_a_folder_that_holds_something_unless_forced() {
        let dir = scratch("export");
        let done = export(&dir, false).expect("new folder");
        assert_eq!(done.written.len(), feature_files().len());
        assert!(done.kept.is_empty());
        assert!(holds_exactly(&dir, &feature_files()));
        let err = export(&dir, false).expect_err("not empty");
        let text = format!("{err:#}");
        assert!(
            text.contains("not empty") && text.contains("--force"),
            "{text}"
        );
        std::fs::write(dir.join("catalogue.yaml"), "edited").expect("edit");
        std::fs::write(dir.join("mine.txt"), "kept").expect("add");
        let forced = export(&dir, true).expect("forced");
        assert_eq!(forced.kept, [PathBuf::from("mine.txt")]);
        assert_eq!(
            std::fs::read(dir.join("catalogue.yaml")).expect("read"),
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/catalogue.yaml"))
                .expect("read")
        );
        std::fs::remove_dir_all(&dir).ok();
        let file = scratch("file");
        std::fs::write(&file, "x").expect("file");
        assert!(format!("{:#}", export(&file, true).expect_err("a file")).contains("a file"));
        std::fs::remove_file(&file).ok();
    }

    #[test]
    fn a_child_is_given_the_folder_only_when_one_was_given() {
        assert!(FeaturesSource::Embedded.args().is_empty());
        assert_eq!(
            FeaturesSource::from(Some(PathBuf::from("/f"))).args(),
            [OsString::from("--features"), OsString::from("/f")]
        );
        assert_eq!(FeaturesSource::from(None), FeaturesSource::Embedded);
    }
}
