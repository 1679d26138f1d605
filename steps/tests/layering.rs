//! The crate's stages import one way only (see the layout in `src/lib.rs`): every
//! `crate::…` path in `src/` is checked against the stage matrix below, `report/` never
//! touches the cucumber runtime, and the module graph has no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each stage may import besides itself. A `stage::module` entry allows only that module
/// of the stage.
const ALLOWED: &[(&str, &[&str])] = &[
    ("redact", &[]),
    ("catalogue", &[]),
    ("http", &["redact"]),
    ("environment", &["http", "redact", "catalogue"]),
    ("scenario", &["environment", "http", "redact", "catalogue"]),
    (
        "run",
        &["scenario", "environment", "http", "redact", "catalogue"],
    ),
    (
        "report",
        &[
            "run::results",
            "run::verdict",
            "run::plan",
            "http",
            "redact",
            "catalogue",
        ],
    ),
    (
        "selfcheck",
        &[
            "report",
            "run",
            "environment",
            "http",
            "redact",
            "catalogue",
        ],
    ),
    ("inspect", &["catalogue", "redact"]),
    (
        "cli",
        &[
            "selfcheck",
            "inspect",
            "report",
            "run",
            "scenario",
            "environment",
            "http",
            "redact",
            "catalogue",
        ],
    ),
];

/// Stages whose files must not use the cucumber runtime.
const NO_CUCUMBER: &[&str] = &["report", "catalogue", "redact", "http", "inspect"];

/// One source file: its module path and the module paths it refers to.
#[derive(Debug)]
struct Source {
    module: Vec<String>,
    file: PathBuf,
    text: String,
}

fn sources(root: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src");
                let mut module: Vec<String> = rel
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                let text = strip_comments(&std::fs::read_to_string(&path).expect("readable"));
                out.push(Source {
                    module,
                    file: rel.to_path_buf(),
                    text,
                });
            }
        }
    }
    out.sort_by(|a, b| a.module.cmp(&b.module));
    out
}

/// The text without `//` comments (doc links are not imports), string literals and char
/// literals (so that braces inside them do not count).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut kept = String::new();
        let mut in_string = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if in_string {
                if c == '\\' {
                    i += 1;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            } else if c == '"' {
                in_string = true;
            } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
                i += 2; // 'x'
            } else if c == '\'' && chars.get(i + 1) == Some(&'\\') {
                // '\n', '\'' or '\u{..}': skip to the closing quote.
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
            } else {
                kept.push(c);
            }
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// Every path a text names through `crate::` (groups `crate::{a, b::{c, d}}` expanded) and
/// through `super::` (resolved against `module`, a `mod.rs` file's module being its folder,
/// and the inline `mod name { .. }` blocks around it).
fn referenced(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let ident_at = |i: usize| i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let starts =
        |i: usize, word: &str| chars[i..].iter().take(word.len()).copied().eq(word.chars());
    // Inline modules open at this brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            depth += 1;
            if let Some(name) = pending_mod.take() {
                inline.push((name, depth));
            }
        } else if c == '}' {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
        } else if c == ';' {
            pending_mod = None;
        }
        if ident_at(i) && starts(i, "mod ") {
            let mut j = i + 4;
            let start = j;
            while chars
                .get(j)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                j += 1;
            }
            pending_mod = Some(chars[start..j].iter().collect());
            i = j;
            continue;
        }
        if ident_at(i) && starts(i, "crate::") {
            i += 7;
            paths.extend(parse_tree(&chars, &mut i));
            continue;
        }
        if ident_at(i) && starts(i, "super::") {
            let mut base: Vec<String> = module.to_vec();
            base.extend(inline.iter().map(|(n, _)| n.clone()));
            while starts(i, "super::") {
                base.pop();
                i += 7;
            }
            for mut p in parse_tree(&chars, &mut i) {
                let mut full = base.clone();
                full.append(&mut p);
                paths.push(full);
            }
            continue;
        }
        i += 1;
    }
    paths
}

/// Parses `a::b::{c, d::e}` from `i`, returning the expanded paths.
fn parse_tree(chars: &[char], i: &mut usize) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    loop {
        skip_ws(chars, i);
        if chars.get(*i) == Some(&'{') {
            *i += 1;
            let mut out = Vec::new();
            loop {
                skip_ws(chars, i);
                match chars.get(*i) {
                    Some('}') => {
                        *i += 1;
                        break;
                    }
                    Some(',') => *i += 1,
                    None => break,
                    _ => {
                        for mut p in parse_tree(chars, i) {
                            let mut full = prefix.clone();
                            full.append(&mut p);
                            out.push(full);
                        }
                    }
                }
            }
            return out;
        }
        let start = *i;
        while chars
            .get(*i)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            *i += 1;
        }
        if *i == start {
            return vec![prefix];
        }
        let ident: String = chars[start..*i].iter().collect();
        if ident != "self" {
            prefix.push(ident);
        }
        if chars.get(*i) == Some(&':') && chars.get(*i + 1) == Some(&':') {
            *i += 2;
        } else {
            return vec![prefix];
        }
    }
}

fn skip_ws(chars: &[char], i: &mut usize) {
    while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
        *i += 1;
    }
}

/// `crate::…` edges that break the stage matrix, as `file: path`.
fn matrix_violations(sources: &[Source]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut out = Vec::new();
    for s in sources {
        let Some(stage) = s.module.first() else {
            continue; // lib.rs and main.rs
        };
        let Some(may) = allowed.get(stage.as_str()) else {
            out.push(format!(
                "{}: stage {stage} is not in the matrix of tests/layering.rs",
                s.file.display()
            ));
            continue;
        };
        for path in referenced(&s.text, &s.module) {
            let Some(target) = path.first() else { continue };
            if target == stage {
                continue;
            }
            let ok = may.iter().any(|m| match m.split_once("::") {
                Some((st, module)) => target == st && path.get(1).is_some_and(|p| p == module),
                None => target == m,
            });
            if !ok {
                out.push(format!(
                    "{}: crate::{} (stage {stage} may import {})",
                    s.file.display(),
                    path.join("::"),
                    if may.is_empty() {
                        "nothing".to_string()
                    } else {
                        may.join(", ")
                    }
                ));
            }
        }
        if NO_CUCUMBER.contains(&stage.as_str())
            && (s.text.contains("cucumber::") || s.text.contains("use cucumber"))
        {
            out.push(format!(
                "{}: stage {stage} uses the cucumber runtime",
                s.file.display()
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The module graph: an edge from a file's module to every other file module it names.
fn module_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let from = s.module.join("::");
        let entry = graph.entry(from.clone()).or_default();
        for path in referenced(&s.text, &s.module) {
            // The longest file module the path starts with.
            let to = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p));
            if let Some(to) = to {
                let to = to.join("::");
                if to != from && !to.is_empty() {
                    entry.insert(to);
                }
            }
        }
    }
    graph
}

/// A circle in `graph`, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `crate::…` edge of `src/` follows the stage matrix, and `report/` does not touch the
/// cucumber runtime.
#[test]
fn stages_import_only_from_the_stages_beneath_them() {
    let violations = matrix_violations(&sources(&src()));
    assert!(
        violations.is_empty(),
        "forbidden imports (see the layout in src/lib.rs):\n  {}",
        violations.join("\n  ")
    );
}

/// No two modules of `src/` import each other, directly or through others.
#[test]
fn the_module_graph_has_no_circle() {
    let graph = module_graph(&sources(&src()));
    assert!(
        graph.len() > 40,
        "the graph was read: {} modules",
        graph.len()
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import circle: {}", cycle.join(" → "));
    }
}

/// The checks can fail: a forbidden edge, a group import and a circle are each found.
#[test]
fn the_checks_find_what_they_look_for() {
    let source = |module: &str, file: &str, text: &str| Source {
        module: module.split("::").map(str::to_string).collect(),
        file: PathBuf::from(file),
        text: strip_comments(text),
    };
    let report = source(
        "report::html",
        "report/html.rs",
        "use crate::{catalogue::Catalogue, run::{results::RunResults, runner::run}};\n\
         // crate::selfcheck in a comment is not an import\n\
         fn f() { let _ = \"crate::cli\"; cucumber::World::x(); }",
    );
    let v = matrix_violations(&[report]);
    assert_eq!(
        v,
        [
            "report/html.rs: crate::run::runner::run (stage report may import run::results, run::verdict, run::plan, http, redact, catalogue)",
            "report/html.rs: stage report uses the cucumber runtime",
        ]
    );
    let a = source("run::a", "run/a.rs", "use crate::run::b::X;");
    let b = source("run::b", "run/b.rs", "use super::a::Y;");
    let c = source("run::c", "run/c.rs", "use crate::run::a;");
    let graph = module_graph(&[a, b, c]);
    let cycle = find_cycle(&graph).expect("a circle");
    assert_eq!(cycle, ["run::a", "run::b", "run::a"]);
    // `super` inside an inline test module is the file's own module, not its parent.
    let tested = source(
        "run::a",
        "run/a.rs",
        "fn f() { let _ = '{'; }\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\nuse super::b::Z;",
    );
    assert_eq!(
        referenced(&tested.text, &tested.module),
        [
            vec!["run".to_string(), "a".to_string()],
            vec!["run".to_string(), "b".to_string(), "Z".to_string()],
        ]
    );
}
