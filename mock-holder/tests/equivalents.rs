//! Every entry of `mutants-equivalent.txt` still points at its mutant's code.
//!
//! The entries are cargo-mutants' own lines (`FILE:LINE:COL: replace ... in FUNCTION`), and a
//! missed mutant counts as explained only when its line is in the list exactly. An edit that
//! moves code moves the mutants, so an entry left behind explains nothing and, worse, could
//! one day match a different mutant. `scripts/mutants-follow` moves the entries; this test,
//! which needs no cargo-mutants, fails on any entry whose position no longer holds the code
//! it names: the operator or expression at LINE:COL, and the function around it.

use std::collections::HashMap;
use std::path::Path;

/// What an entry says was mutated.
#[derive(Debug)]
enum Mutated<'a> {
    /// A whole function body replaced (`replace NAME -> TYPE with VALUE`): LINE:COL is in
    /// the body of `fn NAME`.
    Body(&'a str),
    /// Code that starts at LINE:COL: an operator replaced or deleted, a match guard, a match
    /// arm's pattern, a struct expression's field.
    Code(&'a str),
}

/// An entry's file, line and column, what it mutates, and the function it is in.
#[derive(Debug)]
struct Entry<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    mutated: Mutated<'a>,
    function: &'a str,
}

fn parse(entry: &str) -> Result<Entry<'_>, String> {
    let mutant = entry.split_once(" # ").map_or(entry, |(mutant, _)| mutant);
    let mut parts = mutant.splitn(4, ':');
    let (Some(file), Some(line), Some(column), Some(desc)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not FILE:LINE:COL: DESCRIPTION".into());
    };
    let line = line.parse().map_err(|_| format!("line {line:?}"))?;
    let column = column.parse().map_err(|_| format!("column {column:?}"))?;
    let desc = desc.trim_start();
    let unknown = || format!("a mutant description this test does not know: {desc:?}");
    let (mutated, function) = if let Some(rest) = desc.strip_prefix("replace match guard ") {
        let (guard, function) = rest.rsplit_once(" in ").ok_or_else(unknown)?;
        let (guard, _) = guard.rsplit_once(" with ").ok_or_else(unknown)?;
        (Mutated::Code(guard), function)
    } else if let Some(rest) = desc.strip_prefix("delete match arm ") {
        let (pattern, function) = rest.rsplit_once(" in ").ok_or_else(unknown)?;
        (Mutated::Code(pattern), function)
    } else if let Some(rest) = desc.strip_prefix("delete field ") {
        let (field, function) = rest.rsplit_once(" in ").ok_or_else(unknown)?;
        let (field, _) = field.split_once(" from ").ok_or_else(unknown)?;
        (Mutated::Code(field), function)
    } else if let Some(rest) = desc.strip_prefix("delete ") {
        let (operator, function) = rest.rsplit_once(" in ").ok_or_else(unknown)?;
        (Mutated::Code(operator), function)
    } else if let Some(rest) = desc.strip_prefix("replace ") {
        // `replace NAME -> TYPE with VALUE`, or `replace NAME with ()` for a function that
        // returns nothing; an operator's is `replace OP with OP in FUNCTION`.
        let name = rest.split_once(" -> ").map(|(name, _)| name).or_else(|| {
            rest.split_once(" with ")
                .filter(|(_, value)| !value.contains(" in "))
                .map(|(name, _)| name)
        });
        match name {
            Some(name) if !name.contains(' ') => (Mutated::Body(name), name),
            _ => {
                let (operator, function) = rest.rsplit_once(" in ").ok_or_else(unknown)?;
                let (operator, _) = operator.split_once(" with ").ok_or_else(unknown)?;
                (Mutated::Code(operator), function)
            }
        }
    } else {
        return Err(unknown());
    };
    Ok(Entry {
        file,
        line,
        column,
        mutated,
        function,
    })
}

/// `text` with every run of whitespace made one space.
fn collapsed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The name of the nearest `fn` that starts at or above line `line` (1-based) of `lines`.
fn enclosing_fn(lines: &[&str], line: usize) -> Option<String> {
    lines[..line.min(lines.len())].iter().rev().find_map(|l| {
        let code = l.split("//").next().unwrap_or_default();
        let at = code.find("fn ")?;
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let name: String = code[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    })
}

/// Why `entry` no longer points at its mutant in `source`, if it does not.
fn stale(entry: &Entry<'_>, source: &str) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let Some(text) = lines.get(entry.line.wrapping_sub(1)) else {
        return Some(format!("{} has no line {}", entry.file, entry.line));
    };
    let Some(from) = (entry.column.checked_sub(1))
        .and_then(|c| text.char_indices().nth(c))
        .map(|(i, _)| i)
    else {
        return Some(format!(
            "line {} has no column {}",
            entry.line, entry.column
        ));
    };
    if let Mutated::Code(code) = entry.mutated {
        // The code may go on over the next lines (a long guard).
        let mut rest = text[from..].to_string();
        for next in lines.iter().skip(entry.line).take(10) {
            rest.push(' ');
            rest.push_str(next);
        }
        if rest.starts_with(char::is_whitespace) || !collapsed(&rest).starts_with(&collapsed(code))
        {
            return Some(format!(
                "line {} column {} reads {:?}, not {code:?}",
                entry.line,
                entry.column,
                text[from..].trim_end()
            ));
        }
    }
    let expected = match entry.mutated {
        Mutated::Body(name) => name,
        Mutated::Code(_) => entry.function,
    };
    let expected = expected.rsplit("::").next().unwrap_or(expected);
    match enclosing_fn(&lines, entry.line) {
        Some(found) if found == expected => None,
        found => Some(format!(
            "line {} is in fn {}, not in fn {expected}",
            entry.line,
            found.unwrap_or_else(|| "(none)".into())
        )),
    }
}

#[test]
fn every_equivalent_entry_points_at_its_mutants_code() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = crate_dir.parent().expect("the workspace holds the crate");
    let list = std::fs::read_to_string(crate_dir.join("mutants-equivalent.txt"))
        .expect("mock-holder/mutants-equivalent.txt");
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (n, line) in list.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let entry = match parse(line) {
            Ok(entry) => entry,
            Err(why) => {
                problems.push(format!("line {}: {why}", n + 1));
                continue;
            }
        };
        if !line.contains(" # ") {
            problems.push(format!("line {}: no \" # reason\"", n + 1));
        }
        let source = sources.entry(entry.file.to_string()).or_insert_with(|| {
            std::fs::read_to_string(workspace.join(entry.file)).unwrap_or_default()
        });
        if let Some(why) = stale(&entry, source) {
            problems.push(format!("line {}: {}: {why}", n + 1, entry.file));
        }
        checked += 1;
    }
    assert!(checked > 0, "the list has no entries");
    assert!(
        problems.is_empty(),
        "entries of mock-holder/mutants-equivalent.txt that no longer point at their mutant \
         (move them with scripts/mutants-follow BASE, or review them):\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_moved_entry_is_told_apart_from_a_true_one() {
    let source =
        "fn outer(a: bool, b: bool) -> bool {\n    a && b\n}\n\nfn other() -> u8 {\n    1\n}\n";
    let check = |entry: &str| stale(&parse(entry).expect("parses"), source);
    assert_eq!(check("f.rs:2:7: replace && with || in outer # r"), None);
    assert_eq!(check("f.rs:6:5: replace other -> u8 with 0 # r"), None);
    // One line off, one column off, another function, past the end.
    assert!(check("f.rs:3:7: replace && with || in outer # r").is_some());
    assert!(check("f.rs:2:6: replace && with || in outer # r").is_some());
    assert!(check("f.rs:6:5: replace outer -> bool with true # r").is_some());
    assert!(check("f.rs:2:7: replace && with || in other # r").is_some());
    assert!(check("f.rs:40:1: delete ! in outer # r").is_some());
}
