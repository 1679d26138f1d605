//! Keeps `features/SOURCES.md` and the citations of it true.
//!
//! The catalogue's notes cite disagreements as `SOURCES.md §8.N`, the profiles cite sections as
//! `features/SOURCES.md#<anchor>` and open points as `features/SOURCES.md#<anchor>, unsettled N`.
//! The conventions these tests read, which `SOURCES.md` states at its top:
//!
//! * an anchor is an explicit `<a id="…"></a>` line; it names the heading on the next line;
//! * a section runs from its heading to the next heading of the same or a higher level;
//! * the items of a section's open points are the lines `N. …` that follow a heading whose text
//!   is `Unsettled` inside that section, up to the next heading.
//!
//! The last test keeps the repository self-contained: no Markdown, YAML or feature file cites the
//! research digests or the shared folder, which are not part of the repository.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files outside the repository that nothing inside it may cite.
const OUTSIDE: [&str; 4] = [
    "spec/cdr-dcr.md",
    "spec/uk-dcr.md",
    "spec/wso2-flavours.md",
    "../shared/",
];

/// Sections the profiles and the catalogue rely on.
const REQUIRED: [&str; 8] = [
    "sources",
    "disagreements",
    "hybrid-era",
    "wso2-accelerator",
    "wso2-cds-02",
    "wso2-ob-au-01",
    "wso2-ob20-au-01",
    "uk",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives one level below the workspace root")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One heading of `SOURCES.md`: its level, the anchor before it, and the lines it spans.
#[derive(Debug)]
struct Section {
    anchor: Option<String>,
    title: String,
    level: usize,
    /// Index of the heading line.
    start: usize,
    /// Index one past the section's last line.
    end: usize,
}

#[derive(Debug)]
struct Sources {
    lines: Vec<String>,
    sections: Vec<Section>,
    anchors: BTreeSet<String>,
}

impl Sources {
    fn load() -> Self {
        Self::parse(&read(&root().join("features/SOURCES.md")))
    }

    fn parse(text: &str) -> Self {
        let anchor_line = Regex::new(r#"^<a id="([^"]+)"></a>\s*$"#).expect("regex");
        let heading = Regex::new(r"^(#{1,6})\s+(.*?)\s*$").expect("regex");
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut sections: Vec<Section> = Vec::new();
        let mut anchors = BTreeSet::new();
        let mut pending: Option<String> = None;
        let mut in_code = false;
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if in_code {
                continue;
            }
            if let Some(c) = anchor_line.captures(line) {
                let id = c[1].to_owned();
                assert!(anchors.insert(id.clone()), "anchor #{id} appears twice");
                pending = Some(id);
                continue;
            }
            if let Some(c) = heading.captures(line) {
                sections.push(Section {
                    anchor: pending.take(),
                    title: c[2].to_owned(),
                    level: c[1].len(),
                    start: i,
                    end: lines.len(),
                });
                continue;
            }
            if !line.trim().is_empty()
                && let Some(id) = pending.take()
            {
                panic!("anchor #{id} is not followed by a heading (line {})", i + 1);
            }
        }
        for i in 0..sections.len() {
            let (level, start) = (sections[i].level, sections[i].start);
            if let Some(next) = sections[i + 1..].iter().find(|s| s.level <= level) {
                sections[i].end = next.start;
            }
            debug_assert!(sections[i].end > start);
        }
        Sources {
            lines,
            sections,
            anchors,
        }
    }

    fn section(&self, anchor: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.anchor.as_deref() == Some(anchor))
    }

    /// The item numbers of the `Unsettled` list inside the section with this anchor.
    fn unsettled(&self, anchor: &str) -> Option<BTreeSet<u32>> {
        let item = Regex::new(r"^(\d+)\. ").expect("regex");
        let outer = self.section(anchor)?;
        let list = self
            .sections
            .iter()
            .find(|s| s.title == "Unsettled" && s.start > outer.start && s.start < outer.end)?;
        let items = self.lines[list.start + 1..]
            .iter()
            .take_while(|l| !l.starts_with('#'))
            .filter_map(|l| item.captures(l))
            .map(|c| c[1].parse().expect("a number"))
            .collect();
        Some(items)
    }
}

/// Files below `dir` (relative to the root) with one of the extensions.
fn files_under(dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(path: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    walk(&path, extensions, out);
                }
            } else if extensions.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), extensions, &mut out);
    out.sort();
    out
}

/// Tracked files (relative paths), from git when the checkout has it; otherwise every file on
/// disk outside `target/` and hidden directories.
fn tracked_files() -> Vec<String> {
    let git = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output();
    match git {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => {
            let mut all = vec!["README.md".to_owned()];
            for dir in [
                "features",
                "vectors",
                "steps",
                "reports",
                "mock-holder",
                "scripts",
            ] {
                if root().join(dir).is_dir() {
                    all.extend(files_under(dir, &[""]).into_iter().map(|p| {
                        p.strip_prefix(root())
                            .expect("below the root")
                            .to_string_lossy()
                            .into_owned()
                    }));
                }
            }
            all
        }
    }
}

/// Where citations of `SOURCES.md` are looked for: the top-level README and the Markdown, YAML,
/// feature, Rust and snapshot files of the suite (not `mock-holder/`, which has its own docs).
fn citing_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    for dir in ["features", "vectors", "steps", "reports"] {
        if root().join(dir).is_dir() {
            files.extend(files_under(
                dir,
                &[".md", ".yaml", ".yml", ".feature", ".rs", ".snap"],
            ));
        }
    }
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

#[test]
fn sources_md_has_every_required_section() {
    let sources = Sources::load();
    for anchor in REQUIRED {
        assert!(
            sources.section(anchor).is_some(),
            "features/SOURCES.md has no section #{anchor}"
        );
    }
    // The disagreements are numbered 8.1, 8.2, ... without gaps, each inside #disagreements.
    let outer = sources.section("disagreements").expect("checked above");
    let numbered = Regex::new(r"^8-(\d+)$").expect("regex");
    let mut seen: Vec<u32> = sources
        .sections
        .iter()
        .filter_map(|s| {
            let n: u32 = numbered.captures(s.anchor.as_deref()?)?[1].parse().ok()?;
            assert!(
                s.start > outer.start && s.start < outer.end,
                "#8-{n} lies outside #disagreements"
            );
            assert!(
                s.title.starts_with(&format!("8.{n} ")),
                "#8-{n} heads '{}', which should start '8.{n} '",
                s.title
            );
            Some(n)
        })
        .collect();
    seen.sort_unstable();
    let expected: Vec<u32> = (1..=seen.len() as u32).collect();
    assert!(!seen.is_empty(), "#disagreements has no numbered items");
    assert_eq!(
        seen, expected,
        "disagreement anchors must run 8-1, 8-2, ..."
    );
}

/// The disagreement numbers cited in `text` as "SOURCES.md §8.N" (also "SOURCES.md §8.4 and
/// §8.24", "SOURCES.md §8.4, §8.9"), with the line of each citation.
fn disagreement_citations(text: &str) -> Vec<(usize, u32)> {
    let citation =
        Regex::new(r"SOURCES\.md §8\.\d+(?:(?:,\s*|\s+and\s+|\s+or\s+)§8\.\d+)*").expect("regex");
    let item = Regex::new(r"§8\.(\d+)").expect("regex");
    citation
        .find_iter(text)
        .flat_map(|m| {
            let line = line_of(text, m.start());
            item.captures_iter(m.as_str())
                .map(move |c| (line, c[1].parse().expect("a number")))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn catalogue_cites_only_disagreements_that_exist() {
    let sources = Sources::load();
    let path = root().join("features/catalogue.yaml");
    let text = read(&path);
    serde_yaml::from_str::<serde_yaml::Value>(&text).expect("catalogue.yaml is valid YAML");
    assert!(
        !disagreement_citations(&text).is_empty(),
        "catalogue.yaml cites no SOURCES.md §8.N at all"
    );

    let mut missing = Vec::new();
    for path in citing_files() {
        let text = read(&path);
        for (line, n) in disagreement_citations(&text) {
            if !sources.anchors.contains(&format!("8-{n}")) {
                missing.push(format!(
                    "{}:{line}: §8.{n} has no #8-{n} in features/SOURCES.md",
                    relative(&path)
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));

    // The older notation pointed at a digest outside the repository.
    let old = Regex::new(r"(?i)\bdigest §").expect("regex");
    let stale: Vec<String> = old
        .find_iter(&text)
        .map(|m| format!("catalogue.yaml:{}", line_of(&text, m.start())))
        .collect();
    assert!(
        stale.is_empty(),
        "notes still cite the digest instead of SOURCES.md: {stale:?}"
    );
}

#[test]
fn every_cited_anchor_exists() {
    let sources = Sources::load();
    let citation = Regex::new(r"SOURCES\.md#([A-Za-z0-9_-]+)").expect("regex");
    let mut missing = Vec::new();
    for path in citing_files() {
        let text = read(&path);
        for c in citation.captures_iter(&text) {
            if !sources.anchors.contains(&c[1]) {
                missing.push(format!(
                    "{}:{}: #{} is not an anchor of features/SOURCES.md",
                    relative(&path),
                    line_of(&text, c.get(0).expect("match").start()),
                    &c[1]
                ));
            }
        }
    }
    // Links inside SOURCES.md itself.
    let own = Regex::new(r"\]\(#([A-Za-z0-9_-]+)\)").expect("regex");
    let text = sources.lines.join("\n");
    for c in own.captures_iter(&text) {
        if !sources.anchors.contains(&c[1]) {
            missing.push(format!(
                "features/SOURCES.md:{}: link to #{} which does not exist",
                line_of(&text, c.get(0).expect("match").start()),
                &c[1]
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_cited_unsettled_item_exists() {
    let sources = Sources::load();
    let paired = Regex::new(r"SOURCES\.md#([A-Za-z0-9_-]+),\s*unsettled\s+(\d+)\b").expect("regex");
    let any = Regex::new(r"\bunsettled\s+\d+\b").expect("regex");
    let mut problems = Vec::new();
    let mut cache: BTreeMap<String, Option<BTreeSet<u32>>> = BTreeMap::new();
    let mut cited = 0;
    for path in files_under("features", &[".yaml", ".yml", ".feature", ".md"]) {
        if path.ends_with("features/SOURCES.md") {
            continue;
        }
        let text = read(&path);
        let mut starts = BTreeSet::new();
        for c in paired.captures_iter(&text) {
            cited += 1;
            let whole = c.get(0).expect("match");
            starts.insert(c.get(2).expect("number").start());
            let (anchor, n): (&str, u32) = (&c[1], c[2].parse().expect("a number"));
            let items = cache
                .entry(anchor.to_owned())
                .or_insert_with(|| sources.unsettled(anchor));
            let at = format!("{}:{}", relative(&path), line_of(&text, whole.start()));
            match items {
                None => problems.push(format!(
                    "{at}: #{anchor} has no 'Unsettled' list in features/SOURCES.md"
                )),
                Some(items) if !items.contains(&n) => problems.push(format!(
                    "{at}: the 'Unsettled' list of #{anchor} has no item {n}"
                )),
                Some(_) => {}
            }
        }
        // An "unsettled N" must say whose list it means.
        for m in any.find_iter(&text) {
            let number_at = m.as_str().rfind(char::is_whitespace).expect("a space") + 1;
            if !starts.contains(&(m.start() + number_at)) {
                problems.push(format!(
                    "{}:{}: '{}' does not follow a citation of a SOURCES.md anchor",
                    relative(&path),
                    line_of(&text, m.start()),
                    m.as_str()
                ));
            }
        }
    }
    assert!(cited > 0, "no profile cites an unsettled item");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn nothing_cites_files_outside_the_repository() {
    let scanned = ["features/", "vectors/", "steps/", "reports/"];
    let mut problems = Vec::new();
    for file in tracked_files() {
        let in_scope = file == "README.md" || scanned.iter().any(|d| file.starts_with(d));
        let kind = [".md", ".yaml", ".yml", ".feature"]
            .iter()
            .any(|e| file.ends_with(e));
        if !in_scope || !kind {
            continue;
        }
        let path = root().join(&file);
        let Ok(text) = fs::read_to_string(&path) else {
            continue; // listed by git but removed from the work tree
        };
        for needle in OUTSIDE {
            for (offset, _) in text.match_indices(needle) {
                problems.push(format!(
                    "{file}:{}: cites {needle}, which is not in the repository (cite features/SOURCES.md)",
                    line_of(&text, offset)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_parser_follows_the_documented_conventions() {
    let text = "\
<a id=\"a\"></a>
## A

<a id=\"a-1\"></a>
### A one

### Unsettled

1. first
2. second
   continued, not an item
3. third

<a id=\"b\"></a>
## B

### Unsettled

7. only
";
    let s = Sources::parse(text);
    assert_eq!(s.unsettled("a"), Some([1, 2, 3].into_iter().collect()));
    assert_eq!(s.unsettled("b"), Some([7].into_iter().collect()));
    assert_eq!(
        s.unsettled("a-1"),
        None,
        "the list belongs to #a, not to #a-1"
    );
    assert_eq!(
        s.section("a").map(|x| x.end),
        s.section("b").map(|x| x.start)
    );
}
