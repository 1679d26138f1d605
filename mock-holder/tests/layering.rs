//! The holder's modules import each other without a circle.
//!
//! Reads `src/**/*.rs` (the library; `main.rs` is the binary), takes every `crate::<module>`
//! path in code (`use crate::a::b`, `use crate::{a, b::c}`, `crate::a::f()` in expressions, and
//! a `super::` that climbs to the crate root) as an edge from the file's top-level module to
//! `<module>`, and fails on a cycle, naming it. Comments (doc links included) and string
//! literals are not code and are skipped. A module may not reach a sibling through a crate-root
//! re-export (`crate::Defect`): that would hide the edge, so it fails too. `routes` is on top:
//! only `server` (which starts the listeners) may import it. And the layout section of
//! `src/lib.rs` lists every module, each above the modules it imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The import graph of a set of source files, and the paths it could not count as edges.
#[derive(Debug, Default)]
struct Layering {
    graph: Graph,
    /// `(file, name)`: a `crate::name` where `name` is not a top-level module (a crate-root
    /// item or re-export).
    root_items: Vec<(String, String)>,
}

/// `text` without comments and with string and char literals emptied, so that only code is
/// searched. Braces inside literals are removed too (the inline-module depth counts braces).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let next = c.get(i + 1).copied();
        match c[i] {
            '/' if next == Some('/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            // Raw strings: r"..", r#".."#, br#".."#.
            'r' if (i == 0
                || !ident(c[i - 1])
                || (c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2]))))
                && matches!(next, Some('"') | Some('#')) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while c.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if c.get(j) != Some(&'"') {
                    out.push(c[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= c.len() {
                        break;
                    }
                    if c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
            }
            '"' => {
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            // Char literals ('x', '\n', '\''); a lone quote is a lifetime.
            '\'' if next == Some('\\') => {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            }
            '\'' if c.get(i + 2) == Some(&'\'') => {
                i += 3;
                out.push_str("' '");
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    out
}

/// The first path segment of each item of a `{...}` group starting at `chars[open]`, and the
/// index after the group.
fn group_heads(chars: &[char], open: usize) -> (Vec<String>, usize) {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item = String::new();
    let mut i = open;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            '{' => {
                depth += 1;
                if depth > 1 {
                    item.push(ch);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    heads.push(std::mem::take(&mut item));
                    i += 1;
                    break;
                }
                item.push(ch);
            }
            ',' if depth == 1 => heads.push(std::mem::take(&mut item)),
            _ => item.push(ch),
        }
        i += 1;
    }
    let heads = heads
        .iter()
        .filter_map(|item| {
            let head: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!head.is_empty()).then_some(head)
        })
        .collect();
    (heads, i)
}

/// The names a path continues with at `chars[at]`: one identifier, or the heads of a group.
fn names_at(chars: &[char], at: usize) -> Vec<String> {
    let mut i = at;
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    if chars.get(i) == Some(&'{') {
        return group_heads(chars, i).0;
    }
    let name: String = chars[i.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_')
        .collect();
    if name.is_empty() { vec![] } else { vec![name] }
}

/// The two words before `chars[end]` (skipping whitespace), nearest first.
fn words_before(chars: &[char], end: usize) -> [String; 2] {
    let mut i = end;
    let mut word = || {
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        let stop = i;
        while i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
            i -= 1;
        }
        chars[i..stop].iter().collect::<String>()
    };
    let nearest = word();
    [nearest, word()]
}

/// How many inline `mod name { ... }` blocks enclose each position of `chars`.
fn inline_module_depths(chars: &[char]) -> Vec<usize> {
    let mut depths = vec![0; chars.len() + 1];
    // One entry per open brace: whether it opened an inline module.
    let mut stack: Vec<bool> = Vec::new();
    let mut modules = 0;
    for (i, ch) in chars.iter().enumerate() {
        match ch {
            '{' => {
                let [name, keyword] = words_before(chars, i);
                let is_mod = keyword == "mod" && !name.is_empty();
                stack.push(is_mod);
                if is_mod {
                    modules += 1;
                }
            }
            '}' => modules -= usize::from(stack.pop() == Some(true)),
            _ => {}
        }
        depths[i + 1] = modules;
    }
    depths
}

fn is_ident_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_' || ch == '$'
}

/// The import graph of `files`: `(path relative to src/, contents)`. `lib.rs` is the crate
/// root (above every module) and `main.rs` another crate, so neither adds edges.
fn layering(files: &[(PathBuf, String)]) -> Layering {
    let module_of = |path: &Path| -> Vec<String> {
        let mut parts: Vec<String> = path
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let file = parts.pop().unwrap_or_default();
        let stem = file.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_string());
        }
        parts
    };
    let mut out = Layering::default();
    let mut modules = BTreeSet::new();
    for (path, _) in files {
        let module = module_of(path);
        if let Some(top) = module
            .first()
            .filter(|t| !matches!(t.as_str(), "lib" | "main"))
        {
            modules.insert(top.clone());
        }
    }
    for module in &modules {
        out.graph.entry(module.clone()).or_default();
    }
    for (path, text) in files {
        let module = module_of(path);
        let Some(top) = module.first().filter(|t| modules.contains(*t)) else {
            continue;
        };
        let chars: Vec<char> = code_only(text).chars().collect();
        let depths = inline_module_depths(&chars);
        let mut names = Vec::new();
        let starts_with = |at: usize, word: &str| {
            chars[at.min(chars.len())..]
                .iter()
                .take(word.len())
                .copied()
                .eq(word.chars())
        };
        let mut i = 0;
        while i < chars.len() {
            let boundary = i == 0 || !is_ident_char(chars[i - 1]);
            if boundary && starts_with(i, "crate::") {
                names.extend(names_at(&chars, i + 7));
                i += 7;
            } else if boundary && starts_with(i, "super::") {
                // Count the chain of `super::`; from the file's module plus the inline modules
                // around it, does it climb to the crate root?
                let mut supers = 0;
                let mut j = i;
                while starts_with(j, "super::") {
                    supers += 1;
                    j += 7;
                }
                if supers >= module.len() + depths[i] {
                    names.extend(names_at(&chars, j));
                }
                i = j;
            } else {
                i += 1;
            }
        }
        let file = path.display().to_string();
        for name in names {
            if name == "self" || name == *top {
                continue;
            }
            if modules.contains(&name) {
                out.graph.get_mut(top).map(|deps| deps.insert(name.clone()));
            } else {
                out.root_items.push((file.clone(), name));
            }
        }
    }
    out
}

/// A cycle of `graph` as `[a, b, ..., a]`, if it has one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let start = path.iter().position(|n| n == next).unwrap_or_default();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

fn sources(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            let relative = path.strip_prefix(base).expect("under src/").to_path_buf();
            out.push((relative, text));
        }
    }
}

fn crate_layering() -> Layering {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    layering(&files)
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, deps)| {
            format!(
                "  {m} -> {}",
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_crate_s_modules_import_each_other_without_a_cycle() {
    let layering = crate_layering();
    assert!(
        layering.graph.len() > 10,
        "found too few modules to be reading src/: {:?}",
        layering.graph.keys()
    );
    if let Some(cycle) = find_cycle(&layering.graph) {
        panic!(
            "import cycle: {}\nthe graph:\n{}",
            cycle.join(" -> "),
            render(&layering.graph)
        );
    }
}

#[test]
fn modules_import_siblings_by_their_own_path_not_through_crate_root_re_exports() {
    let layering = crate_layering();
    assert!(
        layering.root_items.is_empty(),
        "use the defining module's path (crate::defect::Defect, not crate::Defect), so that the \
         edge is visible: {:?}",
        layering.root_items
    );
}

#[test]
fn routes_are_on_top_only_the_server_imports_them() {
    let layering = crate_layering();
    let importers: Vec<&String> = layering
        .graph
        .iter()
        .filter(|(m, deps)| deps.contains("routes") && m.as_str() != "server")
        .map(|(m, _)| m)
        .collect();
    assert!(importers.is_empty(), "{importers:?} import routes");
}

fn graph_of(edges: &[(&str, &str)]) -> Graph {
    let mut graph = Graph::new();
    for (from, to) in edges {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string());
        graph.entry(to.to_string()).or_default();
    }
    graph
}

#[test]
fn the_cycle_finder_names_a_cycle_and_passes_a_dag() {
    let dag = graph_of(&[("routes", "state"), ("state", "store"), ("routes", "store")]);
    assert_eq!(find_cycle(&dag), None);

    let circle = graph_of(&[
        ("registration", "state"),
        ("state", "tokens"),
        ("tokens", "registration"),
        ("routes", "registration"),
    ]);
    assert_eq!(
        find_cycle(&circle),
        Some(
            ["registration", "state", "tokens", "registration"]
                .map(String::from)
                .to_vec()
        )
    );

    let two = graph_of(&[("a", "b"), ("b", "a")]);
    assert_eq!(
        find_cycle(&two),
        Some(["a", "b", "a"].map(String::from).to_vec())
    );
}

fn files(list: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    list.iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect()
}

#[test]
fn edges_come_from_use_groups_paths_in_code_and_super_at_the_root_only() {
    let src = files(&[
        (
            "a.rs",
            "use crate::{b, c::X, d::{e, f}};\nfn g() { crate::h::run(); }\n",
        ),
        (
            "b.rs",
            "// use crate::c; a comment\n/* crate::d */ const S: &str = \"crate::e\";\nconst R: &str = r#\"crate::f\"#;\nfn q<'a>(x: &'a str) -> char { '{' }\n",
        ),
        (
            "c/mod.rs",
            "mod inner;\nuse super::d::Y;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::e;\n}\n",
        ),
        ("c/inner.rs", "use super::Z;\nuse super::super::f::W;\n"),
        ("d.rs", "pub(crate) fn x() {}\nuse crate::Reexported;\n"),
        ("e.rs", ""),
        ("f.rs", ""),
        ("h.rs", ""),
        ("lib.rs", "mod a; use crate::b;"),
    ]);
    let l = layering(&src);
    let deps = |m: &str| l.graph[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(deps("a"), ["b", "c", "d", "h"]);
    assert!(
        deps("b").is_empty(),
        "comments and literals are not code: {:?}",
        deps("b")
    );
    assert_eq!(deps("c"), ["d", "e", "f"]);
    assert!(!l.graph.contains_key("lib"), "the crate root adds no edges");
    assert_eq!(
        l.root_items,
        [("d.rs".to_string(), "Reexported".to_string())]
    );
}

#[test]
fn a_circle_in_source_files_is_found() {
    let src = files(&[
        ("registration.rs", "use crate::state::AppState;\n"),
        ("state.rs", "pub(crate) struct S(crate::tokens::Cache);\n"),
        ("tokens.rs", "use crate::registration::split_jws;\n"),
        ("jose.rs", ""),
    ]);
    let cycle = find_cycle(&layering(&src).graph).expect("the circle is found");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    for m in ["registration", "state", "tokens"] {
        assert!(cycle.iter().any(|c| c == m), "{cycle:?}");
    }
}

/// The modules in the order of the layout section of `src/lib.rs` (top first).
fn layout_order() -> Vec<String> {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    lib.lines()
        .skip_while(|l| !l.starts_with("//! # Layout"))
        .take_while(|l| l.starts_with("//!"))
        .filter_map(|l| l.strip_prefix("//! * "))
        .filter_map(|l| {
            let l = l.trim_start_matches('[').strip_prefix('`')?;
            Some(l.split('`').next()?.to_string())
        })
        .collect()
}

#[test]
fn every_module_has_a_line_in_the_layout_of_lib_rs() {
    let layout = layout_order();
    for module in crate_layering().graph.keys() {
        assert!(
            layout.contains(module),
            "src/lib.rs's layout has no line for {module}: {layout:?}"
        );
    }
}

#[test]
fn every_import_points_down_the_layout_of_lib_rs() {
    let layout = layout_order();
    let rank = |m: &str| layout.iter().position(|l| l == m);
    for (module, deps) in &crate_layering().graph {
        for dep in deps {
            assert!(
                rank(module) < rank(dep),
                "{module} imports {dep}, which src/lib.rs's layout lists above it: move one of \
                 them (or the code) so that imports point down"
            );
        }
    }
}
