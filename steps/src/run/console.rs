//! The console transcript as cucumber's writer prints it, tidied line by line: the
//! `Step panicked. Captured output: ` prefix on every failed step's message is dropped (a
//! failed step is not a panic), and `Defined:` paths, which cucumber shortens by stripping a
//! prefix it guesses (it can drop the leading `/` of a path outside the crate), are printed
//! whole: relative to the current folder when under it, else absolute; a file of the built-in
//! features is named `<built-in>/registration/create.feature`, not by the cache folder it is read
//! from (see [`Shown`]).

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::catalogue::source::BUILT_IN;
use crate::run::results::PANIC_PREFIX;

static DEFINED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(Defined: )([^\s\x1b]+?)(:\d+:\d+)").expect("regex"));

/// `path` with `.` and `..` components resolved lexically (the path need not exist), made
/// absolute against the current folder.
pub fn clean(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` as the console shows it: relative to `cwd` when under it, else absolute.
pub fn shown(path: &Path, cwd: &Path) -> String {
    let path = clean(path);
    match path.strip_prefix(clean(cwd)) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// The file cucumber meant by a `Defined:` path it printed: the features are read from
/// `features` (an absolute, clean folder); cucumber strips a prefix (its guess at the project
/// folder) and then any leading `/`.
fn resolve(printed: &str, features: &Path) -> PathBuf {
    let rooted = Path::new("/").join(printed);
    if rooted.starts_with(features) || rooted.exists() {
        return rooted;
    }
    // The prefixes cucumber strips: the variables cargo sets for a process it starts, else the
    // current folder.
    let guesses = [
        std::env::var("CARGO_WORKSPACE_DIR").ok(),
        std::env::var("CARGO_MANIFEST_DIR").ok(),
        std::env::current_dir()
            .ok()
            .map(|d| d.display().to_string()),
    ];
    guesses
        .into_iter()
        .flatten()
        .map(|base| clean(&Path::new(&base).join(printed)))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(printed))
}

/// How the console names the feature files of a run: those of the built-in features as
/// `<built-in>/<path in the features>` (the folder they are read from is the cache's, not the
/// user's), any other as it is.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The features folder, clean, and canonical (cucumber reads it canonicalised).
    features: Vec<PathBuf>,
    built_in: bool,
}

impl Shown {
    /// For a run reading its features from `features`; `built_in`: they are the built-in ones.
    pub fn new(features: &Path, built_in: bool) -> Self {
        let clean = clean(features);
        let mut dirs = vec![clean.clone()];
        if let Ok(canonical) = clean.canonicalize()
            && canonical != clean
        {
            dirs.push(canonical);
        }
        Self {
            features: dirs,
            built_in,
        }
    }

    /// `<built-in>/<path>` for a file of the built-in features, else `None`.
    pub fn built_in(&self, file: &Path) -> Option<String> {
        if !self.built_in {
            return None;
        }
        self.features.iter().find_map(|dir| {
            file.strip_prefix(dir)
                .ok()
                .map(|rel| format!("{BUILT_IN}/{}", rel.display()))
        })
    }

    /// A scenario's location (`<feature file>:<line>`) as the console shows it.
    pub fn location(&self, location: &str) -> String {
        let (file, line) = location
            .rsplit_once(':')
            .filter(|(_, l)| l.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or((location, ""));
        match self.built_in(Path::new(file)) {
            Some(shown) if line.is_empty() => shown,
            Some(shown) => format!("{shown}:{line}"),
            None => location.to_string(),
        }
    }
}

/// One console line, tidied.
pub fn tidy_line(line: &str, features: &Shown, cwd: &Path) -> String {
    let line = line.replacen(PANIC_PREFIX, "", 1);
    DEFINED
        .replace(&line, |c: &regex::Captures<'_>| {
            let file = features
                .features
                .iter()
                .map(|dir| resolve(&c[2], dir))
                .find(|f| f.exists())
                .unwrap_or_else(|| resolve(&c[2], &features.features[0]));
            let path = features
                .built_in(&file)
                .unwrap_or_else(|| shown(&file, cwd));
            format!("{}{}{}", &c[1], path, &c[3])
        })
        .into_owned()
}

/// An `io::Write` that tidies whole lines (see the module) before passing them on.
#[derive(Debug)]
pub struct Tidy<W: Write> {
    inner: W,
    pending: Vec<u8>,
    features: Shown,
    cwd: PathBuf,
}

impl<W: Write> Tidy<W> {
    /// Wraps `inner`, for a run reading its features from `features` (`built_in`: the
    /// built-in ones).
    pub fn new(inner: W, features: &Path, built_in: bool) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            features: Shown::new(features, built_in),
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }

    fn emit(&mut self, upto: usize) -> std::io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let text = String::from_utf8_lossy(&chunk);
        let tidy: Vec<String> = text
            .split_inclusive('\n')
            .map(|l| tidy_line(l, &self.features, &self.cwd))
            .collect();
        self.inner.write_all(tidy.concat().as_bytes())
    }
}

impl<W: Write> Write for Tidy<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last) = self.pending.iter().rposition(|b| *b == b'\n') {
            self.emit(last + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            self.emit(self.pending.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Tidy<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_resolves_parent_components() {
        assert_eq!(
            clean(Path::new("/opt/dcr/steps/../features")),
            PathBuf::from("/opt/dcr/features")
        );
    }

    #[test]
    fn a_failed_step_is_not_called_a_panic() {
        let line = "      Step panicked. Captured output: expected HTTP 400, got 201\n";
        let tidy = tidy_line(
            line,
            &Shown::new(Path::new("/nowhere"), false),
            Path::new("/"),
        );
        assert_eq!(tidy, "      expected HTTP 400, got 201\n");
    }

    #[test]
    fn a_defined_path_that_lost_its_root_is_made_whole() {
        let features = clean(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../features"));
        let file = features.join("lifecycle/delete.feature");
        let printed = file.display().to_string();
        let printed = printed.trim_start_matches('/');
        let line = format!("   Defined: {printed}:36:7\n");
        // Outside the features' tree: absolute.
        let given = Shown::new(&features, false);
        let tidy = tidy_line(&line, &given, Path::new("/elsewhere"));
        assert_eq!(tidy, format!("   Defined: {}:36:7\n", file.display()));
        // Under the current folder: relative to it.
        let cwd = features.parent().expect("parent");
        let tidy = tidy_line(&line, &given, cwd);
        assert_eq!(tidy, "   Defined: features/lifecycle/delete.feature:36:7\n");
        // The built-in features: named as such, wherever they were written.
        let built_in = Shown::new(&features, true);
        let tidy = tidy_line(&line, &built_in, cwd);
        assert_eq!(
            tidy,
            "   Defined: <built-in>/lifecycle/delete.feature:36:7\n"
        );
    }

    #[test]
    fn a_location_of_the_built_in_features_is_named_as_such() {
        let built_in = Shown::new(Path::new("/cache/features-0123"), true);
        assert_eq!(
            built_in.location("/cache/features-0123/registration/create.feature:12"),
            "<built-in>/registration/create.feature:12"
        );
        assert_eq!(
            built_in.location("/elsewhere/x.feature:3"),
            "/elsewhere/x.feature:3"
        );
        let given = Shown::new(Path::new("/cache/features-0123"), false);
        assert_eq!(
            given.location("/cache/features-0123/registration/create.feature:12"),
            "/cache/features-0123/registration/create.feature:12"
        );
    }

    #[test]
    fn lines_are_tidied_across_writes() {
        let mut out = Vec::new();
        {
            let mut tidy = Tidy::new(&mut out, Path::new("/f"), false);
            tidy.write_all(b"a Step panicked. Captured out")
                .expect("write");
            tidy.write_all(b"put: boom\nnext\n").expect("write");
        }
        assert_eq!(String::from_utf8_lossy(&out), "a boom\nnext\n");
    }
}
